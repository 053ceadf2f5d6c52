"""Connecting: websocket-client's blocking handshake on a short-lived thread, then the reactor.

websocket-client (proxies, TLS, headers, the HTTP upgrade) needs a blocking socket and a
thread to block on, so each connection starts on a thread of its own. Once the server has
answered 101, the socket goes to the reactor (:meth:`~realtime_actors.reactor.core.Reactor.
adopt`) and the thread ends. The owner is told ``SocketOpened`` (with the
:class:`~realtime_actors.reactor.connection.Connection`), then ``SocketFrames`` batches, then
one ``SocketClosed``; a handshake that fails is one ``SocketClosed``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import websocket

from ..runtime.tell import tell_if_alive
from ..transport.handshake_errors import handshake_failure_reason
from ..transport.limits import TransportLimits
from ..transport.messages import SocketClosed, SocketOpened
from .connection import Connection
from .core import Reactor, reactor

logger = logging.getLogger(__name__)


REMOVED_SETTINGS = ("REALTIME_ACTORS_IO", "REALTIME_ACTORS_IO_THREADS")
"""Environment variables of the I/O hub this reactor replaced (ignored, with a warning)."""
_warned: list[str] = []


def warn_removed_settings(env: dict[str, str] | None = None) -> list[str]:
    """Warn once per process about each removed setting found in the environment; returns
    the ones found."""
    source = os.environ if env is None else env
    found = [name for name in REMOVED_SETTINGS if source.get(name, "").strip()]
    for name in found:
        if name not in _warned:
            _warned.append(name)
            logger.warning("%s is no longer used and is ignored: one reactor thread per "
                           "process serves every connection", name)
    return found


class ConnectionHandle:
    """Thread-like view of a connection: ``is_alive()`` until its end was reported, and
    ``join(timeout)``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.done = threading.Event()
        self._connector: threading.Thread | None = None

    def is_alive(self) -> bool:
        """Whether the connection is still connecting or open."""
        return self._connector is not None and not self.done.is_set()

    def join(self, timeout: float | None = None) -> None:
        """Wait until the connection is over (at most ``timeout`` seconds)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self.done.wait(timeout):
            return
        connector = self._connector
        if connector is not None and connector is not threading.current_thread():
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            connector.join(left)


class Connector:
    """Opens one connection for ``owner`` (anything with ``tell``) and hands it to a reactor.

    ``closing`` may be set by the owner while the handshake runs: the socket is then closed
    as soon as it is open and the end reported as a requested close.
    """

    def __init__(self, owner: Any, generation: int, connect: Callable[[], websocket.WebSocket],
                 name: str, *, reactor_: Reactor | None = None,
                 limits: TransportLimits | None = None, close_timeout_s: float = 2.0) -> None:
        warn_removed_settings()
        self._owner = owner
        self._generation = generation
        self._connect = connect
        self._reactor = reactor_ if reactor_ is not None else reactor()
        self._limits = limits or TransportLimits()
        self._close_timeout_s = close_timeout_s
        self.closing = threading.Event()
        self.thread = ConnectionHandle(name)

    def start(self) -> None:
        """Start connecting in the background."""
        handle = self.thread
        handle._connector = threading.Thread(target=self._run, name=handle.name, daemon=True)
        handle._connector.start()

    def _tell(self, message: object) -> bool:
        return tell_if_alive(self._owner, message, logger, "connection owner is gone")

    def _run(self) -> None:
        handed_over = False
        try:
            handed_over = self._connect_and_hand_over()
        finally:
            if not handed_over:
                self.thread.done.set()

    def _connect_and_hand_over(self) -> bool:
        generation = self._generation
        try:
            ws = self._connect()
        except websocket.WebSocketBadStatusException as exc:
            reason = f"handshake failed: {handshake_failure_reason(exc)}"
            self._tell(SocketClosed(generation, None, reason, error=exc,
                                    handshake_status=exc.status_code))
            return False
        except Exception as exc:  # DNS, refused, TLS, timeout: reported, never raised here
            self._tell(SocketClosed(generation, None, f"connect failed: {exc}", error=exc))
            return False
        if self.closing.is_set():  # closed while the handshake ran: nobody will use it
            ws.shutdown()
            self._tell(SocketClosed(generation, None, "connection closed"))
            return False

        def make() -> Connection:
            if self.closing.is_set():
                raise _ClosedMeanwhile
            return Connection(ws, self._owner, generation, self._limits, self.closing,
                              self.thread.done, self._close_timeout_s)

        def opened(conn: Connection) -> None:
            if not self._tell(SocketOpened(conn, generation)):
                conn.abort()

        def failed(exc: BaseException | None) -> None:
            ws.shutdown()
            if isinstance(exc, _ClosedMeanwhile) or self.closing.is_set():
                self._tell(SocketClosed(generation, None, "connection closed"))
            else:
                logger.error("could not hand the connection to the reactor: %s", exc)
                self._tell(SocketClosed(generation, None, f"connection lost: {exc}", error=exc))
            self.thread.done.set()

        try:
            self._reactor.adopt(make, opened, failed)
        except Exception as exc:  # no reactor thread could be started
            failed(exc)
        return True


class _ClosedMeanwhile(Exception):
    """The owner closed the connection before the reactor took it over."""
