"""Limits of one connection's transport: message size, keepalive, outgoing buffer."""

from __future__ import annotations

import attrs

from ..validation import checked

DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024
"""Largest server message accepted (32 MiB): a larger one is a protocol error (close 1009)."""
DEFAULT_SEND_BUFFER_BYTES = 8 * 1024 * 1024
"""Outgoing bytes a connection holds (written or waiting for room in the socket) before
``send_audio`` / ``send_message`` are refused with ``QueueFullError``."""
_POSITIVE = checked(attrs.validators.gt(0))
DEFAULT_PING_INTERVAL_S: float | None = 20.0
"""Silence from the server after which a keepalive ping is sent (``None``: never)."""


@attrs.frozen(kw_only=True)
class TransportLimits:
    """What the reactor enforces on one connection.

    ``ping_interval_s``: after that long without a byte from the server, a ping is sent;
    ``ping_timeout_s`` later with still nothing, the connection is declared dead (a half-open
    TCP connection never reports itself) and the reconnect rules apply. ``None`` turns the
    keepalive off.
    """

    max_message_bytes: int = attrs.field(default=DEFAULT_MAX_MESSAGE_BYTES,
                                         validator=_POSITIVE)
    ping_interval_s: float | None = attrs.field(
        default=DEFAULT_PING_INTERVAL_S,
        validator=checked(attrs.validators.optional(attrs.validators.gt(0))))
    ping_timeout_s: float = attrs.field(default=20.0, validator=_POSITIVE)
    send_buffer_bytes: int = attrs.field(default=DEFAULT_SEND_BUFFER_BYTES,
                                         validator=_POSITIVE)
