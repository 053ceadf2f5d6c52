"""GA server events about the input audio buffer (VAD, commits) and the WebRTC/SIP output
audio buffer."""

from __future__ import annotations

from typing import ClassVar

import attrs

from realtime_actors.protocol.server_events_base import ServerEvent, server_event

# ----------------------------------------------------------------------------- input buffer


@server_event
@attrs.frozen(kw_only=True)
class InputAudioBufferSpeechStartedEvent(ServerEvent):
    """``input_audio_buffer.speech_started``: server VAD detected speech (barge-in signal)."""

    TYPE: ClassVar[str] = "input_audio_buffer.speech_started"
    audio_start_ms: int
    item_id: str


@server_event
@attrs.frozen(kw_only=True)
class InputAudioBufferSpeechStoppedEvent(ServerEvent):
    """``input_audio_buffer.speech_stopped``: server VAD detected the end of speech."""

    TYPE: ClassVar[str] = "input_audio_buffer.speech_stopped"
    audio_end_ms: int
    item_id: str


@server_event
@attrs.frozen(kw_only=True)
class InputAudioBufferCommittedEvent(ServerEvent):
    """``input_audio_buffer.committed``: the buffer became user item ``item_id``."""

    TYPE: ClassVar[str] = "input_audio_buffer.committed"
    item_id: str
    previous_item_id: str | None = None


@server_event
@attrs.frozen(kw_only=True)
class InputAudioBufferClearedEvent(ServerEvent):
    """``input_audio_buffer.cleared``: answer to ``input_audio_buffer.clear``."""

    TYPE: ClassVar[str] = "input_audio_buffer.cleared"


@server_event
@attrs.frozen(kw_only=True)
class InputAudioBufferTimeoutTriggeredEvent(ServerEvent):
    """``input_audio_buffer.timeout_triggered``: server VAD idle timeout fired."""

    TYPE: ClassVar[str] = "input_audio_buffer.timeout_triggered"
    audio_start_ms: int
    audio_end_ms: int
    item_id: str


@server_event
@attrs.frozen(kw_only=True)
class InputAudioBufferDtmfEventReceivedEvent(ServerEvent):
    """``input_audio_buffer.dtmf_event_received`` (SIP): a DTMF key; usually no ``event_id``."""

    TYPE: ClassVar[str] = "input_audio_buffer.dtmf_event_received"
    event: str
    received_at: int


# ----------------------------------------------------------------------------- output buffer


@server_event
@attrs.frozen(kw_only=True)
class OutputAudioBufferStartedEvent(ServerEvent):
    """``output_audio_buffer.started`` (WebRTC/SIP only): playback of a response started."""

    TYPE: ClassVar[str] = "output_audio_buffer.started"
    response_id: str


@server_event
@attrs.frozen(kw_only=True)
class OutputAudioBufferStoppedEvent(ServerEvent):
    """``output_audio_buffer.stopped`` (WebRTC/SIP only): playback of a response finished."""

    TYPE: ClassVar[str] = "output_audio_buffer.stopped"
    response_id: str


@server_event
@attrs.frozen(kw_only=True)
class OutputAudioBufferClearedEvent(ServerEvent):
    """``output_audio_buffer.cleared`` (WebRTC/SIP only): the output buffer was cleared."""

    TYPE: ClassVar[str] = "output_audio_buffer.cleared"
    response_id: str
