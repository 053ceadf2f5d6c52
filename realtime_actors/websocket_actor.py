"""WebSocketActor: one Realtime connection, owned by one actor.

The blocking connect and the receive loop run in a :class:`~realtime_actors.reader.SocketReader`
thread that only tells this actor what it read. The actor parses frames with the protocol
core, tells its owner (the session) the typed events in batches, tells each listener every
event, and sends client events. No method here blocks on the network for long: sends are
writes to an open socket, and ``close`` waits for the reader with a bounded timeout.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import pykka
import websocket

from . import __version__
from .actor_pool import current_worker
from .errors import RealtimeError
from .frame_router import DropListener, FrameRouter
from .frame_writer import (
    can_send_nowait,
    client_frame,
    encode_event,
    mask_key_of,
    send_nowait,
    write_frames,
    write_holding_lock,
)
from .io_hub_frames import FrameProtocolError
from .io_hub_socket import abort_socket
from .messages import (
    CloseConnection,
    ConnectionClosed,
    SendFailed,
    SendFrames,
    SocketClosed,
    SocketOpened,
)
from .pooled_actor import PooledActor
from .reader import SocketReader
from .reconnect import DisconnectKind, classify_disconnect
from .send_gauge import SendGauge
from .supervision import Supervised, SupervisionLink
from .transport_limits import TransportLimits

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


def default_user_agent() -> str:
    """The User-Agent realtime-actors sends."""
    import platform

    return f"realtime-actors/{__version__} Python/{platform.python_version()}"


class _FlushUnsent:
    """Self-message: finish the writes a non-blocking send left."""


class WebSocketActor(PooledActor, Supervised):
    """Owns one WebSocket connection to the Realtime API (or the simulator).

    ``owner`` (an ActorRef or a supervision Address) is told ConnectionOpened, ModelEvents,
    ConnectionClosed and SendFailed. Under a supervisor (``link``) the actor exits once its
    connection is lost: abnormally when a new connection may help (so the supervisor starts a
    new incarnation after its backoff), normally when it cannot (a rejected key, close 4000).
    """

    # SendFrames may be handled by the thread that told them (the caller of send_audio, or the
    # I/O hub): there it only writes what the socket takes at once, never waits; the rest is
    # finished by a pool worker (_FlushUnsent). Every other message runs on the pool.

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
        self._ws: websocket.WebSocket | None = None
        self._reader: SocketReader | None = None
        self._closing = False
        self._closed_reported = False
        self._router: FrameRouter | None = None
        self._unsent: list[bytes | memoryview] = []
        """Bytes written before anything else: the rest of a frame a non-blocking write cut
        short, then frames that came meanwhile."""
        self._socket_held = False
        """Whether this actor holds ``ws.lock`` across messages (a frame is half written)."""
        self._flush_told = False
        self._held: list[tuple[SendGauge, int]] = []
        """Gauge counts of frames whose bytes wait in ``_unsent``: released once flushed."""

    # ------------------------------------------------------------------ lifecycle
    def setup(self) -> None:
        """Start connecting in the reader thread."""
        self._router = FrameRouter(self.actor_ref, self._owner, self.report_healthy)
        self._router.listeners = tuple(self._listeners)
        self._reader = SocketReader(self._router, self.generation, self._connect,  # type: ignore[arg-type]
                                    name="realtime-reader", limits=self._options.limits)
        self._reader.start()

    def _connect(self) -> websocket.WebSocket:
        options = self._options
        ws = websocket.WebSocket(
            skip_utf8_validation=True, enable_multithread=True, sslopt=dict(options.sslopt)
        )
        ws.connect(
            options.url,
            header=[f"{k}: {v}" for k, v in options.headers.items()],
            timeout=options.connect_timeout_s,
            suppress_origin=True,
        )
        ws.settimeout(None)
        return ws

    def teardown(self) -> None:
        """Close the socket and join the reader (bounded), on every exit path."""
        self._shutdown(1000, "")

    def _shutdown(self, code: int, reason: str) -> None:
        self._closing = True
        reader, ws = self._reader, self._ws
        try:
            self._flush_unsent()  # what was accepted goes out before the close frame
        except Exception as exc:  # the socket may already be gone
            logger.debug("unsent frames dropped at close: %s", exc)
        if reader is not None:
            reader.closing.set()
        if ws is not None and ws.connected:
            try:
                ws.send_close(code, reason.encode())
            except Exception as exc:  # the socket may already be gone
                logger.debug("send_close failed: %s", exc)
        if reader is not None and reader.thread.is_alive():
            reader.thread.join(self._options.close_timeout_s)
            if reader.thread.is_alive() and ws is not None:
                abort_socket(ws)  # ws.abort() does nothing once send_close() has run
                reader.thread.join(self._options.close_timeout_s)
            if reader.thread.is_alive():
                # still connecting: websocket-client exposes no handle to abort a
                # handshake in progress; the connect timeout bounds it
                reader.thread.join(self._options.connect_timeout_s)
            if reader.thread.is_alive():
                logger.error("socket reader did not stop within its timeouts")
        if ws is not None:
            ws.shutdown()
        self._ws = None
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
        opcodes = {
            "text": websocket.ABNF.OPCODE_TEXT,
            "binary": websocket.ABNF.OPCODE_BINARY,
            "ping": websocket.ABNF.OPCODE_PING,
            "pong": websocket.ABNF.OPCODE_PONG,
        }
        if kind not in opcodes:
            return SendResult(False, FrameEncodeError(f"unknown frame kind {kind!r}"), 0)
        data = payload if payload is not None else b""
        if kind in ("ping", "pong") and len(data) > 125:
            return SendResult(False, FrameEncodeError("control frame payload over 125 bytes"), 0)
        ws = self._ws
        if ws is None or not ws.connected:
            return SendResult(False, NotConnectedError("not connected"), 0)
        try:
            ws.send(data, opcodes[kind])
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
        return self._ws is not None and self._ws.connected

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Send a close frame, join the reader and stop this actor."""
        self._shutdown(code, reason)
        self.stop()  # processed after this message

    # ------------------------------------------------------------------ messages
    def on_receive(self, message: Any) -> Any:
        """Handle reader reports and owner commands."""
        if isinstance(message, _FlushUnsent):
            self._flush_told = False
            try:
                self._flush_unsent()
            except Exception as exc:
                self._tell_owner(SendFailed(ConnectionSendError(f"send failed: {exc}"), 0, ()))
        elif isinstance(message, DropListener):
            logger.warning("dropping dead listener %s", message.listener)
            self.remove_listener(message.listener)
        elif isinstance(message, SendFrames):
            result = self._send_frames(list(message.frames))
            if message.gauge is not None:
                if self._unsent and result.ok:
                    # written in part: the gauge keeps counting until the rest is flushed
                    self._held.append((message.gauge, message.cost))
                else:
                    message.gauge.release(message.cost)
            if not result.ok and result.error is not None:
                self._tell_owner(SendFailed(result.error, result.failed_index or 0,
                                            message.frames))
        elif isinstance(message, SocketOpened):
            self._on_opened(message.socket)
        elif isinstance(message, SocketClosed):
            self._on_reader_closed(message)
        elif isinstance(message, CloseConnection):
            self.close(message.code, message.reason)
        else:
            logger.warning("WebSocketActor got an unexpected message: %r", type(message))
        return None

    def _on_opened(self, ws: websocket.WebSocket) -> None:
        if self._closing:
            ws.shutdown()
            return
        self._ws = ws  # the router has told the owner ConnectionOpened already

    def _on_reader_closed(self, message: SocketClosed) -> None:
        if self._closed_reported:
            return
        self._closed_reported = True
        if self._ws is not None:
            self._ws.shutdown()
            self._ws = None
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

    def guest_may_handle(self, message: Any) -> bool:
        """Only sends are handled outside the pool (and there without waiting)."""
        return isinstance(message, SendFrames)

    def _send_frames(self, frames: list[Mapping[str, Any]]) -> SendResult:
        """Encode every frame, then write them in one go; stops at the first frame that
        cannot be encoded (the ones before it are sent)."""
        ws = self._ws
        if ws is None or not ws.connected:
            return SendResult(False, NotConnectedError("not connected"), 0, 0)
        mask_key = mask_key_of(ws)
        built: list[bytes] = []
        failure: SendResult | None = None
        for index, frame in enumerate(frames):
            try:
                built.append(client_frame(encode_event(frame), mask_key=mask_key))
            except (TypeError, ValueError) as exc:
                failure = SendResult(False, FrameEncodeError(f"frame {index}: {exc}"), index,
                                     index)
                break
        if built:
            worker = current_worker()
            try:
                if worker is not None and worker.guest:
                    self._write_nowait(ws, b"".join(built))
                else:
                    self._flush_unsent()
                    write_frames(ws, built)
            except Exception as exc:
                # a failed write may have sent part of the batch; report it from its start
                return SendResult(False, ConnectionSendError(f"send failed: {exc}"), 0, 0)
        return failure or SendResult(True, sent=len(frames))

    def _write_nowait(self, ws: websocket.WebSocket, data: bytes) -> None:
        """On a thread outside the pool: write what the socket takes now, leave the rest (in
        order) to a pool worker. A half-written frame keeps the socket's lock held until then,
        so no control frame from the I/O hub can land in the middle of it."""
        if self._unsent or not can_send_nowait(ws) or not ws.lock.acquire(blocking=False):
            self._unsent.append(data)
            self._tell_flush()
            return
        try:
            written = send_nowait(ws.sock, data)
        except BaseException:
            ws.lock.release()
            raise
        if written == len(data):
            ws.lock.release()
            return
        self._socket_held = True
        self._unsent.append(memoryview(data)[written:] if written else data)
        self._tell_flush()

    def _tell_flush(self) -> None:
        if not self._flush_told:
            self._flush_told = True
            self.actor_ref.tell(_FlushUnsent())

    def _release_held(self) -> None:
        held, self._held = self._held, []
        for gauge, cost in held:
            gauge.release(cost)

    def _flush_unsent(self) -> None:
        """Write what a non-blocking write left (waiting for room, as every send here does);
        the gauge counts of those bytes are released however it ends."""
        if not self._unsent:
            self._release_held()
            return
        ws, pieces = self._ws, self._unsent
        self._unsent = []
        try:
            if ws is None:
                raise NotConnectedError("not connected")
            if not self._socket_held:
                ws.lock.acquire()
                self._socket_held = True
            for piece in pieces:  # one by one: TLS wants a cut-short write retried as it was
                write_holding_lock(ws, [piece])
        finally:
            self._release_held()
            if self._socket_held:
                self._socket_held = False
                if ws is not None:
                    ws.lock.release()

    def _tell_owner(self, message: object) -> None:
        if self._owner is None:
            return
        try:
            self._owner.tell(message)
        except pykka.ActorDeadError:
            logger.debug("owner gone; dropping %s", type(message).__name__)
