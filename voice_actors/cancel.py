"""Cancellation of one run's HTTP requests, including requests still waiting for headers.

``requests`` gives no way to interrupt a call blocked in ``recv`` while it waits for the
response headers. :class:`CancelToken` therefore opens every request on a ``requests.Session``
whose connections register their socket with the token when they connect; :meth:`CancelToken.
cancel` shuts those sockets down from the cancelling thread, which wakes the blocked reader at
once (it then fails with a connection error that the client turns into
:class:`~voice_actors.errors.VoiceCancelledError`).
"""

from __future__ import annotations

import logging
import socket
import threading
import weakref
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

from voice_actors.errors import VoiceCancelledError

logger = logging.getLogger(__name__)


class CancelToken:
    """Cancellation shared by one run: a flag, the run's open responses and its sockets."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Condition()
        self._open: set[requests.Response] = set()
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._connections = 0

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._event.is_set()

    def cancel(self) -> None:
        """Set the flag, close every open response and shut down every socket of the run.

        Safe to call from any thread and more than once. A request blocked waiting for its
        answer's headers fails at once.
        """
        with self._lock:
            self._event.set()
            responses = list(self._open)
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)
        for response in responses:
            response.close()

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds``; True when cancelled meanwhile."""
        return self._event.wait(seconds)

    def check(self) -> None:
        """Raise VoiceCancelledError when cancelled."""
        if self._event.is_set():
            raise VoiceCancelledError("the run was cancelled")

    def track(self, response: requests.Response) -> None:
        """Register an open response (closed at once when already cancelled)."""
        with self._lock:
            self._open.add(response)
            cancelled = self._event.is_set()
        if cancelled:
            response.close()

    def untrack(self, response: requests.Response) -> None:
        """Forget a response once it is done."""
        with self._lock:
            self._open.discard(response)

    def track_socket(self, sock: socket.socket) -> None:
        """Register a freshly connected socket (shut down at once when already cancelled)."""
        with self._lock:
            self._sockets.add(sock)
            self._connections += 1
            self._lock.notify_all()
            cancelled = self._event.is_set()
        if cancelled:
            _shutdown(sock)

    @property
    def connections_opened(self) -> int:
        """How many connections the run's requests opened so far."""
        with self._lock:
            return self._connections

    def wait_connections(self, count: int, timeout: float) -> bool:
        """Wait until the run opened at least ``count`` connections; False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: self._connections >= count, timeout=timeout)

    def session(self) -> requests.Session:
        """A new ``requests.Session`` whose connections this token can interrupt.

        Close it when the request is done (it is cheap: one per request, like
        ``requests.post``).
        """
        session = requests.Session()
        adapter = _CancellableAdapter(self)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError as exc:  # already closed or never fully connected
        logger.debug("cancel: socket shutdown failed: %s", exc)


class _TrackingMixin:
    """Registers the connection's socket with a :class:`CancelToken` once it is connected."""

    sock: Any

    def __init__(self, *args: Any, cancel_token: CancelToken, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cancel_token = cancel_token

    def connect(self) -> None:
        """Connect (TCP, and TLS for https), then let the token shut the socket down."""
        super().connect()  # type: ignore[misc]
        if self.sock is not None:
            self._cancel_token.track_socket(self.sock)


class _TrackedHTTPConnection(_TrackingMixin, HTTPConnection):
    """An urllib3 connection that registers its socket with a :class:`CancelToken`."""


class _TrackedHTTPSConnection(_TrackingMixin, HTTPSConnection):
    """The TLS variant of :class:`_TrackedHTTPConnection`."""


class _TrackedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _TrackedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


class _TrackingPoolManager(PoolManager):
    """A PoolManager whose pools create token-tracked connections."""

    def __init__(self, *args: Any, cancel_token: CancelToken, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cancel_token = cancel_token
        self.pool_classes_by_scheme = {"http": _TrackedHTTPPool, "https": _TrackedHTTPSPool}

    def _new_pool(
        self,
        scheme: str,
        host: str,
        port: int,
        request_context: dict[str, Any] | None = None,
    ) -> HTTPConnectionPool:
        pool = super()._new_pool(scheme, host, port, request_context)
        pool.conn_kw["cancel_token"] = self._cancel_token
        return pool


class _CancellableAdapter(HTTPAdapter):
    """An HTTPAdapter using a :class:`_TrackingPoolManager` (proxies are not tracked)."""

    def __init__(self, token: CancelToken) -> None:
        self._cancel_token = token
        super().__init__()

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        """Create the tracking pool manager (same arguments as ``HTTPAdapter``)."""
        self._pool_connections = connections
        self._pool_maxsize = maxsize
        self._pool_block = block
        self.poolmanager = _TrackingPoolManager(
            num_pools=connections,
            maxsize=maxsize,
            block=block,
            cancel_token=self._cancel_token,
            **pool_kwargs,
        )
