"""Effects the sans-I/O session core asks its actor shell to carry out."""

from __future__ import annotations

from typing import Any

import attrs

from ...tools.function_tool import AnyFunctionTool, ToolContext
from .. import events as ev


@attrs.frozen
class Send:
    """Send one client event (a wire-ready dict) on the connection."""

    frame: dict[str, Any]


@attrs.frozen
class Emit:
    """Tell subscribers a session event."""

    event: ev.SessionEvent


@attrs.frozen
class RunTool:
    """Run a function tool off the session's thread; report back with ``ToolDone``."""

    tool: AnyFunctionTool | None
    call_id: str
    name: str
    arguments: str
    context: ToolContext


@attrs.frozen
class CancelTools:
    """Cancel every running tool (close, handoff)."""


Effect = Send | Emit | RunTool | CancelTools


def error(message: str, source: ev.ErrorSource, **fields: Any) -> Emit:
    """An ``ErrorEvent`` to emit."""
    return Emit(ev.ErrorEvent(message=message, source=source, **fields))
