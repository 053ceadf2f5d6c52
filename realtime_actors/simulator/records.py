"""What the simulator saw on each WebSocket connection (for test assertions)."""

from __future__ import annotations

from typing import Any

import attrs


@attrs.define(kw_only=True)
class ConnectionRecord:
    """One upgrade attempt and, when accepted, the frames of its WebSocket connection.

    Updated by the simulator's loop thread; read it through the :class:`Simulator` accessors
    (which copy under a lock) or after the connection has closed.
    """

    index: int
    """0-based connection index (also for rejected handshakes)."""
    path: str
    """Request path without the query, e.g. ``/v1/realtime``."""
    query: dict[str, str]
    headers: dict[str, str] = attrs.field(repr=False)
    """Request headers as sent (may hold the API key: never logged, not in the repr)."""
    client_frames: list[dict[str, Any]] = attrs.field(factory=list, repr=False)
    """Parsed client events, in order (frames that are not JSON objects are not listed)."""
    server_events: list[dict[str, Any]] = attrs.field(factory=list, repr=False)
    """Server events sent, in order."""
    http_status: int = 101
    """101 when the upgrade was accepted, else the HTTP status of the rejection."""
    close_code: int | None = None
    """Close code once closed (1006 when the TCP connection was dropped)."""
    open: bool = False

    def header(self, name: str) -> str | None:
        """A request header by case-insensitive name."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None
