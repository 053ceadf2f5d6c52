"""The loop of one I/O hub thread: serve readable sockets, batch frames, report ends.

Only the hub thread touches this state. See :mod:`realtime_actors.io_hub` for the design.
"""

from __future__ import annotations

import logging
import selectors
import socket
import threading
import time
from collections.abc import Callable

import pykka
import websocket

from .io_hub_frames import (
    OP_BINARY,
    OP_CLOSE,
    OP_PING,
    OP_TEXT,
    FrameParser,
    FrameProtocolError,
    close_details,
)
from .io_hub_socket import WOULD_BLOCK, try_send_control
from .messages import SocketClosed, SocketFrames
from .transport_limits import TransportLimits

logger = logging.getLogger(__name__)

MAX_BATCH = 256
"""At most this many frames per message to the owner; a connection with more buffered is
served again after the other ready connections had their turn."""
SWEEP_INTERVAL_S = 0.25
"""How often the hub looks for sockets closed behind its back (and wakes when idle)."""
CONTROL_RETRY_S = 0.005
"""Selector timeout while a pong waits for another thread to finish sending."""
CONTROL_SEND_TIMEOUT_S = 1.0
"""Longest the hub waits for room to write a pong or a close echo."""

READ_BUDGET = 1 << 20
"""At most this many bytes read from one connection per turn, and none while this many wait
to be parsed and a whole frame is among them (fairness between connections, and a bound on
what a fast sender makes the hub hold beyond its largest frame)."""
RECV_BUFFER_BYTES = 1 << 16


class HubConnection:
    """One open connection as the hub sees it (owned by the hub thread once added)."""

    __slots__ = ("closing", "done", "fd", "generation", "last_rx", "limits", "owner", "parser",
                 "ping_sent", "pongs", "ws")

    def __init__(self, ws: websocket.WebSocket, fd: int, owner: pykka.ActorRef[object],
                 generation: int, closing: threading.Event, done: threading.Event,
                 limits: TransportLimits | None = None) -> None:
        self.ws = ws
        self.fd = fd
        self.owner = owner
        self.generation = generation
        self.closing = closing
        self.done = done
        self.limits = limits or TransportLimits()
        # bytes websocket-client may have buffered past the handshake (normally none)
        leftover = b"".join(getattr(getattr(ws, "frame_buffer", None), "recv_buffer", None) or ())
        self.parser = FrameParser(leftover, self.limits.max_message_bytes)
        self.pongs: list[bytes] = []
        self.last_rx = time.monotonic()
        """When the server last sent a byte (for the keepalive)."""
        self.ping_sent: float | None = None
        """When our keepalive ping went out, while it waits for an answer."""


class _Ending:
    """How a connection ended (the SocketClosed fields, and a close frame's code to echo)."""

    __slots__ = ("close_payload", "code", "error", "reason")

    def __init__(self, code: int | None, reason: str, error: BaseException | None,
                 close_payload: bytes | None = None) -> None:
        self.code = code
        self.reason = reason
        self.error = error
        self.close_payload = close_payload


class HubLoop:
    """State of one running hub thread (only that thread touches it)."""

    def __init__(self, selector: selectors.BaseSelector, finished: Callable[[], None]) -> None:
        self._finished = finished
        self.selector = selector
        self.conns: dict[int, HubConnection] = {}
        self.again: dict[int, HubConnection] = {}
        self.pong_waiting: dict[int, HubConnection] = {}
        self.next_sweep = time.monotonic() + SWEEP_INTERVAL_S
        self.view = memoryview(bytearray(RECV_BUFFER_BYTES))

    def attach(self, conn: HubConnection) -> None:
        """Register a new connection; serve it at once (bytes may already be buffered)."""
        sock = conn.ws.sock
        if sock is None or sock.fileno() != conn.fd:
            self.finish(conn, _closed_under_us(conn))
            return
        stale = self.conns.get(conn.fd)
        if stale is not None:  # its descriptor was closed and reused without us noticing
            self.detach(stale)
            self.finish(stale, _closed_under_us(stale))
        try:
            self.selector.register(conn.fd, selectors.EVENT_READ, conn)
        except (OSError, ValueError, KeyError) as exc:
            self.finish(conn, _Ending(None, f"connection lost: {exc}", exc))
            return
        self.conns[conn.fd] = conn
        self.again[conn.fd] = conn

    def detach(self, conn: HubConnection) -> None:
        """Stop watching ``conn`` (before its owner may close the socket)."""
        if self.conns.pop(conn.fd, None) is not None:
            try:
                self.selector.unregister(conn.fd)
            except (KeyError, ValueError, OSError) as exc:
                logger.debug("unregister of fd %d failed: %s", conn.fd, exc)
        self.again.pop(conn.fd, None)
        self.pong_waiting.pop(conn.fd, None)

    def step(self, wake_r: socket.socket) -> None:
        """One round: wait for readable sockets, serve them, retry pongs, sweep."""
        if self.again:
            timeout = 0.0
        elif self.pong_waiting:
            timeout = CONTROL_RETRY_S
        else:
            timeout = max(0.0, self.next_sweep - time.monotonic())
        try:
            ready = self.selector.select(timeout)
        except (OSError, ValueError) as exc:  # a descriptor closed behind our back (poll/select)
            logger.debug("selector failed (%s); sweeping", exc)
            ready = []
            self.next_sweep = 0.0
        batch = self.again
        self.again = {}
        for key, _events in ready:
            conn = key.data
            if conn is None:
                _drain(wake_r)
            else:
                batch[conn.fd] = conn
        conns = self.conns
        for fd, conn in batch.items():
            if conns.get(fd) is conn:
                self.serve(conn)
        if self.pong_waiting:
            for conn in list(self.pong_waiting.values()):
                self.flush_pongs(conn)
        if time.monotonic() >= self.next_sweep:
            self.sweep()

    def serve(self, conn: HubConnection) -> None:
        """Read what is buffered on ``conn``, tell its owner, handle its end."""
        frames: list[bytes] = []
        ending: _Ending | None = None
        try:
            ending = self.read_frames(conn, frames)
        except Exception as exc:  # a bug in a read path must not take the hub down
            logger.exception("unexpected error reading a connection")
            ending = _Ending(None, f"connection lost: {exc}", exc)
        if frames and not _tell(conn, SocketFrames(tuple(frames), conn.generation)):
            self.detach(conn)
            self.finish(conn, None)
            return
        if conn.pongs:
            self.flush_pongs(conn)
        if ending is not None:
            if ending.close_payload is not None and not conn.closing.is_set():
                try_send_control(conn.ws, websocket.ABNF.OPCODE_CLOSE, ending.close_payload,
                                 CONTROL_SEND_TIMEOUT_S)
            self.detach(conn)
            self.finish(conn, ending)

    def read_frames(self, conn: HubConnection, frames: list[bytes]) -> _Ending | None:
        """Read what the socket has, append whole data messages to ``frames``; returns how
        the connection ended, if it did. Stops at :data:`MAX_BATCH` frames or
        :data:`READ_BUDGET` bytes (and queues ``conn`` to be served again)."""
        closing = conn.closing
        parser = conn.parser
        view = self.view
        try:
            sock = conn.ws.sock
            if sock is None:
                raise websocket.WebSocketConnectionClosedException("socket is already closed.")
            if sock.gettimeout() != 0.0:
                sock.setblocking(False)  # someone called ws.settimeout(): reads must not block
            eof = False
            pending = getattr(sock, "pending", None)
            read = 0
            if parser.buffered >= READ_BUDGET and parser.ready():
                read = READ_BUDGET  # deliver what is buffered before reading more
            while read < READ_BUDGET:
                try:
                    count = sock.recv_into(view)
                except WOULD_BLOCK:
                    break
                if not count:
                    eof = True
                    break
                parser.feed(view[:count])
                read += count
                conn.ping_sent = None
                if count < len(view) and (pending is None or not pending()):
                    break  # drained: anything arriving later wakes the selector again
            else:
                self.again[conn.fd] = conn  # more may wait, and TLS-buffered bytes wake no one
            if read:
                conn.last_rx = time.monotonic()
            while True:
                if len(frames) >= MAX_BATCH:
                    self.again[conn.fd] = conn
                    return None
                item = parser.next_frame()
                if item is None:
                    break
                opcode, payload = item
                if opcode in (OP_TEXT, OP_BINARY):
                    frames.append(payload)
                elif opcode == OP_CLOSE:
                    code, reason = close_details(payload)
                    return _Ending(code, reason, None, close_payload=payload[:2])
                elif opcode == OP_PING:
                    conn.pongs.append(payload)
            if eof:
                raise websocket.WebSocketConnectionClosedException(
                    "Connection to remote host was lost.")
            return None
        except FrameProtocolError as exc:  # close with its code, report, reconnect rules
            if closing.is_set():
                return _Ending(None, "closed", None)
            logger.warning("closing a connection (code %d): %s", exc.close_code, exc)
            return _Ending(None, f"protocol error: {exc}", exc,
                           close_payload=exc.close_code.to_bytes(2, "big"))
        except websocket.WebSocketConnectionClosedException as exc:
            if closing.is_set():
                return _Ending(None, "connection closed", None)
            return _Ending(None, "connection dropped", exc)
        except Exception as exc:  # a reset socket, a protocol violation by the peer
            if closing.is_set():
                return _Ending(None, "closed", None)
            return _Ending(None, f"connection lost: {exc}", exc)

    def flush_pongs(self, conn: HubConnection) -> None:
        """Answer pings, unless the owner is mid-send (then in a later round)."""
        while conn.pongs:
            sent = try_send_control(conn.ws, websocket.ABNF.OPCODE_PONG, conn.pongs[0],
                                    CONTROL_SEND_TIMEOUT_S)
            if sent is None:
                self.pong_waiting[conn.fd] = conn
                return
            conn.pongs.pop(0)
            if not sent:
                conn.pongs.clear()
                self.again[conn.fd] = conn  # the read reports the broken socket
                break
        self.pong_waiting.pop(conn.fd, None)

    def sweep(self) -> None:
        """Drop connections whose socket was closed without the hub seeing it; keep the
        others alive (a ping after ``ping_interval_s`` of silence, and the connection given
        up when ``ping_timeout_s`` later nothing has come)."""
        now = time.monotonic()
        self.next_sweep = now + SWEEP_INTERVAL_S
        for conn in list(self.conns.values()):
            sock = conn.ws.sock
            if sock is None or sock.fileno() != conn.fd:
                self.detach(conn)
                self.finish(conn, _closed_under_us(conn))
            elif conn.limits.ping_interval_s is not None and not conn.closing.is_set():
                self.keepalive(conn, now)

    def keepalive(self, conn: HubConnection, now: float) -> None:
        """Ping a silent connection; give it up when the ping goes unanswered."""
        limits = conn.limits
        if conn.ping_sent is not None:
            if now - conn.ping_sent < limits.ping_timeout_s:
                return
            silent = now - conn.last_rx
            logger.warning("no data from the server for %.1f s, not even a pong: "
                           "the connection is dead", silent)
            self.detach(conn)
            abort = TimeoutError(f"keepalive: no answer to a ping within "
                                 f"{limits.ping_timeout_s:g} s")
            self.finish(conn, _Ending(None, str(abort), abort))
            return
        if limits.ping_interval_s is not None and now - conn.last_rx >= limits.ping_interval_s:
            sent = try_send_control(conn.ws, websocket.ABNF.OPCODE_PING, b"keepalive",
                                    CONTROL_SEND_TIMEOUT_S)
            if sent is not None:  # None: the owner is mid-send; next sweep
                conn.ping_sent = now

    def finish(self, conn: HubConnection, ending: _Ending | None) -> None:
        """Report the end (unless the owner is gone) and release the connection's handle."""
        try:
            if ending is not None:
                _tell(conn, SocketClosed(conn.generation, ending.code, ending.reason,
                                         error=ending.error))
        finally:
            conn.pongs.clear()
            conn.done.set()
            self._finished()

    def abandon(self, conns: list[HubConnection], exc: BaseException) -> None:
        """Report every connection lost after a crash of the hub thread itself."""
        for conn in conns:
            self.detach(conn)
            self.finish(conn, _Ending(None, f"connection lost: I/O hub failed: {exc!r}", exc))


def _closed_under_us(conn: HubConnection) -> _Ending:
    if conn.closing.is_set():
        return _Ending(None, "connection closed", None)
    return _Ending(None, "connection dropped",
                   websocket.WebSocketConnectionClosedException("socket closed by its owner"))


def _tell(conn: HubConnection, message: object) -> bool:
    try:
        conn.owner.tell(message)
    except pykka.ActorDeadError:
        logger.debug("reader owner is gone; dropping the connection from the I/O hub")
        return False
    return True


def _drain(wake_r: socket.socket) -> None:
    try:
        while wake_r.recv(4096):
            pass
    except BlockingIOError:
        pass
