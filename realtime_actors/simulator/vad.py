"""Energy voice activity detection for the simulated server VAD (sans-I/O).

Audio is cut into 10 ms frames; a frame is speech when its RMS level (full scale = 1.0)
reaches ``threshold * SPEECH_RMS_SCALE``. Speech starts after ``MIN_SPEECH_MS`` of speech
frames and stops after ``silence_duration_ms`` of silence frames. Times are milliseconds of
audio since the start of the session's input stream, as in the GA events.
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np

FRAME_MS = 10
MIN_SPEECH_MS = 20
SPEECH_RMS_SCALE = 0.1
"""threshold 0.5 -> RMS 0.05 of full scale (about -26 dBFS)."""
SEMANTIC_SILENCE_MS = {"low": 800, "medium": 500, "auto": 500, "high": 250}
"""Silence that ends a turn under ``semantic_vad``, by eagerness."""


@attrs.frozen(kw_only=True)
class VadEvent:
    """A speech boundary found by the VAD."""

    kind: str
    """``"started"`` or ``"stopped"``."""
    audio_ms: int
    """``audio_start_ms`` (includes the prefix padding) or ``audio_end_ms`` (includes the
    silence that ended the turn)."""


class EnergyVad:
    """Stateful energy VAD over a stream of int16 samples at ``rate`` Hz."""

    def __init__(
        self,
        *,
        rate: int,
        threshold: float = 0.5,
        prefix_padding_ms: int = 300,
        silence_duration_ms: int = 200,
        start_ms: int = 0,
    ) -> None:
        self.rate = rate
        self.start_ms = start_ms
        self.level = max(threshold, 0.001) * SPEECH_RMS_SCALE
        self.prefix_padding_ms = prefix_padding_ms
        self.silence_duration_ms = silence_duration_ms
        self._frame = rate * FRAME_MS // 1000
        self._pending = np.zeros(0, dtype=np.float64)
        self._frames_done = 0
        self.in_speech = False
        self._speech_run = 0
        self._silence_run = 0

    @classmethod
    def from_turn_detection(
        cls, turn_detection: dict[str, Any], *, rate: int, start_ms: int = 0
    ) -> EnergyVad:
        """A VAD configured from a session's ``audio.input.turn_detection``."""
        if turn_detection.get("type") == "semantic_vad":
            silence = SEMANTIC_SILENCE_MS.get(str(turn_detection.get("eagerness")), 500)
            return cls(rate=rate, silence_duration_ms=silence, start_ms=start_ms)
        return cls(
            rate=rate,
            start_ms=start_ms,
            threshold=float(turn_detection.get("threshold", 0.5)),
            prefix_padding_ms=int(turn_detection.get("prefix_padding_ms", 300)),
            silence_duration_ms=int(turn_detection.get("silence_duration_ms", 200)),
        )

    @property
    def position_ms(self) -> int:
        """Milliseconds of audio analysed so far."""
        return self.start_ms + self._frames_done * FRAME_MS

    def reset(self) -> None:
        """Forget the current turn (after ``input_audio_buffer.clear``); time keeps running."""
        self.in_speech = False
        self._speech_run = 0
        self._silence_run = 0

    def feed(self, samples: np.ndarray) -> list[VadEvent]:
        """Analyse more audio; returns the speech boundaries it contains, in order."""
        data = np.concatenate([self._pending, samples.astype(np.float64) / 32768.0])
        n_frames = data.size // self._frame
        self._pending = data[n_frames * self._frame :]
        events: list[VadEvent] = []
        for i in range(n_frames):
            frame = data[i * self._frame : (i + 1) * self._frame]
            rms = math.sqrt(float(np.mean(frame * frame)))
            self._frames_done += 1
            if rms >= self.level:
                self._silence_run = 0
                self._speech_run += FRAME_MS
                if not self.in_speech and self._speech_run >= MIN_SPEECH_MS:
                    self.in_speech = True
                    start = self.position_ms - self._speech_run - self.prefix_padding_ms
                    events.append(VadEvent(kind="started", audio_ms=max(0, start)))
            else:
                self._speech_run = 0
                if self.in_speech:
                    self._silence_run += FRAME_MS
                    if self._silence_run >= self.silence_duration_ms:
                        self.in_speech = False
                        self._silence_run = 0
                        events.append(VadEvent(kind="stopped", audio_ms=self.position_ms))
        return events
