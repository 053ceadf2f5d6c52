"""The selector part of the reactor thread: which connections are ready, and their sweep.

Only the reactor thread touches this state (see :mod:`realtime_actors.reactor.core`).
"""

from __future__ import annotations

import logging
import selectors
import socket
import time
from typing import TYPE_CHECKING

from .connection import Connection, _Ending

if TYPE_CHECKING:
    from .core import Reactor

logger = logging.getLogger(__name__)

RECV_BUFFER_BYTES = 1 << 16
SWEEP_INTERVAL_S = 0.25
"""How often keepalives and close deadlines are checked."""


class ReactorLoop:
    """Connections registered in the reactor's selector."""

    def __init__(self, reactor: Reactor, selector: selectors.BaseSelector,
                 wake_r: socket.socket) -> None:
        self.reactor = reactor
        self.selector = selector
        self.wake_r = wake_r
        self.connections: dict[int, Connection] = {}
        self.again: dict[int, Connection] = {}
        self.dirty: dict[int, Connection] = {}
        """Connections with bytes queued this round, written by :meth:`flush_dirty`."""
        self.next_sweep = time.monotonic() + SWEEP_INTERVAL_S
        self.view = memoryview(bytearray(RECV_BUFFER_BYTES))

    # ------------------------------------------------------------------ registry
    def attach(self, conn: Connection) -> None:
        """Serve ``conn`` from now on (bytes may already be buffered: read it at once)."""
        stale = self.connections.get(conn.fd)
        if stale is not None:  # cannot happen while connections own their descriptors
            stale.abort("connection lost: descriptor reused")
        self.selector.register(conn.fd, selectors.EVENT_READ, conn)
        conn.loop = self
        self.connections[conn.fd] = conn
        self.again[conn.fd] = conn

    def forget(self, conn: Connection) -> None:
        """Stop watching ``conn`` (it is finishing)."""
        if self.connections.get(conn.fd) is conn:
            del self.connections[conn.fd]
            try:
                self.selector.unregister(conn.fd)
            except (KeyError, ValueError, OSError) as exc:
                logger.debug("unregister of fd %d failed: %s", conn.fd, exc)
            self.reactor.connection_done()
        self.again.pop(conn.fd, None)
        self.dirty.pop(conn.fd, None)
        conn.loop = None

    def want_write(self, conn: Connection, want: bool) -> None:
        """Watch ``conn`` for writability too (while it has bytes waiting), or not."""
        if self.connections.get(conn.fd) is conn:
            events = selectors.EVENT_READ | (selectors.EVENT_WRITE if want else 0)
            self.selector.modify(conn.fd, events, conn)

    # ------------------------------------------------------------------ the round
    def ready_again(self) -> bool:
        """Whether a connection has more to read, or bytes to write, without waiting."""
        return bool(self.again or self.dirty)

    def flush_dirty(self) -> None:
        """Write what the round queued, one system call per connection."""
        dirty, self.dirty = self.dirty, {}
        for conn in dirty.values():
            if not conn.finished:
                conn.flush()

    def next_deadline(self) -> float:
        """When the loop must wake up even if nothing happens."""
        return self.next_sweep

    def poll(self, timeout: float) -> None:
        """Wait up to ``timeout`` for ready sockets and serve them, then sweep when due."""
        if self.again:
            timeout = 0.0
        try:
            ready = self.selector.select(timeout)
        except (OSError, ValueError) as exc:
            logger.warning("selector failed (%s)", exc)
            ready = []
        batch, self.again = self.again, {}
        view = self.view
        for key, events in ready:
            conn = key.data
            if conn is None:
                _drain(self.wake_r)
                continue
            if events & selectors.EVENT_WRITE:
                conn.on_writable()
            if events & selectors.EVENT_READ:
                batch[conn.fd] = conn
        connections = self.connections
        for fd, conn in batch.items():
            if connections.get(fd) is conn:
                try:
                    more = conn.on_readable(view)
                except Exception as exc:  # a bug in a read path must not take the loop down
                    logger.exception("unexpected error reading a connection")
                    conn._finish(_Ending(None, f"connection lost: {exc}", exc))
                    continue
                if more:
                    self.again[fd] = conn
        now = time.monotonic()
        if now >= self.next_sweep:
            self.next_sweep = now + SWEEP_INTERVAL_S
            for conn in list(connections.values()):
                conn.keepalive(now)

    def abandon(self, exc: BaseException) -> None:
        """Report every connection lost after a crash of the reactor itself."""
        for conn in list(self.connections.values()):
            conn._finish(_Ending(None, f"connection lost: reactor failed: {exc!r}", exc))


def _drain(wake_r: socket.socket) -> None:
    try:
        while wake_r.recv(4096):
            pass
    except BlockingIOError:
        pass
