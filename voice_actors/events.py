"""Events yielded by ``VoiceResult.stream()``."""

from __future__ import annotations

from typing import Literal

import attrs
import numpy as np

from realtime_actors.audio.pcm import pcm16_from_bytes

LifecycleName = Literal["turn_started", "turn_ended", "session_ended"]
"""The lifecycle markers of a run."""


@attrs.frozen(kw_only=True)
class VoiceStreamEventAudio:
    """A chunk of spoken reply: 24 kHz mono PCM16 little-endian bytes."""

    data: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
    type: Literal["voice_stream_event_audio"] = "voice_stream_event_audio"

    @property
    def pcm(self) -> np.ndarray:
        """The samples as a read-only int16 numpy array."""
        return pcm16_from_bytes(self.data)


@attrs.frozen(kw_only=True)
class VoiceStreamEventLifecycle:
    """A turn boundary (``turn_started``/``turn_ended``) or the end of the run."""

    event: LifecycleName
    type: Literal["voice_stream_event_lifecycle"] = "voice_stream_event_lifecycle"


@attrs.frozen(kw_only=True)
class VoiceStreamEventTranscript:
    """What the user said (only with ``VoicePipelineConfig(emit_transcripts=True)``).

    ``final=True`` carries a turn's whole transcript, right after its ``turn_started``.
    ``final=False`` carries a delta of a streamed transcription (``STTSettings(stream=True)``)
    as it arrives, before that turn starts; with multi-turn input the deltas of the next turn
    may arrive while the previous turn's reply is still being spoken.
    """

    text: str
    final: bool
    type: Literal["voice_stream_event_transcript"] = "voice_stream_event_transcript"


@attrs.frozen(kw_only=True)
class VoiceStreamEventError:
    """The run failed; ``session_ended`` follows."""

    error: Exception
    type: Literal["voice_stream_event_error"] = "voice_stream_event_error"


VoiceStreamEvent = (
    VoiceStreamEventAudio
    | VoiceStreamEventLifecycle
    | VoiceStreamEventTranscript
    | VoiceStreamEventError
)
"""Any event of a voice stream."""
