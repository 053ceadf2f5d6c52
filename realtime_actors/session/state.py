"""SessionState: what outlives one incarnation of the session actor."""

from __future__ import annotations

import uuid
from typing import Any

import attrs
import pykka

from ..tools.executor import ToolExecutor
from ..transport.limits import DEFAULT_SEND_BUFFER_BYTES
from ..transport.send_gauge import SendGauge
from .core.session_core import SessionCore
from .event_sink import EventSink
from .run_config import RunConfig


@attrs.define(kw_only=True, eq=False)
class SessionState:
    """The conversation (core), subscribers, queued frames and end status of one session.

    Owned by whichever incarnation of the session actor is running (never two at once), so
    a restart after a crash carries everything over. Not thread-safe by design: only the
    running session actor touches it.
    """

    core: SessionCore
    run_config: RunConfig
    sink: EventSink
    subscribers: list[pykka.ActorRef[Any]] = attrs.field(factory=list)
    outbox: list[dict[str, Any]] = attrs.field(factory=list)
    incarnations: int = 0
    attempt: int = 0
    """Reconnect attempts since the last successful connection."""
    ended: bool = False
    end_reason: str | None = None
    give_up_reason: str | None = None
    """Set by the supervisor when it exceeded its restart intensity."""
    gauge: SendGauge = attrs.field(factory=lambda: SendGauge(DEFAULT_SEND_BUFFER_BYTES))
    """Bytes told to the connection and not yet written (thread-safe: the handle reads it)."""
    session_id: str = attrs.field(factory=lambda: uuid.uuid4().hex)
    """The session's id (the key of its snapshots in a store)."""
    snapshot_count: int = 0
    """Snapshots taken so far (the sequence number of the latest)."""
    tools: ToolExecutor = attrs.field(default=attrs.Factory(
        lambda self: ToolExecutor(max_workers=self.run_config.max_tool_workers,
                                  default_timeout_s=self.run_config.tool_timeout_s),
        takes_self=True))
    """Runs the session's tools (one for its whole life: a restarted actor keeps it; closed
    when the session ends)."""
