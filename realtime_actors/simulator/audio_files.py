"""Compressed audio files for the simulator's REST endpoints, through PyAV (FFmpeg).

Speech answers are encoded to the service's ``response_format`` s (mp3, opus in Ogg, aac in
ADTS, flac, wav) and uploads in every container the transcription endpoint accepts are
decoded to 24 kHz mono PCM16. PyAV's wheels bundle FFmpeg with the LAME, Opus, AAC and FLAC
codecs, so nothing is installed beside the Python package. It is the ``[simulator]`` extra;
without it only pcm and wav work and the other formats are refused as bad requests.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

PCM_RATE = 24000

SPEECH_ENCODINGS: dict[str, tuple[str, str, int]] = {
    "mp3": ("mp3", "libmp3lame", 64_000),
    "opus": ("ogg", "libopus", 32_000),
    "aac": ("adts", "aac", 64_000),
    "flac": ("flac", "flac", 0),
    "wav": ("wav", "pcm_s16le", 0),
}
"""Speech ``response_format`` -> (FFmpeg container, encoder, bit rate; 0 for lossless)."""

UPLOAD_ENCODINGS: dict[str, tuple[str, str, int]] = {
    "mp3": ("mp3", "libmp3lame", 64_000),
    "mpeg": ("mp3", "libmp3lame", 64_000),
    "mpga": ("mp3", "libmp3lame", 64_000),
    "mp4": ("mp4", "aac", 64_000),
    "m4a": ("ipod", "aac", 64_000),
    "ogg": ("ogg", "libopus", 32_000),
    "oga": ("ogg", "libopus", 32_000),
    "webm": ("webm", "libopus", 32_000),
    "flac": ("flac", "flac", 0),
    "wav": ("wav", "pcm_s16le", 0),
}
"""File extensions the transcription endpoint accepts -> how :func:`encode_file` writes them
(MPEG audio for ``.mpeg`` / ``.mpga``, AAC in MP4 for ``.mp4`` / ``.m4a``, Opus in Ogg or
WebM)."""


class AudioFileError(ValueError):
    """Audio that cannot be encoded or decoded (the message says why)."""


def _av() -> Any:
    try:
        import av
    except ImportError as exc:  # the [simulator] extra is not installed
        raise AudioFileError(
            "compressed audio needs PyAV: pip install 'realtime-actors[simulator]'"
        ) from exc
    return av


def available() -> bool:
    """True when PyAV is installed (every format of the tables above can be produced)."""
    try:
        _av()
    except AudioFileError:
        return False
    return True


def encode_file(samples: np.ndarray, rate: int, extension: str) -> bytes:
    """Mono int16 ``samples`` at ``rate`` Hz as a file of type ``extension`` (a key of
    :data:`UPLOAD_ENCODINGS` or :data:`SPEECH_ENCODINGS`)."""
    encoding = UPLOAD_ENCODINGS.get(extension) or SPEECH_ENCODINGS.get(extension)
    if encoding is None:
        raise AudioFileError(f"no encoding for {extension!r}")
    return _encode(samples, rate, *encoding)


def encode_speech(samples: np.ndarray, rate: int, response_format: str) -> bytes:
    """Synthesized speech in a speech ``response_format`` other than pcm."""
    return _encode(samples, rate, *SPEECH_ENCODINGS[response_format])


def _encode(samples: np.ndarray, rate: int, container: str, codec: str, bit_rate: int) -> bytes:
    av = _av()
    pcm = np.ascontiguousarray(samples, dtype=np.int16).reshape(1, -1)
    out = io.BytesIO()
    try:
        with av.open(out, mode="w", format=container) as file:
            stream = file.add_stream(codec, rate=rate, layout="mono")
            if bit_rate:
                stream.bit_rate = bit_rate
            frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                file.mux(packet)
            for packet in stream.encode(None):
                file.mux(packet)
    except av.FFmpegError as exc:
        raise AudioFileError(f"cannot encode {container}/{codec}: {_reason(exc)}") from exc
    return out.getvalue()


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "strerror", None) or exc)


def decode_file(data: bytes) -> np.ndarray:
    """Any audio file FFmpeg recognises as 24 kHz mono int16 samples.

    Raises :class:`AudioFileError` for data that is not audio FFmpeg can decode.
    """
    av = _av()
    resampler = av.AudioResampler(format="s16", layout="mono", rate=PCM_RATE)
    chunks: list[np.ndarray] = []
    try:
        with av.open(io.BytesIO(data), mode="r") as file:
            if not file.streams.audio:
                raise AudioFileError("the file has no audio stream")
            for frame in file.decode(file.streams.audio[0]):
                chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
            chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
    except av.FFmpegError as exc:
        raise AudioFileError(f"could not decode the audio ({_reason(exc)})") from exc
    if not chunks:
        return np.zeros(0, dtype=np.int16)
    return np.concatenate(chunks).astype(np.int16)
