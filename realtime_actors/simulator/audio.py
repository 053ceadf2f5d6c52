"""Audio conversions the simulator needs, in terms of its session formats (G.711 and
8 kHz <-> 24 kHz come from the protocol core)."""

from __future__ import annotations

import numpy as np

from ..audio import pcm as pcm_audio

PCM_RATE = 24000
G711_RATE = 8000
BYTES_PER_MS_PCM16 = PCM_RATE * 2 // 1000  # 48


_DECODERS = {"audio/pcmu": pcm_audio.ulaw_decode, "audio/pcma": pcm_audio.alaw_decode}
_ENCODERS = {"audio/pcmu": pcm_audio.ulaw_encode, "audio/pcma": pcm_audio.alaw_encode}


def g711_decode(data: bytes, format_type: str) -> np.ndarray:
    """Decode G.711 bytes (``audio/pcmu`` or ``audio/pcma``) to int16 samples at 8 kHz."""
    return _DECODERS[format_type](data)


def g711_encode(samples: np.ndarray, format_type: str) -> bytes:
    """Encode int16 samples to G.711 bytes (``audio/pcmu`` or ``audio/pcma``)."""
    return _ENCODERS[format_type](samples.astype(np.int16))


def resample(samples: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resample int16 mono samples."""
    if rate_in == rate_out or samples.size == 0:
        return samples.astype(np.int16)
    return pcm_audio.resample(samples.astype(np.int16), rate_in, rate_out)


def to_pcm24k(data: bytes, format_type: str) -> np.ndarray:
    """Input audio bytes in a session format -> int16 samples at 24 kHz."""
    if format_type == "audio/pcm":
        usable = len(data) - (len(data) % 2)
        return np.frombuffer(data[:usable], dtype="<i2").astype(np.int16)
    return resample(g711_decode(data, format_type), G711_RATE, PCM_RATE)


def from_pcm24k(samples: np.ndarray, format_type: str) -> bytes:
    """int16 samples at 24 kHz -> output bytes in a session format."""
    if format_type == "audio/pcm":
        return samples.astype("<i2").tobytes()
    return g711_encode(resample(samples, PCM_RATE, G711_RATE), format_type)


def bytes_per_ms(format_type: str) -> float:
    """Bytes of one millisecond of audio in a session format."""
    return BYTES_PER_MS_PCM16 if format_type == "audio/pcm" else G711_RATE / 1000


def duration_ms(n_bytes: int, format_type: str) -> float:
    """Duration in milliseconds of ``n_bytes`` of audio in a session format."""
    return n_bytes / bytes_per_ms(format_type)
