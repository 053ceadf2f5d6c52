"""Multi-turn input: ``StreamedAudioInput`` and the energy VAD that cuts it into turns."""

from __future__ import annotations

import logging
import queue
import threading

import attrs
import numpy as np

from realtime_actors.audio.pcm import SAMPLE_RATE, pcm16_from_bytes, to_pcm16_bytes
from realtime_actors.audio.vad import EnergyVad, Vad, VadEvent
from realtime_actors.validation import INTEGER, NUMBER, checked

logger = logging.getLogger(__name__)

_BYTES_PER_MS = 2 * SAMPLE_RATE // 1000


_POSITIVE = checked(NUMBER, attrs.validators.gt(0))


@attrs.frozen(kw_only=True)
class VADSettings:
    """Energy voice-activity detection on 24 kHz PCM16 frames."""

    threshold: float = attrs.field(default=500.0, validator=_POSITIVE)
    """RMS level (int16 units) above which a frame counts as speech."""
    silence_ms: int = attrs.field(default=500, validator=_POSITIVE)
    """Silence that ends a turn."""
    min_speech_ms: int = attrs.field(default=100, validator=_POSITIVE)
    """Shorter bursts of sound are dropped as noise."""
    frame_ms: int = attrs.field(default=20, validator=_POSITIVE)
    pre_roll_ms: int = attrs.field(default=60, validator=checked(INTEGER, attrs.validators.ge(0)))
    """Audio kept from before the first speech frame, so onsets are not cut."""


class EnergyVAD:
    """Sans-I/O turn splitter: :meth:`feed` PCM16 bytes, get back completed utterances.

    The shared :class:`~realtime_actors.audio.vad.EnergyVad` (set up from ``settings``: a turn
    starts at its first speech frame) finds the boundaries; this class keeps the audio, cuts it
    there and drops turns with less than ``min_speech_ms`` of speech.
    """

    def __init__(self, settings: VADSettings | None = None) -> None:
        self._s = settings if settings is not None else VADSettings()
        self._start()

    def _start(self) -> None:
        frame_ms = self._s.frame_ms
        self._vad: Vad = EnergyVad(
            rate=SAMPLE_RATE,
            level=self._s.threshold / 32768.0,
            frame_ms=frame_ms,
            speech_start_ms=frame_ms,
            prefix_padding_ms=self._s.pre_roll_ms // frame_ms * frame_ms,
            silence_duration_ms=self._s.silence_ms,
        )
        self._audio = bytearray()
        """Audio from ``_audio_ms`` on: the turn so far, or the pre-roll of the next one."""
        self._audio_ms = 0
        self._turn_ms: int | None = None

    def feed(self, pcm: bytes) -> list[bytes]:
        """Add 24 kHz mono PCM16 bytes; return the utterances that ended in them."""
        self._audio += pcm
        done: list[bytes] = []
        for event in self._vad.feed(pcm16_from_bytes(pcm)):
            if event.kind == "started":
                self._turn_ms = max(event.audio_ms, self._audio_ms)
                continue
            utterance = self._cut(event, event.audio_ms)
            if utterance is not None:
                done.append(utterance)
        if self._turn_ms is None:  # keep only what a turn starting later may use as pre-roll
            end_ms = self._audio_ms + len(self._audio) // _BYTES_PER_MS
            self._drop_before(end_ms - self._s.pre_roll_ms - self._s.frame_ms)
        return done

    def _drop_before(self, ms: int) -> None:
        if ms > self._audio_ms:
            del self._audio[: (ms - self._audio_ms) * _BYTES_PER_MS]
            self._audio_ms = ms

    def _cut(self, stopped: VadEvent, end_ms: int | None) -> bytes | None:
        """The turn's audio up to ``end_ms`` (None: all of it), if it had enough speech."""
        start_ms = self._turn_ms if self._turn_ms is not None else self._audio_ms
        self._turn_ms = None
        self._drop_before(start_ms)
        if end_ms is None:
            audio = bytes(self._audio)
        else:
            audio = bytes(self._audio[: (end_ms - self._audio_ms) * _BYTES_PER_MS])
            self._drop_before(end_ms)
        if (stopped.speech_ms or 0) < self._s.min_speech_ms:
            logger.debug("VAD: dropping %d ms of sound (under min_speech_ms)",
                         len(audio) // _BYTES_PER_MS)
            return None
        return audio

    def flush(self) -> bytes | None:
        """End of input: return the unfinished utterance, if it is long enough."""
        stopped = self._vad.flush()
        utterance = None if stopped is None else self._cut(stopped, None)
        self._start()
        return utterance


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
