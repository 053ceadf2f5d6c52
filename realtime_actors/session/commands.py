"""The messages a :class:`~realtime_actors.session.handle.Session` handle sends its session
actor: one small frozen class per user call, handled by type.

Every command carries ``reply``: True when it was sent with ``ask`` (the caller waits, so an
error is raised to it), False for a ``tell`` (nobody waits: a user-level error becomes an
:class:`~realtime_actors.session.events.ErrorEvent`). ``label`` names the call in the
messages the session reports (``"send_audio"`` ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import attrs
import pykka

from ..protocol.session_config import SessionModelSettings
from .events import InterruptReason

SendingLabel = Literal["send_message", "send_audio", "send_raw_event"]
"""The calls refused while the connection's outgoing buffer is over its high-water mark."""


@attrs.frozen
class SessionCommand:
    """A user call on the session (the base of every command)."""

    label: ClassVar[str]
    reply: bool = attrs.field(default=True, kw_only=True)
    """False for a ``tell``: nobody waits, so user-level errors become error events."""


@attrs.frozen
class SendMessage(SessionCommand):
    """Send user text (or a full conversation item dict) and ask for a response."""

    label: ClassVar[SendingLabel] = "send_message"
    message: str | Mapping[str, Any]


@attrs.frozen
class SendAudio(SessionCommand):
    """Append PCM16 audio; ``commit`` ends the user turn, ``respond`` asks for a response."""

    label: ClassVar[SendingLabel] = "send_audio"
    pcm: bytes
    commit: bool = False
    respond: bool | None = None
    prepaid: int = attrs.field(default=0, kw_only=True)
    """Bytes the handle already added to the send gauge when it admitted the call (a told
    ``SendAudio``): the frames it produces are not counted again."""


@attrs.frozen
class SendRawEvent(SessionCommand):
    """Send any client event as is."""

    label: ClassVar[SendingLabel] = "send_raw_event"
    frame: Mapping[str, Any]


@attrs.frozen
class UpdateSession(SessionCommand):
    """Change session settings (they persist across handoffs)."""

    label: ClassVar[str] = "update_session"
    settings: SessionModelSettings


@attrs.frozen
class Interrupt(SessionCommand):
    """Cancel the current response and truncate its audio at the played position."""

    label: ClassVar[str] = "interrupt"
    reason: InterruptReason = "client"


@attrs.frozen
class Subscribe(SessionCommand):
    """Tell ``ref`` every session event from now on (idempotent)."""

    label: ClassVar[str] = "subscribe"
    ref: pykka.ActorRef[Any]


@attrs.frozen
class Unsubscribe(SessionCommand):
    """Stop telling ``ref`` the session events (idempotent)."""

    label: ClassVar[str] = "unsubscribe"
    ref: pykka.ActorRef[Any]


@attrs.frozen
class GetHistory(SessionCommand):
    """Answer the conversation history, in order."""

    label: ClassVar[str] = "history"


@attrs.frozen
class GetCurrentAgent(SessionCommand):
    """Answer the agent currently answering."""

    label: ClassVar[str] = "current_agent"


@attrs.frozen
class TakeSnapshot(SessionCommand):
    """Answer a snapshot of the session from which it can be resumed."""

    label: ClassVar[str] = "snapshot"


@attrs.frozen
class Close(SessionCommand):
    """End the session for good (the whole tree stops)."""

    label: ClassVar[str] = "close"


@attrs.frozen
class ReportOverflow(SessionCommand):
    """Emit the ``queue_full`` error for the call ``name`` the handle refused because the
    connection's outgoing buffer is over its high-water mark."""

    label: ClassVar[str] = "report_overflow"
    name: SendingLabel


SENDING: frozenset[type[SessionCommand]] = frozenset({SendMessage, SendAudio, SendRawEvent})
"""The commands refused while the connection's outgoing buffer is over its high-water mark."""

COMMANDS: tuple[type[SessionCommand], ...] = (
    SendMessage, SendAudio, SendRawEvent, UpdateSession, Interrupt, Subscribe, Unsubscribe,
    GetHistory, GetCurrentAgent, TakeSnapshot, Close, ReportOverflow)
"""Every command class (the session actor handles each)."""
