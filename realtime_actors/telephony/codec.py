"""Streaming conversion between the carrier's μ-law 8 kHz and the session's audio format.

Two session formats (:data:`SessionAudio`):

* ``"pcm16"``: the session speaks PCM16 24 kHz; caller audio is μ-law-decoded and resampled
  up, answer audio resampled down and μ-law-encoded, with streaming soxr resamplers (one per
  direction, so 20 ms chunks join without clicks at their edges).
* ``"pcmu"``: the session itself is set to ``audio/pcmu`` in and out; bytes pass untouched.

Sans-I/O: bytes in, bytes out.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import soxr

from ..audio.pcm import G711_SAMPLE_RATE, SAMPLE_RATE, ulaw_decode, ulaw_encode
from ..errors import ConfigError

SessionAudio = Literal["pcm16", "pcmu"]
"""The session's audio format: PCM16 24 kHz (converted here) or μ-law end to end."""

SESSION_AUDIO_VALUES: tuple[SessionAudio, ...] = ("pcm16", "pcmu")


def check_session_audio(value: object) -> SessionAudio:
    """Return ``value`` if it is a :data:`SessionAudio`, else raise :class:`ConfigError`."""
    if value not in SESSION_AUDIO_VALUES:
        raise ConfigError(f"session_audio must be 'pcm16' or 'pcmu', got {value!r}")
    return value


class _Resampler:
    def __init__(self, in_rate: int, out_rate: int) -> None:
        self._in, self._out = in_rate, out_rate
        self._stream = soxr.ResampleStream(in_rate, out_rate, 1, dtype="int16")

    def push(self, samples: np.ndarray, last: bool = False) -> np.ndarray:
        out: np.ndarray = self._stream.resample_chunk(  # soxr ships no types
            samples.astype(np.int16, copy=False), last=last)
        if last:
            self._stream = soxr.ResampleStream(self._in, self._out, 1, dtype="int16")
        return out


class InboundConverter:
    """Caller audio (μ-law 8 kHz) -> the session's input format."""

    def __init__(self, session_audio: SessionAudio) -> None:
        self.session_audio = check_session_audio(session_audio)
        self._resampler = _Resampler(G711_SAMPLE_RATE, SAMPLE_RATE)
        self._odd = b""

    def convert(self, ulaw: bytes) -> bytes:
        """The session-format bytes for ``ulaw``; in ``pcmu`` mode an odd trailing byte is
        held back for the next call (``send_audio`` takes whole 16-bit units)."""
        if self.session_audio == "pcmu":
            data = self._odd + ulaw
            cut = len(data) - len(data) % 2
            self._odd = data[cut:]
            return data[:cut]
        if not ulaw:
            return b""
        return self._resampler.push(ulaw_decode(ulaw)).astype("<i2").tobytes()


class OutboundConverter:
    """Answer audio in the session's output format -> μ-law 8 kHz for the carrier."""

    def __init__(self, session_audio: SessionAudio) -> None:
        self.session_audio = check_session_audio(session_audio)
        self._resampler = _Resampler(SAMPLE_RATE, G711_SAMPLE_RATE)

    def convert(self, data: bytes) -> bytes:
        """μ-law bytes for a chunk of session audio (resampler delay is held until ``end``)."""
        if self.session_audio == "pcmu":
            return bytes(data)
        if len(data) % 2:
            raise ConfigError(f"PCM16 audio must have an even byte count, got {len(data)}")
        samples = np.frombuffer(data, dtype="<i2")
        return ulaw_encode(self._resampler.push(samples)) if samples.size else b""

    def end(self) -> bytes:
        """Flush what the resampler holds at the end of an answer's audio (then reset)."""
        if self.session_audio == "pcmu":
            return b""
        tail = self._resampler.push(np.zeros(0, dtype=np.int16), last=True)
        return ulaw_encode(tail) if tail.size else b""

    def reset(self) -> None:
        """Forget buffered audio (after an interruption)."""
        self._resampler = _Resampler(SAMPLE_RATE, G711_SAMPLE_RATE)
