"""Session events: what a realtime session tells its subscribers.

Every event is a small frozen attrs class. Subscribers (pykka actor refs) are told each event
as a plain message; :meth:`realtime_actors.Session.events` yields them to scripts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import attrs
import numpy as np

from ..protocol.server_events_base import ServerEvent
from .core.history import HistoryItem

if TYPE_CHECKING:
    from ..agents.agent import RealtimeAgent

ResponseStatus = Literal["completed", "cancelled", "failed", "incomplete", "interrupted"]
"""How a response ended (:attr:`AgentEndEvent.status`); ``interrupted``: a drop cut it off."""
ErrorSource = Literal[
    "server",
    "response",
    "protocol",
    "transcription",
    "connection",
    "send",
    "tool",
    "subscriber",
    "session",
]
"""Where an :class:`ErrorEvent` comes from (see the README's event reference)."""
ConnectionStatus = Literal["connecting", "connected", "reconnecting", "disconnected"]
"""The state a :class:`ConnectionEvent` reports."""
InterruptReason = Literal["client", "user_speech", "guardrail", "disconnected"]
"""Why output audio was cut: ``interrupt()``, the user barging in, a guardrail, a drop."""
TranscriptRole = Literal["user", "assistant"]
"""Whose speech a transcript event carries."""

_FINAL_STATUSES: dict[str, ResponseStatus] = {
    "completed": "completed",
    "cancelled": "cancelled",
    "failed": "failed",
    "incomplete": "incomplete",
}


def response_status(value: str | None) -> ResponseStatus | None:
    """The :data:`ResponseStatus` a ``response.done`` reports, or None for a status that is
    missing or not a final one (``in_progress``, or one new to this library)."""
    return None if value is None else _FINAL_STATUSES.get(value)


@attrs.frozen(kw_only=True)
class SessionEvent:
    """Base class of every session event."""


@attrs.frozen(kw_only=True)
class AgentStartEvent(SessionEvent):
    """The model started a response on behalf of ``agent``."""

    agent: RealtimeAgent
    response_id: str | None = None


@attrs.frozen(kw_only=True)
class AgentEndEvent(SessionEvent):
    """A response of ``agent`` ended (``status``: completed, cancelled, failed, incomplete,
    or interrupted when a drop cut it off; None if the server gave no final status)."""

    agent: RealtimeAgent
    response_id: str | None = None
    status: ResponseStatus | None = None


@attrs.frozen(kw_only=True)
class HandoffEvent(SessionEvent):
    """The conversation was handed from one agent to another."""

    from_agent: RealtimeAgent
    to_agent: RealtimeAgent


@attrs.frozen(kw_only=True)
class ToolStartEvent(SessionEvent):
    """A function tool (or handoff tool) call started."""

    agent: RealtimeAgent
    tool_name: str
    call_id: str
    arguments: str


@attrs.frozen(kw_only=True)
class ToolEndEvent(SessionEvent):
    """A function tool call finished; ``output`` is what was sent to the model."""

    agent: RealtimeAgent
    tool_name: str
    call_id: str
    arguments: str
    output: str
    ok: bool


@attrs.frozen(kw_only=True)
class AudioEvent(SessionEvent):
    """A chunk of output audio (raw bytes in the session's output format, PCM16 24 kHz by
    default)."""

    data: bytes = attrs.field(repr=lambda d: f"<{len(d)} bytes>")
    item_id: str
    content_index: int
    response_id: str | None = None

    @property
    def pcm(self) -> np.ndarray:
        """The audio as a read-only numpy int16 view (PCM16 output format only)."""
        return np.frombuffer(self.data, dtype="<i2")


@attrs.frozen(kw_only=True)
class AudioEndEvent(SessionEvent):
    """The output audio of an item ended."""

    item_id: str
    content_index: int
    response_id: str | None = None


@attrs.frozen(kw_only=True)
class AudioInterruptedEvent(SessionEvent):
    """Output audio was interrupted (by ``interrupt()`` or by the user speaking) and the
    item was truncated at ``audio_end_ms``."""

    item_id: str
    content_index: int
    audio_end_ms: int
    reason: InterruptReason


@attrs.frozen(kw_only=True)
class TranscriptDeltaEvent(SessionEvent):
    """A piece of transcript: of the assistant's output (``role="assistant"``), or of the
    user's input audio (``role="user"``)."""

    item_id: str
    delta: str
    role: TranscriptRole
    response_id: str | None = None


@attrs.frozen(kw_only=True)
class TextDeltaEvent(SessionEvent):
    """A piece of assistant text (text output modality)."""

    item_id: str
    delta: str
    response_id: str | None = None


@attrs.frozen(kw_only=True)
class TranscriptCompletedEvent(SessionEvent):
    """A full transcript: the assistant's output (text or audio) or the user's input audio."""

    item_id: str
    transcript: str
    role: TranscriptRole


@attrs.frozen(kw_only=True)
class HistoryAddedEvent(SessionEvent):
    """A new item joined the conversation history."""

    item: HistoryItem


@attrs.frozen(kw_only=True)
class HistoryUpdatedEvent(SessionEvent):
    """The history changed (an item completed, was truncated or deleted)."""

    history: tuple[HistoryItem, ...]


@attrs.frozen(kw_only=True)
class ErrorEvent(SessionEvent):
    """Something went wrong. ``source`` says where: ``server`` (an ``error`` frame),
    ``response`` (a failed ``response.done``), ``protocol`` (a malformed frame),
    ``transcription`` (the user's audio could not be transcribed), ``connection``, ``send``,
    ``tool``, ``subscriber``, ``session``."""

    message: str
    source: ErrorSource
    code: str | None = None
    type: str | None = None
    param: str | None = None
    event_id: str | None = None
    response_id: str | None = None
    recoverable: bool = True


@attrs.frozen(kw_only=True)
class InputAudioTimeoutTriggeredEvent(SessionEvent):
    """The server's idle timeout fired (no speech for ``idle_timeout_ms``)."""

    item_id: str | None
    audio_start_ms: int | None
    audio_end_ms: int | None


@attrs.frozen(kw_only=True)
class GuardrailTrippedEvent(SessionEvent):
    """An output guardrail tripped; the response was cancelled."""

    guardrail_name: str
    response_id: str | None
    text: str
    info: str | None = None


@attrs.frozen(kw_only=True)
class ConnectionEvent(SessionEvent):
    """The connection changed state: ``connecting``, ``connected``, ``reconnecting``,
    ``disconnected``. ``attempt`` counts reconnect attempts (0 for the first connection)."""

    status: ConnectionStatus
    attempt: int = 0
    reason: str | None = None


@attrs.frozen(kw_only=True)
class SessionEndedEvent(SessionEvent):
    """The session ended; no event follows. ``reason`` is ``closed`` or the fatal error."""

    reason: str


@attrs.frozen(kw_only=True)
class RawModelEvent(SessionEvent):
    """One server frame, parsed (exactly one per frame received)."""

    event: ServerEvent


@attrs.frozen(kw_only=True)
class EventsDroppedEvent(SessionEvent):
    """Only in ``Session.events()`` (subscribers get every event): ``count`` events were
    dropped from its buffer at this point of the stream, because it was over one of its
    bounds (``RunConfig.event_buffer``, ``event_buffer_bytes``, or before the first read
    ``event_buffer_unread_bytes``). ``audio`` of them were :class:`AudioEvent` s carrying
    ``audio_bytes`` bytes of output audio (audio goes first, so this is often all of them)."""

    count: int
    audio: int = 0
    audio_bytes: int = 0
