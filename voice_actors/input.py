"""Audio inputs of the voice pipeline, always held as 24 kHz mono PCM16."""

from __future__ import annotations

import os

import attrs
import numpy as np

from realtime_actors.audio.pcm import (
    SAMPLE_RATE,
    pcm16_from_bytes,
    read_wav,
    resample,
    to_mono,
    to_pcm16_bytes,
    write_wav,
)
from realtime_actors.errors import AudioFormatError


def _check_pcm(_i: object, _a: object, value: bytes) -> None:
    if not isinstance(value, bytes):
        raise AudioFormatError(f"AudioInput.pcm must be bytes, got {type(value).__name__}")
    if len(value) % 2:
        raise AudioFormatError(f"odd-length PCM16 ({len(value)} bytes)")


@attrs.frozen(kw_only=True)
class AudioInput:
    """One utterance: 24 kHz mono PCM16 little-endian bytes. Build it with a ``from_*`` method."""

    pcm: bytes = attrs.field(validator=_check_pcm, repr=lambda b: f"<{len(b)} bytes>")

    @classmethod
    def from_wav(cls, data: bytes | bytearray | memoryview | str | os.PathLike[str]) -> AudioInput:
        """Decode a WAV file (bytes or a path) of any rate and channel count."""
        return cls(pcm=to_pcm16_bytes(read_wav(data).mono_24k()))

    @classmethod
    def from_numpy(cls, samples: np.ndarray, rate: int = SAMPLE_RATE) -> AudioInput:
        """Use int16 or float samples of shape (n,) or (n, channels) at ``rate`` Hz."""
        if not isinstance(samples, np.ndarray):
            raise AudioFormatError(f"a numpy array is expected, got {type(samples).__name__}")
        mono = to_mono(samples)
        return cls(pcm=to_pcm16_bytes(resample(mono, rate, SAMPLE_RATE)))

    @classmethod
    def from_pcm(cls, data: bytes | bytearray | memoryview, rate: int = SAMPLE_RATE) -> AudioInput:
        """Use raw mono PCM16 little-endian bytes at ``rate`` Hz (must not be a WAV file)."""
        raw = to_pcm16_bytes(data)
        if raw[:4] == b"RIFF" and raw[8:12] == b"WAVE":
            raise AudioFormatError("from_pcm got a WAV file; use AudioInput.from_wav")
        if rate == SAMPLE_RATE:
            return cls(pcm=raw)
        return cls(pcm=to_pcm16_bytes(resample(pcm16_from_bytes(raw), rate, SAMPLE_RATE)))

    @property
    def duration_ms(self) -> float:
        """Length of the audio in milliseconds."""
        return len(self.pcm) / 48.0

    def to_wav(self) -> bytes:
        """The audio as a 24 kHz mono 16-bit WAV file (the transcription upload)."""
        return write_wav(pcm16_from_bytes(self.pcm), SAMPLE_RATE)
