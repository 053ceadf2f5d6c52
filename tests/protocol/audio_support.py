"""Signals and measures shared by the audio tests (PCM16, G.711, WAV)."""

from __future__ import annotations

import numpy as np

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)
ALL_CODES = bytes(range(256))


def sine(freq: float, rate: int, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    """A float32 sine of ``freq`` Hz at ``rate`` Hz."""
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_hz(x: np.ndarray, rate: int) -> float:
    """The strongest frequency of ``x``."""
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64)))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spectrum)])
