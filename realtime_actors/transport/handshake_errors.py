"""What a rejected WebSocket handshake says, in one line: shared by the diagnostics probe and
the connections of sessions (so neither shows the raw exception with its response headers).

A JSON body with an OpenAI ``error`` object gives its message and code/type/param; any other
body gives the status line and an excerpt of the body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs
import websocket

BODY_EXCERPT = 200
"""Characters of a non-JSON body kept in the message."""


@attrs.frozen(kw_only=True)
class HandshakeRejection:
    """A handshake answered with an HTTP status instead of ``101``."""

    status: int
    message: str
    code: str | None = None
    type: str | None = None
    param: str | None = None
    raw: dict[str, Any] | None = attrs.field(default=None, repr=False)
    """The parsed JSON body, when it was a JSON object."""

    def summary(self) -> str:
        """``HTTP 401 invalid_api_key: Incorrect API key provided: ***.`` (one line)."""
        if self.type == "handshake_error":
            return self.message  # it names the status itself
        label = self.code or self.type
        return f"HTTP {self.status}{f' {label}' if label else ''}: {self.message}"


def describe_rejection(status: int, status_message: str | None,
                       body: bytes | str | None) -> HandshakeRejection:
    """Read a rejected handshake's status and body."""
    body = body or b""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else str(body)
    parsed: Any = None
    try:
        parsed = json.loads(text) if text.strip() else None
    except json.JSONDecodeError:
        parsed = None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(error, Mapping) and isinstance(error.get("message"), str):
        fields = {k: error.get(k) if isinstance(error.get(k), str) else None
                  for k in ("code", "type", "param")}
        return HandshakeRejection(status=status, message=error["message"], raw=parsed, **fields)
    message = f"the WebSocket handshake was answered with HTTP {status}"
    if status_message:
        message += f" {status_message}"
    if text.strip():
        message += f": {' '.join(text.split())[:BODY_EXCERPT]}"
    return HandshakeRejection(status=status, message=message, type="handshake_error",
                              raw=parsed if isinstance(parsed, dict) else None)


def rejection_of(exc: websocket.WebSocketBadStatusException) -> HandshakeRejection:
    """The :class:`HandshakeRejection` of websocket-client's exception."""
    return describe_rejection(exc.status_code, exc.status_message, exc.resp_body)


def handshake_failure_reason(exc: websocket.WebSocketBadStatusException) -> str:
    """The one-line reason of a rejected handshake (no response headers)."""
    return rejection_of(exc).summary()
