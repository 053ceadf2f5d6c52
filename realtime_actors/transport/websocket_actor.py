"""WebSocketActor: one Realtime connection, owned by one actor on the reactor.

The blocking handshake runs on a short-lived thread (:class:`~realtime_actors.reactor.
Connector`); then the socket belongs to the reactor thread, where this actor runs too
(``actor_pool = reactor()``): it sends through the :class:`~realtime_actors.reactor.
Connection` (websockets' sans-I/O protocol, a non-blocking socket and a bounded outgoing
buffer), and what the connection reads goes through a :class:`FrameRouter` straight to the
owner (the session) and the listeners. Nothing here blocks: a send writes what the socket
takes and leaves the rest to the reactor; ``close`` starts the closing handshake and the
reactor finishes it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import pykka
import websocket
from websockets.frames import Opcode

from ..errors import RealtimeError
from ..protocol.encoding import encode_event
from ..reactor import Connection, Connector, FrameProtocolError, reactor
from ..runtime.pooled_actor import PooledActor
from ..runtime.tell import tell_if_alive
from ..supervision import Supervised, SupervisionLink
from .frame_router import DropListener, FrameRouter
from .limits import TransportLimits
from .messages import (
    ConnectionClosed,
    SendFailed,
    SendFrames,
    SocketClosed,
    SocketOpened,
)
from .reconnect import DisconnectKind, classify_disconnect

logger = logging.getLogger(__name__)


class SendError(RealtimeError):
    """Base class of send failures."""


class NotConnectedError(SendError):
    """The connection is not open (not yet, or no longer)."""


class FrameEncodeError(SendError):
    """A client event could not be encoded as JSON."""


class ConnectionSendError(SendError):
    """The socket failed while sending."""


@attrs.frozen
class SendResult:
    """Outcome of a send: ``ok``, or the error and the index of the first frame not sent."""

    ok: bool
    error: SendError | None = None
    failed_index: int | None = None
    sent: int = 0


@attrs.frozen(kw_only=True)
class ConnectOptions:
    """Everything needed to open the socket (the key is kept out of reprs)."""

    url: str
    headers: Mapping[str, str] = attrs.field(repr=False)
    connect_timeout_s: float = 10.0
    close_timeout_s: float = 2.0
    sslopt: Mapping[str, Any] = attrs.field(factory=dict)
    limits: TransportLimits = attrs.field(factory=TransportLimits)


class WebSocketActor(PooledActor, Supervised):
    """Owns one WebSocket connection to the Realtime API (or the simulator).

    ``owner`` (an ActorRef or a supervision Address) is told ConnectionOpened, ModelEvents,
    ConnectionClosed and SendFailed. Under a supervisor (``link``) the actor exits once its
    connection is lost: abnormally when a new connection may help (so the supervisor starts a
    new incarnation after its backoff), normally when it cannot (a rejected key, close 4000).
    """

    actor_pool = reactor()

    def __init__(
        self,
        options: ConnectOptions,
        owner: Any = None,
        listeners: Iterable[pykka.ActorRef[Any]] = (),
        *,
        link: SupervisionLink | None = None,
    ) -> None:
        super().__init__(link=link)
        self._options = options
        self._owner = owner
        self._listeners: list[pykka.ActorRef[Any]] = list(dict.fromkeys(listeners))
        self._conn: Connection | None = None
        self._connector: Connector | None = None
        self._closing = False
        self._closed_reported = False
        self._router: FrameRouter | None = None

    # ------------------------------------------------------------------ lifecycle
    def setup(self) -> None:
        """Start connecting (the handshake runs on a short-lived thread)."""
        self._router = FrameRouter(self.actor_ref, self._owner, self.report_healthy)
        self._router.listeners = tuple(self._listeners)
        self._connector = Connector(self._router, self.generation, self._connect,
                                    name="realtime-connect", limits=self._options.limits,
                                    close_timeout_s=self._options.close_timeout_s)
        self._connector.start()

    def _connect(self) -> websocket.WebSocket:
        options = self._options
        ws = websocket.WebSocket(sslopt=dict(options.sslopt))
        ws.connect(
            options.url,
            header=[f"{k}: {v}" for k, v in options.headers.items()],
            timeout=options.connect_timeout_s,
            suppress_origin=True,
        )
        return ws

    def teardown(self) -> None:
        """Start closing the connection (the reactor finishes the handshake), on every exit
        path; a handshake still running is closed as soon as it ends."""
        self._shutdown(1000, "")

    def _shutdown(self, code: int, reason: str) -> None:
        self._closing = True
        if self._connector is not None:
            self._connector.closing.set()
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close(code, reason)
        if not self._closed_reported:
            self._closed_reported = True
            self._tell_owner(ConnectionClosed(code=code, reason=reason or "closed",
                                              abnormal=False, requested=True))

    # ------------------------------------------------------------------ public API
    def send_message(self, message: Mapping[str, Any] | list[Mapping[str, Any]]) -> SendResult:
        """Send one client event or a list of them (stops at the first failure)."""
        frames = [message] if isinstance(message, Mapping) else list(message)
        return self._send_frames(frames)

    def send_frame(self, kind: str, payload: bytes | str | None = None) -> SendResult:
        """Send a raw frame: ``kind`` is ``text``, ``binary``, ``ping`` or ``pong``."""
        opcodes = {"text": Opcode.TEXT, "binary": Opcode.BINARY, "ping": Opcode.PING,
                   "pong": Opcode.PONG}
        if kind not in opcodes:
            return SendResult(False, FrameEncodeError(f"unknown frame kind {kind!r}"), 0)
        data = payload if payload is not None else b""
        if isinstance(data, str):
            data = data.encode("utf-8")
        if kind in ("ping", "pong") and len(data) > 125:
            return SendResult(False, FrameEncodeError("control frame payload over 125 bytes"), 0)
        conn = self._conn
        if conn is None or not conn.is_open:
            return SendResult(False, NotConnectedError("not connected"), 0)
        try:
            conn.send_frame(opcodes[kind], data)
        except Exception as exc:
            return SendResult(False, ConnectionSendError(f"send failed: {exc}"), 0)
        return SendResult(True, sent=1)

    def add_listener(self, listener: pykka.ActorRef[Any]) -> None:
        """Tell ``listener`` every parsed server event (idempotent)."""
        if listener not in self._listeners:
            self._listeners.append(listener)
            self._publish_listeners()

    def remove_listener(self, listener: pykka.ActorRef[Any]) -> None:
        """Stop telling ``listener`` (idempotent)."""
        if listener in self._listeners:
            self._listeners.remove(listener)
            self._publish_listeners()

    def _publish_listeners(self) -> None:
        if self._router is not None:
            self._router.listeners = tuple(self._listeners)

    def is_connected(self) -> bool:
        """Whether the socket is open."""
        return self._conn is not None and self._conn.is_open

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake and stop this actor."""
        self._shutdown(code, reason)
        self.stop()  # processed after this message

    # ------------------------------------------------------------------ messages
    def on_receive(self, message: Any) -> Any:
        """Handle reader reports and owner commands."""
        if isinstance(message, SendFrames):
            result = self._send_frames(list(message.frames), message.gauge, message.cost)
            if not result.ok and result.error is not None:
                self._tell_owner(SendFailed(result.error, result.failed_index or 0,
                                            message.frames))
        elif isinstance(message, DropListener):
            logger.warning("dropping dead listener %s", message.listener)
            self.remove_listener(message.listener)
        elif isinstance(message, SocketOpened):
            self._on_opened(message.socket)
        elif isinstance(message, SocketClosed):
            self._on_reader_closed(message)
        else:
            logger.warning("WebSocketActor got an unexpected message: %r", type(message))
        return None

    def _on_opened(self, conn: Connection) -> None:
        if self._closing:
            conn.close()
            return
        self._conn = conn  # the router has told the owner ConnectionOpened already

    def _on_reader_closed(self, message: SocketClosed) -> None:
        if self._closed_reported:
            return
        self._closed_reported = True
        self._conn = None
        abnormal = not self._closing and message.code not in (1000,)
        code = message.code if message.code is not None else (None if self._closing else 1006)
        kind = classify_disconnect(message.code, message.handshake_status)
        recoverable = abnormal and kind is DisconnectKind.RECONNECT
        violation = message.error if isinstance(message.error, FrameProtocolError) else None
        if violation is not None:
            code = violation.close_code  # what we closed with; a new connection may do better
        self._tell_owner(ConnectionClosed(code=code, reason=message.reason, abnormal=abnormal,
                                          handshake_status=message.handshake_status,
                                          recoverable=recoverable,
                                          protocol_error=violation is not None))
        if self._link is not None and not self._closing:
            # supervised: this incarnation is done; a recoverable loss asks for a new one
            self.stop_with(f"connection lost: {message.reason}", abnormal=recoverable)

    def _send_frames(self, frames: list[Mapping[str, Any]], gauge: Any = None,
                     cost: int = 0) -> SendResult:
        """Encode every frame, then hand them to the connection in one go; stops at the first
        frame that cannot be encoded (the ones before it are sent). ``cost`` is released on
        ``gauge`` once the bytes are written, or at once when nothing is."""
        conn = self._conn
        if conn is None or not conn.is_open:
            if gauge is not None:
                gauge.release(cost)
            return SendResult(False, NotConnectedError("not connected"), 0, 0)
        payloads: list[bytes] = []
        failure: SendResult | None = None
        for index, frame in enumerate(frames):
            try:
                payloads.append(encode_event(frame))
            except (TypeError, ValueError) as exc:
                failure = SendResult(False, FrameEncodeError(f"frame {index}: {exc}"), index,
                                     index)
                break
        try:
            if payloads:
                conn.send_texts(payloads, gauge, cost)
            elif gauge is not None:
                gauge.release(cost)
        except Exception as exc:  # refused before anything was queued: nothing to write
            if gauge is not None:
                gauge.release(cost)
            return SendResult(False, ConnectionSendError(f"send failed: {exc}"), 0, 0)
        return failure or SendResult(True, sent=len(frames))

    def _tell_owner(self, message: object) -> None:
        if self._owner is not None:
            tell_if_alive(self._owner, message, logger, "owner gone; dropping %s",
                          type(message).__name__)
