"""Audio helpers under their former path: re-exported from :mod:`realtime_actors.audio`."""

from __future__ import annotations

from ..audio.pcm import (
    SAMPLE_RATE,
    b64decode_audio,
    b64encode_audio,
    duration_ms,
    float32_to_pcm16,
    pcm16_from_bytes,
    pcm16_to_float32,
    resample,
    to_mono,
    to_pcm16_bytes,
)
from ..audio.wav import WavAudio, is_wav, read_wav, write_wav

__all__ = [
    "SAMPLE_RATE",
    "WavAudio",
    "b64decode_audio",
    "b64encode_audio",
    "duration_ms",
    "float32_to_pcm16",
    "is_wav",
    "pcm16_from_bytes",
    "pcm16_to_float32",
    "read_wav",
    "resample",
    "to_mono",
    "to_pcm16_bytes",
    "write_wav",
]
