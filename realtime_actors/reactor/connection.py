"""Connection: one open WebSocket on the reactor, framed by websockets' sans-I/O ``Protocol``.

websocket-client does the opening handshake (proxies, TLS, headers) on a short-lived thread;
then its socket is made non-blocking and handed here, and from then on only the reactor thread
touches it. ``websockets.protocol.Protocol`` (client side, already open) does the framing:
parsing and validating what the server sends (masking, reserved bits, opcodes, close codes
and reasons, fragment order, the message size limit), answering pings, masking what we send
and the closing handshake. This object moves the bytes: it reads what the socket has into the
protocol, hands whole messages to the owner in batches, and writes what the protocol produces,
keeping what the socket does not take in a bounded :class:`~realtime_actors.reactor.out_buffer.
OutBuffer` flushed when it is writable.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import websocket
from websockets.exceptions import PayloadTooBig
from websockets.exceptions import ProtocolError as WsProtocolError
from websockets.frames import Opcode
from websockets.protocol import CLOSED, OPEN, Protocol, Side

from ..transport.limits import TransportLimits
from ..transport.messages import SocketClosed, SocketFrames
from .out_buffer import OutBuffer

if TYPE_CHECKING:
    from .loop import ReactorLoop

logger = logging.getLogger(__name__)

MAX_BATCH = 256
"""At most this many messages per batch told to the owner."""
READ_BUDGET = 1 << 20
"""At most this many bytes read from one connection per round (fairness between them)."""
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_INVALID_DATA = 1007
CLOSE_TOO_BIG = 1009
CONTROL_SLACK_BYTES = 1 << 20
"""Outgoing bytes allowed beyond the send high-water mark (control frames, raw sends) before
the connection is given up as one whose peer does not read."""


class FrameProtocolError(websocket.WebSocketProtocolException):
    """The server broke the WebSocket rules; ``close_code`` is what we closed with (1002
    protocol error, 1007 invalid data, 1009 message too big)."""

    def __init__(self, message: str, close_code: int = CLOSE_PROTOCOL_ERROR) -> None:
        super().__init__(message)
        self.close_code = close_code


class ConnectionGoneError(websocket.WebSocketConnectionClosedException):
    """The connection is closed or closing: nothing more can be sent on it."""


class _Ending:
    __slots__ = ("code", "error", "reason")

    def __init__(self, code: int | None, reason: str, error: BaseException | None) -> None:
        self.code = code
        self.reason = reason
        self.error = error


class Connection:
    """One WebSocket served by the reactor (see the module docstring). Reactor thread only."""

    def __init__(self, ws: websocket.WebSocket, owner: Any, generation: int,
                 limits: TransportLimits, closing: threading.Event, done: threading.Event,
                 close_timeout_s: float = 2.0) -> None:
        sock = ws.sock
        if sock is None or sock.fileno() < 0:
            raise ConnectionGoneError("socket is already closed.")
        sock.setblocking(False)
        self.ws = ws
        self.sock: Any = sock
        self.fd = int(sock.fileno())
        self.owner = owner
        self.generation = generation
        self.limits = limits
        self.closing = closing
        self.done = done
        self.close_timeout_s = close_timeout_s
        self.protocol = Protocol(Side.CLIENT, state=OPEN, max_size=limits.max_message_bytes)
        self.loop: ReactorLoop | None = None
        self._out = OutBuffer()
        self._fragments: list[bytes] | None = None
        self._want_write = False
        self.last_rx = time.monotonic()
        self.ping_sent: float | None = None
        self.close_deadline: float | None = None
        self.finished = False

    def __repr__(self) -> str:
        return f"<Connection fd={self.fd} generation={self.generation} " \
               f"state={self.protocol.state.name}>"

    @property
    def out_bytes(self) -> int:
        """Bytes queued and not yet written."""
        return self._out.size

    @property
    def is_open(self) -> bool:
        """Whether messages can still be sent."""
        return not self.finished and self.protocol.state is OPEN

    # ------------------------------------------------------------------ sending (the owner)
    def send_texts(self, payloads: Sequence[bytes], gauge: Any = None, cost: int = 0) -> None:
        """Queue text messages, written at the end of the reactor's round (what the socket
        does not take waits for room); ``cost`` is released on ``gauge`` once their bytes
        are written. Raises :class:`ConnectionGoneError` when the
        connection is no longer open."""
        if not self.is_open:
            raise ConnectionGoneError("socket is already closed.")
        protocol = self.protocol
        for payload in payloads:
            protocol.send_text(payload)
        self._queue(protocol.data_to_send())  # from here on, the gauge is released here
        if gauge is not None:
            if self.finished:
                gauge.release(cost)
            else:
                self._out.release_when_written(gauge, cost)
        if not self.finished:
            self._flush_soon()

    def send_frame(self, opcode: Opcode, payload: bytes) -> None:
        """Send one raw frame (text, binary, ping or pong); raises like :meth:`send_texts`."""
        if not self.is_open:
            raise ConnectionGoneError("socket is already closed.")
        protocol = self.protocol
        if opcode is Opcode.TEXT:
            protocol.send_text(payload)
        elif opcode is Opcode.BINARY:
            protocol.send_binary(payload)
        elif opcode is Opcode.PING:
            protocol.send_ping(payload)
        else:
            protocol.send_pong(payload)
        self._queue(protocol.data_to_send())
        self._flush_soon()

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake: the server's answer (or ``close_timeout_s``) ends it."""
        self.closing.set()
        if self.finished:
            return
        if self.protocol.state is OPEN:
            try:
                self.protocol.send_close(code, reason)
            except WsProtocolError:  # a code that must not be sent: close normally instead
                self.protocol.send_close(1000, "")
            self._queue(self.protocol.data_to_send())
            self.flush()
        if not self.finished and self.close_deadline is None:
            self.close_deadline = time.monotonic() + self.close_timeout_s

    def abort(self, reason: str = "connection closed") -> None:
        """Close the socket now, without a closing handshake."""
        self.closing.set()
        self._finish(_Ending(None, reason, None))

    # ------------------------------------------------------------------ the loop's calls
    def on_readable(self, view: memoryview) -> bool:
        """Read what the socket has and hand whole messages to the owner. Returns True when
        more may be buffered (the read budget ran out)."""
        more = False
        eof = False
        protocol = self.protocol
        try:
            read = 0
            pending = getattr(self.sock, "pending", None)
            while read < READ_BUDGET:
                try:
                    count = self.sock.recv_into(view)
                except (BlockingIOError, ssl.SSLWantReadError):
                    break
                except ssl.SSLWantWriteError:
                    self._set_want_write(True)
                    break
                if not count:
                    eof = True
                    break
                # typed bytes | bytearray, but its reader appends any buffer: no copy per read
                protocol.receive_data(view[:count])  # type: ignore[arg-type]
                read += count
                if count < len(view) and (pending is None or not pending()):
                    break
            else:
                more = True
            if read:
                self.last_rx = time.monotonic()
                self.ping_sent = None
            if eof:
                protocol.receive_eof()
        except Exception as exc:  # a reset socket
            self._lost(exc)
            return False
        self._deliver(protocol.events_received())
        if self.finished:
            return False
        self._queue(protocol.data_to_send())
        self._after_receive(eof)
        if not self.finished and self._out:
            self.flush()
        return more and not self.finished

    def _flush_soon(self) -> None:
        """Write at the end of the reactor's round: what several messages queued meanwhile
        goes out in one system call."""
        loop = self.loop
        if loop is None:
            self.flush()
        else:
            loop.dirty[self.fd] = self

    def on_writable(self) -> None:
        """The socket has room: write what waits."""
        self.flush()

    def keepalive(self, now: float) -> None:
        """Ping a silent connection; give it up when the ping goes unanswered; end a close
        handshake the server did not finish in time."""
        if self.close_deadline is not None:
            if now >= self.close_deadline:
                self._finish(_Ending(None, "connection closed", None))
            return
        limits = self.limits
        if limits.ping_interval_s is None or self.closing.is_set():
            return
        if self.ping_sent is not None:
            if now - self.ping_sent >= limits.ping_timeout_s:
                logger.warning("no data from the server for %.1f s, not even a pong: "
                               "the connection is dead", now - self.last_rx)
                abort = TimeoutError(f"keepalive: no answer to a ping within "
                                     f"{limits.ping_timeout_s:g} s")
                self._finish(_Ending(None, str(abort), abort))
            return
        if now - self.last_rx >= limits.ping_interval_s:
            self.protocol.send_ping(b"keepalive")
            self._queue(self.protocol.data_to_send())
            self.ping_sent = now
            self.flush()

    # ------------------------------------------------------------------ internals
    def _deliver(self, frames: list[Any]) -> None:
        messages: list[bytes | bytearray] = []
        for frame in frames:
            opcode = frame.opcode
            if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
                if frame.fin:
                    messages.append(frame.data)  # a fresh bytearray of its own: no copy
                else:
                    self._fragments = [bytes(frame.data)]
            elif opcode is Opcode.CONT:
                assert self._fragments is not None  # the protocol checks the order
                self._fragments.append(bytes(frame.data))
                if frame.fin:
                    messages.append(b"".join(self._fragments))
                    self._fragments = None
            if len(messages) >= MAX_BATCH:
                self._tell_frames(messages)
                messages = []
        if messages:
            self._tell_frames(messages)

    def _tell_frames(self, messages: list[bytes | bytearray]) -> None:
        if self.finished:
            return
        try:
            self.owner.tell(SocketFrames(tuple(messages), self.generation))
        except Exception as exc:  # the owner is gone (pykka.ActorDeadError): stop reading
            logger.debug("reader owner is gone (%s); closing its connection", exc)
            self.closing.set()
            self._finish(None)

    def _after_receive(self, eof: bool) -> None:
        protocol = self.protocol
        exc = protocol.parser_exc
        if exc is not None and not isinstance(exc, EOFError):
            self.flush()  # our close frame, best effort
            if self.closing.is_set():
                self._finish(_Ending(None, "closed", None))
                return
            sent = protocol.close_sent
            code = int(sent.code) if sent is not None else CLOSE_PROTOCOL_ERROR
            if isinstance(exc, PayloadTooBig):
                code = CLOSE_TOO_BIG
            text = f"{exc} (close code {code})" if not str(exc) else str(exc)
            violation = FrameProtocolError(text, code)
            logger.warning("closing a connection (code %d): %s", code, text)
            self._finish(_Ending(None, f"protocol error: {text}", violation))
            return
        received = protocol.close_rcvd
        if received is not None:
            self.flush()  # the echo of the close frame (none when we closed first)
            self._finish(_Ending(int(received.code), received.reason, None))
            return
        if eof or protocol.state is CLOSED:
            if self.closing.is_set():
                self._finish(_Ending(None, "connection closed", None))
            else:
                self._finish(_Ending(None, "connection dropped",
                                     websocket.WebSocketConnectionClosedException(
                                         "Connection to remote host was lost.")))

    def _queue(self, writes: list[bytes]) -> None:
        data = writes[0] if len(writes) == 1 else b"".join(writes)
        if not data:
            return
        self._out.append(data)
        if self.out_bytes > self.limits.send_buffer_bytes + CONTROL_SLACK_BYTES:
            self._lost(BufferError(
                f"{self.out_bytes} bytes wait to be written: the server does not read"))

    def flush(self) -> None:
        """Write queued bytes until the socket is full (then wait for writability)."""
        try:
            self._out.write_to(self.sock)
        except OSError as exc:
            self._lost(exc)
            return
        self._set_want_write(bool(self._out))

    def _set_want_write(self, want: bool) -> None:
        if want != self._want_write and not self.finished and self.loop is not None:
            self._want_write = want
            self.loop.want_write(self, want)

    def _lost(self, exc: BaseException) -> None:
        if self.finished:
            return
        if self.closing.is_set():
            self._finish(_Ending(None, "closed", None))
        else:
            self._finish(_Ending(None, f"connection lost: {exc}", exc))

    def _finish(self, ending: _Ending | None) -> None:
        """Close the socket, release everything and report the end (once)."""
        if self.finished:
            return
        self.finished = True
        try:
            if self.loop is not None:
                self.loop.forget(self)
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError as exc:  # already reset or closed by the peer
                logger.debug("socket shutdown: %s", exc)
            self.ws.shutdown()
        finally:
            self._out.discard()  # given up with the connection: every gauge is released
            try:
                if ending is not None:
                    self.owner.tell(SocketClosed(self.generation, ending.code, ending.reason,
                                                 error=ending.error))
            except Exception as exc:  # the owner is gone
                logger.debug("connection end not reported, owner gone: %s", exc)
            finally:
                self.done.set()


