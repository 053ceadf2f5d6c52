"""Audio conversions the simulator needs: G.711 (μ-law / A-law) and 8 kHz <-> 24 kHz."""

from __future__ import annotations

import numpy as np
import soxr

PCM_RATE = 24000
G711_RATE = 8000
BYTES_PER_MS_PCM16 = PCM_RATE * 2 // 1000  # 48


def _ulaw_table() -> np.ndarray:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


def _alaw_table() -> np.ndarray:
    codes = np.arange(256, dtype=np.int32) ^ 0x55
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = np.where(
        exponent == 0,
        (mantissa << 4) + 8,
        ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0),
    )
    return np.where(sign != 0, magnitude, -magnitude).astype(np.int16)


_TABLES = {"audio/pcmu": _ulaw_table(), "audio/pcma": _alaw_table()}
_SORTED = {name: (np.argsort(t, kind="stable"), np.sort(t)) for name, t in _TABLES.items()}


def g711_decode(data: bytes, format_type: str) -> np.ndarray:
    """Decode G.711 bytes (``audio/pcmu`` or ``audio/pcma``) to int16 samples at 8 kHz."""
    return _TABLES[format_type][np.frombuffer(data, dtype=np.uint8)]


def g711_encode(samples: np.ndarray, format_type: str) -> bytes:
    """Encode int16 samples to G.711 bytes by nearest quantisation level."""
    order, levels = _SORTED[format_type]
    x = samples.astype(np.int32)
    idx = np.clip(np.searchsorted(levels, x), 1, len(levels) - 1)
    lower = levels[idx - 1].astype(np.int32)
    upper = levels[idx].astype(np.int32)
    pick = np.where(x - lower <= upper - x, idx - 1, idx)
    return order[pick].astype(np.uint8).tobytes()


def resample(samples: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resample int16 mono samples."""
    if rate_in == rate_out or samples.size == 0:
        return samples.astype(np.int16)
    out = soxr.resample(samples.astype(np.float32) / 32768.0, rate_in, rate_out)
    return np.clip(np.round(out * 32768.0), -32768, 32767).astype(np.int16)


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
