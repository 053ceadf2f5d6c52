"""Energy voice activity detection (sans-I/O), shared by voice input and the simulator.

Audio is cut into frames of ``frame_ms``; a frame is speech when its RMS level (full scale =
1.0) reaches ``level``. A turn starts after ``speech_start_ms`` of speech frames in a row and
stops after ``silence_duration_ms`` of silence frames in a row. Times are milliseconds of audio
since ``start_ms``.
"""

from __future__ import annotations

from typing import Literal, Protocol

import attrs
import numpy as np


@attrs.frozen(kw_only=True)
class VadEvent:
    """A speech boundary found by a VAD."""

    kind: Literal["started", "stopped"]
    audio_ms: int
    """``"started"``: where the turn starts, ``prefix_padding_ms`` before its first speech
    frame (not before 0). ``"stopped"``: where it ends, after the silence that ended it."""
    speech_ms: int | None = None
    """``"stopped"`` only: from the turn's first speech frame to the end of its last one."""


class Vad(Protocol):
    """What voice input and the simulator need of a voice activity detector."""

    @property
    def in_speech(self) -> bool:
        """Whether a turn has started and not stopped."""
        ...

    def feed(self, samples: np.ndarray) -> list[VadEvent]:
        """Analyse more int16 samples; returns the boundaries they contain, in order."""
        ...

    def reset(self) -> None:
        """Forget the current turn; time keeps running."""
        ...

    def flush(self) -> VadEvent | None:
        """End of input: the ``"stopped"`` event of a turn still in speech, else None."""
        ...


class EnergyVad:
    """Stateful energy VAD over a stream of mono int16 samples at ``rate`` Hz."""

    def __init__(
        self,
        *,
        rate: int,
        level: float = 0.05,
        frame_ms: int = 10,
        speech_start_ms: int = 20,
        prefix_padding_ms: int = 300,
        silence_duration_ms: int = 200,
        start_ms: int = 0,
    ) -> None:
        self.rate = rate
        self.level = level
        """RMS (full scale = 1.0) at which a frame is speech; 0.05 is about -26 dBFS."""
        self.frame_ms = frame_ms
        self.speech_start_ms = speech_start_ms
        self.prefix_padding_ms = prefix_padding_ms
        self.silence_duration_ms = silence_duration_ms
        self.start_ms = start_ms
        self._frame = rate * frame_ms // 1000
        self._pending = np.zeros(0, dtype=np.float64)
        self._frames_done = 0
        self._in_speech = False
        self._speech_run = 0
        self._silence_run = 0
        self._speech_start = 0

    @property
    def in_speech(self) -> bool:
        """Whether a turn has started and not stopped."""
        return self._in_speech

    @property
    def position_ms(self) -> int:
        """Milliseconds of audio analysed so far (whole frames)."""
        return self.start_ms + self._frames_done * self.frame_ms

    def reset(self) -> None:
        """Forget the current turn (after ``input_audio_buffer.clear``); time keeps running."""
        self._in_speech = False
        self._speech_run = 0
        self._silence_run = 0

    def feed(self, samples: np.ndarray) -> list[VadEvent]:
        """Analyse more audio; returns the speech boundaries it contains, in order."""
        data = np.concatenate([self._pending, samples.astype(np.float64) / 32768.0])
        n_frames = data.size // self._frame
        self._pending = data[n_frames * self._frame :]
        if n_frames == 0:
            return []
        frames = data[: n_frames * self._frame].reshape(n_frames, self._frame)
        speech = np.sqrt(np.mean(frames * frames, axis=1)) >= self.level
        events: list[VadEvent] = []
        for is_speech in speech.tolist():
            self._frames_done += 1
            event = self._step(is_speech)
            if event is not None:
                events.append(event)
        return events

    def _step(self, is_speech: bool) -> VadEvent | None:
        if is_speech:
            self._silence_run = 0
            self._speech_run += self.frame_ms
            if not self._in_speech and self._speech_run >= self.speech_start_ms:
                self._in_speech = True
                self._speech_start = self.position_ms - self._speech_run
                start = max(0, self._speech_start - self.prefix_padding_ms)
                return VadEvent(kind="started", audio_ms=start)
            return None
        self._speech_run = 0
        if not self._in_speech:
            return None
        self._silence_run += self.frame_ms
        if self._silence_run < self.silence_duration_ms:
            return None
        return self._stop()

    def _stop(self) -> VadEvent:
        end = self.position_ms
        speech_ms = end - self._silence_run - self._speech_start
        self.reset()
        return VadEvent(kind="stopped", audio_ms=end, speech_ms=speech_ms)

    def flush(self) -> VadEvent | None:
        """End of input: the ``"stopped"`` event of a turn still in speech (at the last whole
        frame analysed), else None. The partial frame left over is dropped."""
        self._pending = self._pending[:0]
        return self._stop() if self._in_speech else None
