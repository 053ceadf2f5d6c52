"""Shared helpers of the reactor connection tests: an owner actor, a client, two kinds of server.

Servers are a websockets (sync) server for well-behaved peers, and a hand-rolled TCP server
that does the websocket handshake itself and then writes raw frame bytes, for what a library
server will not do (half a frame, a burst in one write, never answering).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import queue
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import websocket
from websockets.sync.server import ServerConnection, serve

from realtime_actors.reactor import Connection, Connector, Reactor, reactor
from realtime_actors.transport.limits import TransportLimits
from realtime_actors.transport.messages import SocketClosed, SocketFrames, SocketOpened
from tests.realtime.support import Collector

WAIT_S = 5.0
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Client:
    """One Connector with a Collector owner; what it sends runs on the reactor thread."""

    def __init__(self, url: str, *, reactor_: Reactor | None = None,
                 sslopt: dict[str, Any] | None = None,
                 limits: TransportLimits | None = None, close_timeout_s: float = 2.0) -> None:
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.owner = Collector.start(self.inbox)
        self.reactor = reactor_ or reactor()

        def connect() -> websocket.WebSocket:
            ws = websocket.WebSocket(sslopt=sslopt or {})
            ws.connect(url, timeout=WAIT_S, suppress_origin=True)
            return ws

        self.connector = Connector(self.owner, 7, connect, name="test-connect",
                                   reactor_=self.reactor, limits=limits,
                                   close_timeout_s=close_timeout_s)
        self.connector.start()
        self.conn: Connection | None = None

    def next(self) -> Any:
        """The next message the owner was told."""
        return self.inbox.get(timeout=WAIT_S)

    def opened(self) -> Connection:
        """Expect SocketOpened; returns the connection."""
        message = self.next()
        assert isinstance(message, SocketOpened), message
        assert message.generation == 7
        self.conn = message.socket
        return self.conn

    def on_reactor(self, call: Callable[[Connection], Any]) -> None:
        """Run ``call(connection)`` on the reactor thread (its only user) and wait for it."""
        conn = self.conn
        assert conn is not None
        done: queue.Queue[BaseException | None] = queue.Queue()

        def run() -> None:
            try:
                call(conn)
            except BaseException as exc:
                done.put(exc)
            else:
                done.put(None)

        self.reactor.call_soon(run)
        error = done.get(timeout=WAIT_S)
        if error is not None:
            raise error

    def send(self, *texts: str) -> None:
        """Send text messages (from the reactor thread)."""
        self.on_reactor(lambda conn: conn.send_texts([t.encode() for t in texts]))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake (from the reactor thread)."""
        self.on_reactor(lambda conn: conn.close(code, reason))

    def frames(self, count: int) -> tuple[list[bytes], list[int]]:
        """The next ``count`` frames, and the sizes of the batches they came in."""
        frames: list[bytes] = []
        sizes: list[int] = []
        while len(frames) < count:
            message = self.next()
            assert isinstance(message, SocketFrames), message
            assert message.generation == 7
            frames.extend(message.frames)
            sizes.append(len(message.frames))
        return frames, sizes

    def closed(self) -> SocketClosed:
        """Expect SocketClosed; checks the connection is then over."""
        message = self.next()
        assert isinstance(message, SocketClosed), message
        assert message.generation == 7
        self.connector.thread.join(WAIT_S)
        assert not self.connector.thread.is_alive()
        return message

    def shutdown(self) -> None:
        """Close the connection if it is still open, and stop the owner."""
        conn = self.conn
        if conn is not None and not conn.finished:
            self.on_reactor(lambda c: c.abort())
        self.owner.stop(timeout=WAIT_S)


@contextlib.contextmanager
def ws_server(handler: Callable[[ServerConnection], None], **options: Any) -> Iterator[str]:
    """A websockets server on 127.0.0.1 (a thread per connection); yields its URL."""
    scheme = "wss" if options.get("ssl") else "ws"
    server = serve(handler, "127.0.0.1", 0, ping_interval=None, **options)
    thread = threading.Thread(target=server.serve_forever, name="test-ws-server")
    thread.start()
    try:
        yield f"{scheme}://127.0.0.1:{server.socket.getsockname()[1]}/"
    finally:
        server.shutdown()
        thread.join(WAIT_S)


class RawServer:
    """A listener that does the websocket handshake by hand and gives the test the raw socket."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(WAIT_S)
        self.url = f"ws://127.0.0.1:{self.listener.getsockname()[1]}/"
        self.accepted: list[socket.socket] = []

    def accept(self) -> tuple[socket.socket, bytes]:
        """Accept one connection and read its upgrade request; returns the socket and key."""
        conn, _ = self.listener.accept()
        conn.settimeout(WAIT_S)
        self.accepted.append(conn)
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            assert chunk, "client went away during the handshake"
            request += chunk
        key = next(line.split(b":", 1)[1].strip() for line in request.split(b"\r\n")
                   if line.lower().startswith(b"sec-websocket-key:"))
        return conn, key

    @staticmethod
    def upgrade(conn: socket.socket, key: bytes) -> None:
        """Answer the upgrade request (101)."""
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")

    def open(self) -> socket.socket:
        """Accept and upgrade one connection; returns the server side of it."""
        conn, key = self.accept()
        self.upgrade(conn, key)
        return conn

    def close(self) -> None:
        """Close every accepted connection and the listener."""
        for conn in self.accepted:
            conn.close()
        self.listener.close()


def server_frame(payload: bytes, opcode: int = 0x1, fin: bool = True) -> bytes:
    """An unmasked (server-to-client) frame."""
    head = bytes([(0x80 if fin else 0) | opcode])
    if len(payload) < 126:
        return head + bytes([len(payload)]) + payload
    if len(payload) < 1 << 16:
        return head + bytes([126]) + len(payload).to_bytes(2, "big") + payload
    return head + bytes([127]) + len(payload).to_bytes(8, "big") + payload


def threads_named(prefix: str) -> list[threading.Thread]:
    """Live threads whose name starts with ``prefix``."""
    return [t for t in threading.enumerate() if t.name.startswith(prefix) and t.is_alive()]


def wait_gone(thread: threading.Thread | None) -> None:
    """Join ``thread`` (bounded) and assert it ended."""
    if thread is not None:
        thread.join(WAIT_S)
        assert not thread.is_alive(), f"{thread.name} still running"
