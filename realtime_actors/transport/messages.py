"""Messages exchanged between the library's actors and threads (internal, immutable)."""

from __future__ import annotations

from typing import Any

import attrs


# --- reader thread -> WebSocketActor --------------------------------------------------------
@attrs.frozen
class SocketOpened:
    """The handshake succeeded; ``socket`` is the connected websocket-client object."""

    socket: Any
    generation: int


@attrs.frozen
class SocketFrames:
    """A batch of messages read from the socket (each a bytes or bytearray of its own, UTF-8
    not yet validated)."""

    frames: tuple[bytes | bytearray, ...]
    generation: int


@attrs.frozen
class SocketClosed:
    """The reader stopped: a close frame, a dropped connection or a failed handshake."""

    generation: int
    code: int | None
    reason: str
    error: BaseException | None = None
    handshake_status: int | None = None


# --- WebSocketActor -> owner (session) ------------------------------------------------------
@attrs.frozen
class ModelEvents:
    """Parsed server events (or ProtocolErrors for malformed frames), in arrival order."""

    events: tuple[Any, ...]


@attrs.frozen
class ConnectionOpened:
    """The connection is ready for traffic; ``connection`` is the ActorRef of the incarnation
    that opened it (send frames there)."""

    connection: Any = None
    generation: int = 0


@attrs.frozen
class ConnectionClosed:
    """The connection ended. ``abnormal`` is False only for a close we asked for."""

    code: int | None
    reason: str
    abnormal: bool
    handshake_status: int | None = None
    recoverable: bool = False
    """Whether a new connection may fix it (see :func:`realtime_actors.transport.reconnect.
    classify_disconnect`); always False for a close we asked for."""
    requested: bool = False
    """We closed it (the session or its supervisor is stopping)."""
    protocol_error: bool = False
    """We closed it because the server broke the websocket rules (``code`` is ours)."""


@attrs.frozen
class SendFailed:
    """Frames could not be sent; ``index`` is the first frame that failed."""

    error: Exception
    index: int
    frames: tuple[dict[str, Any], ...]


# --- owner -> WebSocketActor ----------------------------------------------------------------
@attrs.frozen
class SendFrames:
    """Send client events (dicts) in order, stopping at the first failure. ``cost`` bytes
    were added to ``gauge`` for them: the connection releases them once written."""

    frames: tuple[dict[str, Any], ...]
    gauge: Any = None
    cost: int = 0


# --- tool executor -> SessionActor ----------------------------------------------------------
@attrs.frozen
class ToolDone:
    """A tool call finished (successfully or not)."""

    outcome: Any
