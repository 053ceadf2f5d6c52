"""Audio helpers of the examples: spoken input (synthetic offline, text-to-speech live, or a
WAV file), 100 ms chunking, and writing 24 kHz mono WAV files under ``--out``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from _common import LiveGuard, Target, say

import voice_actors as va
from realtime_actors.audio.pcm import SAMPLE_RATE, read_wav, write_wav
from realtime_actors.simulator.speech_codec import synthesize
from voice_actors import CancelToken
from voice_actors.http_client import AudioHTTPClient

CHUNK_MS = 100
BYTES_PER_MS = 2 * SAMPLE_RATE // 1000


def silence(ms: int) -> bytes:
    """``ms`` milliseconds of PCM16 silence at 24 kHz."""
    return bytes(BYTES_PER_MS * ms)


def spoken(text: str, target: Target, guard: LiveGuard) -> bytes:
    """``text`` as spoken PCM16 24 kHz mono audio.

    Offline: the simulator's synthetic speech (which the simulator transcribes exactly).
    Live: the text-to-speech endpoint, since the real model does not understand the synthetic
    tones.
    """
    if not target.live:
        return synthesize(text).astype("<i2").tobytes()
    from realtime_actors.transport.auth import resolve_api_key

    settings = va.TTSSettings(instructions=None)
    with AudioHTTPClient(base_url=target.rest_url, api_key=resolve_api_key(),
                         config=va.VoicePipelineConfig()) as client:
        try:
            return b"".join(client.speech(text, settings, CancelToken()))
        except va.VoiceError as err:
            raise guard.fail(err, "text-to-speech of the spoken input failed") from err


def wav_pcm(path: Path) -> bytes:
    """The audio of a WAV file (any rate and channel count) as PCM16 24 kHz mono bytes."""
    return read_wav(path).mono_24k().astype("<i2").tobytes()


def chunks(pcm: bytes, ms: int = CHUNK_MS) -> Iterator[bytes]:
    """``pcm`` cut into ``ms`` millisecond chunks (the last one may be shorter)."""
    size = BYTES_PER_MS * ms
    for start in range(0, len(pcm), size):
        yield pcm[start : start + size]


def save_wav(out_dir: Path, name: str, pcm: bytes) -> Path:
    """Write PCM16 24 kHz mono bytes as ``out_dir/name`` and print an ``[wav]`` line."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / name
    path.write_bytes(write_wav(np.frombuffer(pcm, dtype="<i2"), SAMPLE_RATE))
    say(f"[wav] wrote {path} ({len(pcm) // BYTES_PER_MS} ms)")
    return path
