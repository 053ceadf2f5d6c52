"""Connecting for the I/O hub: the blocking handshake on a short-lived thread, then the hand-off.

:class:`HubReader` is what :class:`~realtime_actors.reader.SocketReader` uses in hub mode. Its
``handle`` stands in for the reader thread of thread mode: alive from ``start()`` until the
connection has been reported closed (or its owner is gone), and joinable with a timeout.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pykka
import websocket

from .io_hub import HubConnection, IOHub, shared_hub
from .io_hub_socket import abort_socket, make_non_blocking
from .messages import SocketClosed, SocketOpened
from .transport_limits import TransportLimits

logger = logging.getLogger(__name__)


class ConnectionHandle:
    """Thread-like view of a hub connection: ``is_alive()`` and ``join(timeout)``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.done = threading.Event()
        self._connector: threading.Thread | None = None

    def is_alive(self) -> bool:
        """Whether the connection is still connecting or being read."""
        return self._connector is not None and not self.done.is_set()

    def join(self, timeout: float | None = None) -> None:
        """Wait until the connection's reading is over (at most ``timeout`` seconds)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self.done.wait(timeout):
            return
        connector = self._connector
        if connector is not None and connector is not threading.current_thread():
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            connector.join(left)

    def _start(self, target: Callable[[], None]) -> None:
        self._connector = threading.Thread(target=target, name=self.name, daemon=True)
        self._connector.start()


class HubReader:
    """Connects on a short-lived thread, then hands the socket to an :class:`IOHub`."""

    def __init__(
        self,
        owner: pykka.ActorRef[Any],
        generation: int,
        connect: Callable[[], websocket.WebSocket],
        closing: threading.Event,
        name: str,
        hub: IOHub | None = None,
        *,
        limits: TransportLimits | None = None,
    ) -> None:
        self._owner = owner
        self._generation = generation
        self._connect = connect
        self._closing = closing
        self._hub = hub if hub is not None else shared_hub()  # ConfigError here, not later
        self._handed_over = False
        self._limits = limits or TransportLimits()
        self.handle = ConnectionHandle(name)

    def start(self) -> None:
        """Start connecting in the background."""
        self.handle._start(self._run)

    def _tell(self, message: object) -> bool:
        try:
            self._owner.tell(message)
        except pykka.ActorDeadError:
            logger.debug("reader owner is gone; not reading this connection")
            return False
        return True

    def _run(self) -> None:
        try:
            self._connect_and_hand_over()
        finally:
            # the hub owns the handle from add() on; otherwise this thread ends it here
            if not self._handed_over:
                self.handle.done.set()

    def _connect_and_hand_over(self) -> None:
        generation = self._generation
        try:
            ws = self._connect()
        except websocket.WebSocketBadStatusException as exc:
            self._tell(SocketClosed(generation, None, f"handshake failed: {exc}",
                                    error=exc, handshake_status=exc.status_code))
            return
        except Exception as exc:  # DNS, refused, TLS, timeout: reported, never raised here
            self._tell(SocketClosed(generation, None, f"connect failed: {exc}", error=exc))
            return
        if self._closing.is_set():  # closed while the handshake ran: nobody will use it
            ws.shutdown()
            self._tell(SocketClosed(generation, None, "connection closed"))
            return
        try:
            fd = make_non_blocking(ws)
        except Exception as exc:
            ws.shutdown()
            self._tell(SocketClosed(generation, None, f"connection lost: {exc}", error=exc))
            return
        if not self._tell(SocketOpened(ws, generation)):
            ws.shutdown()
            return
        conn = HubConnection(ws, fd, self._owner, generation, self._closing, self.handle.done,
                             self._limits)
        try:
            self._hub.add(conn)
        except Exception as exc:  # no thread could be started: report it like a lost socket
            logger.error("could not hand the connection to the I/O hub: %s", exc)
            abort_socket(ws)
            self._tell(SocketClosed(generation, None, f"connection lost: {exc}", error=exc))
            return
        self._handed_over = True
