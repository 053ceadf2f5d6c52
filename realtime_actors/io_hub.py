"""The shared I/O hub: a few selector threads read many websocket connections.

One thread per connection stops keeping up past ~150 concurrent audio streams on two cores
(every thread fights for the GIL on every frame). The hub instead watches all sockets with one
``selectors`` loop per hub thread. When a socket is readable it reads what is buffered (the
socket is non-blocking, so a partial frame or half a TLS record simply waits for the next
round), cuts it into frames and tells the owning actor every whole message as one
:class:`~realtime_actors.messages.SocketFrames` batch. Telling is non-blocking, so a slow owner
never holds up other connections.

A hub thread starts with its first connection and exits when its last one is gone. The
modules: this one (configuration, :class:`IOHub`, the shared pool), ``io_hub_loop`` (the
thread's loop), ``io_hub_frames`` (frame parsing), ``io_hub_socket`` (non-blocking sockets that
still send like blocking ones) and ``io_hub_connect`` (the blocking handshake, on a short-lived
per-connection thread that then hands the socket over).

``REALTIME_ACTORS_IO_THREADS`` (default 1) sets how many hub threads share the connections.
"""

from __future__ import annotations

import logging
import os
import selectors
import socket
import threading
from collections.abc import Mapping

from .env_settings import int_from_env
from .errors import ConfigError
from .io_hub_frames import close_details
from .io_hub_loop import MAX_BATCH, HubConnection, HubLoop

logger = logging.getLogger(__name__)

__all__ = [
    "IO_MODES",
    "MAX_BATCH",
    "HubConnection",
    "IOHub",
    "close_details",
    "io_mode",
    "io_thread_count",
    "shared_hub",
]

IO_MODE_ENV = "REALTIME_ACTORS_IO"
"""Environment variable naming the read strategy: ``hub`` (the default and only one)."""
IO_THREADS_ENV = "REALTIME_ACTORS_IO_THREADS"
"""Environment variable setting the number of hub threads (default 1)."""
IO_MODES: tuple[str, ...] = ("hub",)
DEFAULT_IO_MODE = "hub"


def io_mode(env: Mapping[str, str] | None = None) -> str:
    """The configured read strategy (``REALTIME_ACTORS_IO``): ``hub``, the only one; blank
    means the default.

    Raises :class:`~realtime_actors.errors.ConfigError` for any other value (``thread``, one
    reader thread per connection, was removed: the hub enforces the framing rules, the size
    limit and the keepalive in one place).
    """
    value = (os.environ if env is None else env).get(IO_MODE_ENV, "").strip().lower()
    if not value:
        return DEFAULT_IO_MODE
    if value not in IO_MODES:
        raise ConfigError(f"{IO_MODE_ENV} must be {', '.join(IO_MODES)} (the one-thread-per-"
                          f"connection mode was removed), got {value!r}")
    return value


def io_thread_count(env: Mapping[str, str] | None = None) -> int:
    """The configured number of hub threads (``REALTIME_ACTORS_IO_THREADS``, default 1)."""
    return int_from_env(IO_THREADS_ENV, default=1, low=1, high=64, env=env)


class IOHub:
    """A selector thread serving any number of connections; started and stopped on demand."""

    def __init__(self, name: str = "realtime-reader-hub") -> None:
        self.name = name
        self._lock = threading.Lock()
        self._incoming: list[HubConnection] = []
        self._load = 0
        self._thread: threading.Thread | None = None
        self._wake_w: socket.socket | None = None

    @property
    def load(self) -> int:
        """Connections added and not yet finished."""
        return self._load

    @property
    def thread(self) -> threading.Thread | None:
        """The running hub thread, if any (for tests and diagnostics)."""
        return self._thread

    def add(self, conn: HubConnection) -> None:
        """Start serving ``conn`` (its socket must already be non-blocking).

        Starts the hub thread if it is not running; raises if it cannot be started.
        """
        with self._lock:
            if self._thread is not None:
                self._incoming.append(conn)
                self._load += 1
                self._wake()
                return
            selector = selectors.DefaultSelector()
            wake_r, wake_w = socket.socketpair()
            thread = threading.Thread(target=self._run, args=(selector, wake_r, wake_w),
                                      name=self.name, daemon=True)
            try:
                wake_r.setblocking(False)
                wake_w.setblocking(False)
                selector.register(wake_r, selectors.EVENT_READ, None)
                self._incoming.append(conn)
                self._load += 1
                self._thread, self._wake_w = thread, wake_w
                thread.start()
            except BaseException:
                if conn in self._incoming:
                    self._incoming.remove(conn)
                    self._load -= 1
                self._thread = self._wake_w = None
                selector.close()
                wake_r.close()
                wake_w.close()
                raise

    def _wake(self) -> None:
        """Interrupt the selector wait (called with the lock held)."""
        if self._wake_w is None:
            return
        try:
            self._wake_w.send(b"\0")
        except BlockingIOError:
            pass  # already plenty of wake-ups pending
        except OSError as exc:
            logger.warning("%s: wake-up failed: %s", self.name, exc)

    # ------------------------------------------------------------------ the hub thread
    def _run(self, selector: selectors.BaseSelector, wake_r: socket.socket,
             wake_w: socket.socket) -> None:
        loop = HubLoop(selector, self._finished)
        try:
            while True:
                with self._lock:
                    incoming, self._incoming = self._incoming, []
                    if not incoming and not loop.conns:
                        self._thread = None
                        self._wake_w = None
                        break
                for conn in incoming:
                    loop.attach(conn)
                if loop.conns:
                    loop.step(wake_r)
        except BaseException as exc:
            logger.exception("%s: I/O hub crashed; reporting its connections as lost", self.name)
            with self._lock:
                incoming, self._incoming = self._incoming, []
                self._thread = None
                self._wake_w = None
            loop.abandon([*loop.conns.values(), *incoming], exc)
            if not isinstance(exc, Exception):
                raise
        finally:
            selector.close()
            wake_r.close()
            wake_w.close()

    def _finished(self) -> None:
        with self._lock:
            self._load -= 1


_pool_lock = threading.Lock()
_pool: list[IOHub] = []


def shared_hub() -> IOHub:
    """The least-loaded of the process's shared hubs (``REALTIME_ACTORS_IO_THREADS`` of them)."""
    with _pool_lock:
        if not _pool:
            count = io_thread_count()
            _pool.extend(IOHub(f"realtime-reader-hub-{i}") for i in range(count))
        return min(_pool, key=lambda hub: hub.load)
