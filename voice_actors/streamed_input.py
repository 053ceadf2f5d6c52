"""Multi-turn input: ``StreamedAudioInput`` and the energy VAD that cuts it into turns."""

from __future__ import annotations

import logging
import queue
import threading
from typing import TypeVar

import attrs
import numpy as np

from realtime_actors.audio.pcm import SAMPLE_RATE, pcm16_from_bytes, to_pcm16_bytes
from realtime_actors.errors import ConfigError

logger = logging.getLogger(__name__)

_BYTES_PER_MS = 2 * SAMPLE_RATE // 1000


_N = TypeVar("_N", bound=float)


def _positive(_i: object, attribute: attrs.Attribute[_N], value: _N) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{attribute.name} must be positive, got {value!r}")


@attrs.frozen(kw_only=True)
class VADSettings:
    """Energy voice-activity detection on 24 kHz PCM16 frames."""

    threshold: float = attrs.field(default=500.0, validator=_positive)
    """RMS level (int16 units) above which a frame counts as speech."""
    silence_ms: int = attrs.field(default=500, validator=_positive)
    """Silence that ends a turn."""
    min_speech_ms: int = attrs.field(default=100, validator=_positive)
    """Shorter bursts of sound are dropped as noise."""
    frame_ms: int = attrs.field(default=20, validator=_positive)
    pre_roll_ms: int = attrs.field(default=60, validator=attrs.validators.ge(0))
    """Audio kept from before the first speech frame, so onsets are not cut."""


class EnergyVAD:
    """Sans-I/O turn splitter: :meth:`feed` PCM16 bytes, get back completed utterances."""

    def __init__(self, settings: VADSettings | None = None) -> None:
        self._s = settings if settings is not None else VADSettings()
        self._frame_bytes = self._s.frame_ms * _BYTES_PER_MS
        self._pending = b""
        self._pre: list[bytes] = []
        self._speech: list[bytes] = []
        self._speech_ms = 0
        self._silence_ms = 0

    def _is_speech(self, frame: bytes) -> bool:
        samples = pcm16_from_bytes(frame).astype(np.float64)
        return float(np.sqrt(np.mean(samples * samples))) >= self._s.threshold

    def feed(self, pcm: bytes) -> list[bytes]:
        """Add 24 kHz mono PCM16 bytes; return the utterances that ended in them."""
        self._pending += pcm
        done: list[bytes] = []
        while len(self._pending) >= self._frame_bytes:
            frame = self._pending[: self._frame_bytes]
            self._pending = self._pending[self._frame_bytes :]
            utterance = self._frame(frame)
            if utterance is not None:
                done.append(utterance)
        return done

    def _frame(self, frame: bytes) -> bytes | None:
        speech = self._is_speech(frame)
        if not self._speech:
            if speech:
                self._speech = [*self._pre, frame]
                self._pre = []
                self._speech_ms = self._s.frame_ms
                self._silence_ms = 0
            else:
                self._pre.append(frame)
                keep = self._s.pre_roll_ms // self._s.frame_ms
                self._pre = self._pre[-keep:] if keep else []
            return None
        self._speech.append(frame)
        if speech:
            self._speech_ms += self._s.frame_ms + self._silence_ms
            self._silence_ms = 0
            return None
        self._silence_ms += self._s.frame_ms
        if self._silence_ms >= self._s.silence_ms:
            return self._cut()
        return None

    def _cut(self) -> bytes | None:
        audio, long_enough = b"".join(self._speech), self._speech_ms >= self._s.min_speech_ms
        self._speech, self._speech_ms, self._silence_ms = [], 0, 0
        if not long_enough:
            logger.debug("VAD: dropping %d ms of sound (under min_speech_ms)", len(audio) // 48)
            return None
        return audio

    def flush(self) -> bytes | None:
        """End of input: return the unfinished utterance, if it is long enough."""
        if self._speech and self._pending:
            self._speech.append(self._pending)
        self._pending, self._pre = b"", []
        return self._cut() if self._speech else None


class StreamedAudioInput:
    """Audio that arrives over time (24 kHz mono PCM16 bytes or int16/float arrays).

    ``add`` chunks from any thread, ``close`` when done; the pipeline splits it into turns with
    an :class:`EnergyVAD` and answers each turn in order.
    """

    def __init__(self, vad: VADSettings | None = None) -> None:
        self.vad = vad if vad is not None else VADSettings()
        self._queue: queue.Queue[bytes | None] = queue.Queue()  # None: closed
        self._lock = threading.Lock()
        self._closed = False

    def add(self, chunk: bytes | bytearray | memoryview | np.ndarray) -> None:
        """Append audio (raises AudioFormatError for odd-length or non-mono data)."""
        data = to_pcm16_bytes(chunk)
        with self._lock:
            if self._closed:
                logger.warning("StreamedAudioInput: dropping %d bytes added after close", len(data))
                return
            self._queue.put(data)

    def close(self) -> None:
        """Mark the end of the audio (later ``add`` calls are dropped)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._queue.put(None)

    def get(self, timeout: float) -> bytes | None:
        """Next chunk; ``b""`` when none came within ``timeout``, None once closed and drained."""
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return b""
        if item is None:
            self._queue.put(None)  # keep answering None
        return item
