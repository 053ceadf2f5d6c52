"""GA server events for MCP tools, rate limits and errors."""

from __future__ import annotations

from typing import ClassVar

import attrs

from realtime_actors.protocol.items import ErrorDetail, RateLimit
from realtime_actors.protocol.server_events_base import ServerEvent, server_event

# ----------------------------------------------------------------------------- MCP list tools


@server_event
@attrs.frozen(kw_only=True)
class McpListToolsInProgressEvent(ServerEvent):
    """``mcp_list_tools.in_progress``: listing an MCP server's tools started."""

    TYPE: ClassVar[str] = "mcp_list_tools.in_progress"
    item_id: str


@server_event
@attrs.frozen(kw_only=True)
class McpListToolsCompletedEvent(ServerEvent):
    """``mcp_list_tools.completed``: an MCP server's tools were listed."""

    TYPE: ClassVar[str] = "mcp_list_tools.completed"
    item_id: str


@server_event
@attrs.frozen(kw_only=True)
class McpListToolsFailedEvent(ServerEvent):
    """``mcp_list_tools.failed``: listing an MCP server's tools failed."""

    TYPE: ClassVar[str] = "mcp_list_tools.failed"
    item_id: str


# ----------------------------------------------------------------------------- MCP calls


@server_event
@attrs.frozen(kw_only=True)
class ResponseMcpCallArgumentsDeltaEvent(ServerEvent):
    """``response.mcp_call_arguments.delta``: a chunk of an MCP call's JSON arguments."""

    TYPE: ClassVar[str] = "response.mcp_call_arguments.delta"
    response_id: str
    item_id: str
    output_index: int
    delta: str
    obfuscation: str | None = None


@server_event
@attrs.frozen(kw_only=True)
class ResponseMcpCallArgumentsDoneEvent(ServerEvent):
    """``response.mcp_call_arguments.done``: an MCP call's full JSON arguments."""

    TYPE: ClassVar[str] = "response.mcp_call_arguments.done"
    response_id: str
    item_id: str
    output_index: int
    arguments: str


@server_event
@attrs.frozen(kw_only=True)
class ResponseMcpCallInProgressEvent(ServerEvent):
    """``response.mcp_call.in_progress``: an MCP tool call started."""

    TYPE: ClassVar[str] = "response.mcp_call.in_progress"
    item_id: str
    output_index: int


@server_event
@attrs.frozen(kw_only=True)
class ResponseMcpCallCompletedEvent(ServerEvent):
    """``response.mcp_call.completed``: an MCP tool call succeeded."""

    TYPE: ClassVar[str] = "response.mcp_call.completed"
    item_id: str
    output_index: int


@server_event
@attrs.frozen(kw_only=True)
class ResponseMcpCallFailedEvent(ServerEvent):
    """``response.mcp_call.failed``: an MCP tool call failed."""

    TYPE: ClassVar[str] = "response.mcp_call.failed"
    item_id: str
    output_index: int


# ----------------------------------------------------------------------------- misc


@server_event
@attrs.frozen(kw_only=True)
class RateLimitsUpdatedEvent(ServerEvent):
    """``rate_limits.updated``: current rate limits (often only a ``tokens`` entry)."""

    TYPE: ClassVar[str] = "rate_limits.updated"
    rate_limits: tuple[RateLimit, ...]


@server_event
@attrs.frozen(kw_only=True)
class ServerErrorEvent(ServerEvent):
    """``error``: the server rejected something; most errors are recoverable and the session
    stays open. ``error.event_id`` is the offending client event's id, if any."""

    TYPE: ClassVar[str] = "error"
    error: ErrorDetail
