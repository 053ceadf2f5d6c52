"""Cancellation of one run's HTTP requests, including requests still waiting for headers.

``requests`` gives no way to interrupt a call blocked in ``recv`` while it waits for the
response headers. A :class:`CancelToken` therefore knows the sockets its requests use:
:meth:`CancelToken.cancel` shuts them down from the cancelling thread, which wakes the blocked
reader at once (it then fails with a connection error that the client turns into
:class:`~voice_actors.errors.VoiceCancelledError`).

Connections come from a keep-alive session (:func:`pooled_session`) shared by every run of a
pipeline. A connection belongs to a token only while a request holds it: the pool *attaches* it
to the token bound by the requesting thread (:meth:`CancelToken.bind`) when the request takes
it, and *detaches* it when the response gives it back. So cancelling a run never touches a
connection another run uses, and a connection given back by a cancelled request is closed
instead of being reused half-read.
"""

from __future__ import annotations

import contextlib
import contextvars
import http.cookiejar
import logging
import socket
import threading
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

from realtime_actors.errors import ConfigError
from voice_actors.errors import VoiceCancelledError

logger = logging.getLogger(__name__)

POLL_S = 0.2
"""How long a thread of a run blocks (on a queue or a condition) before it checks again
whether the run was cancelled (or its actor is gone)."""

_BOUND: contextvars.ContextVar[CancelToken | None] = contextvars.ContextVar(
    "voice_actors_cancel_token", default=None
)
"""The token whose requests the current thread is sending (see :meth:`CancelToken.bind`)."""
_TCP_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)
"""Linux only; elsewhere connections keep the system's ACK behaviour."""


class CancelToken:
    """Cancellation shared by one run: a flag, the run's open responses and its sockets."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Condition()
        self._open: set[requests.Response] = set()
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._opened = 0
        self._used = 0

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._event.is_set()

    def cancel(self) -> None:
        """Set the flag, shut down every socket the run's requests hold, close its responses.

        Safe to call from any thread and more than once. A request blocked waiting for its
        answer's headers fails at once.
        """
        with self._lock:
            self._event.set()
            responses = list(self._open)
            # Under the lock: a socket detached meanwhile (given back to the pool, maybe
            # taken by another run) is never shut down by this token.
            for sock in list(self._sockets):
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

    @contextlib.contextmanager
    def bind(self) -> Iterator[CancelToken]:
        """Within the block, connections that this thread's requests take from a
        :func:`pooled_session` belong to this token until they are given back."""
        reset = _BOUND.set(self)
        try:
            yield self
        finally:
            _BOUND.reset(reset)

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

    def track_socket(self, sock: socket.socket, *, opened: bool = True) -> None:
        """Register a socket a request of the run holds (shut down at once when cancelled).

        ``opened`` says it was just connected (counted by :attr:`connections_opened`) rather
        than taken connected from a pool.
        """
        with self._lock:
            self._sockets.add(sock)
            if opened:
                self._opened += 1
            if self._event.is_set():
                _shutdown(sock)

    def untrack_socket(self, sock: socket.socket) -> None:
        """Forget a socket given back by the run: cancelling no longer shuts it down."""
        with self._lock:
            self._sockets.discard(sock)

    def _connection_taken(self) -> None:
        with self._lock:
            self._used += 1
            self._lock.notify_all()

    @property
    def connections_opened(self) -> int:
        """How many new connections the run's requests opened so far."""
        with self._lock:
            return self._opened

    @property
    def connections_used(self) -> int:
        """How many times a request of the run took a connection (new or kept alive)."""
        with self._lock:
            return self._used

    def wait_connections(self, count: int, timeout: float) -> bool:
        """Wait until the run's requests took at least ``count`` connections (new or kept
        alive, see :attr:`connections_used`); False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: self._used >= count, timeout=timeout)

    def session(self) -> requests.Session:
        """A new ``requests.Session`` whose every request belongs to this token.

        For one-off use (close it when done); pipelines share a :func:`pooled_session`.
        """
        return _session(_CancellableAdapter(self))


def pooled_session(*, maxsize: int) -> requests.Session:
    """A keep-alive ``requests.Session`` keeping up to ``maxsize`` idle connections per host.

    A request's connection belongs to the :class:`CancelToken` its thread bound
    (:meth:`CancelToken.bind`) while the request holds it. Cookies are not kept between
    requests. Close the session to close its connections.
    """
    if isinstance(maxsize, bool) or not isinstance(maxsize, int) or maxsize < 1:
        raise ConfigError(f"maxsize must be a positive int, got {maxsize!r}")
    return _session(_CancellableAdapter(None, maxsize=maxsize))


def _session(adapter: _CancellableAdapter) -> requests.Session:
    session = requests.Session()
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _quick_ack(sock: socket.socket) -> None:
    """Leave Linux's delayed-ACK "ping-pong" mode on a kept-alive connection.

    Having just sent a request right after reading the previous answer, the kernel delays its
    ACKs (by up to 40 ms) hoping to piggy-back them on more data. A server without
    ``TCP_NODELAY`` that writes the answer's headers and body separately then holds the body
    (Nagle) until that delayed ACK: +40 ms per request on a reused connection, which a new
    connection (in quick-ACK mode at its start) does not pay.
    """
    if _TCP_QUICKACK is None or not isinstance(sock, socket.socket):  # e.g. TLS-in-TLS
        return
    try:
        sock.setsockopt(socket.IPPROTO_TCP, _TCP_QUICKACK, 1)
    except OSError as exc:  # closed meanwhile (cancelled)
        logger.debug("TCP_QUICKACK not set: %s", exc)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError as exc:  # already closed or never fully connected
        logger.debug("cancel: socket shutdown failed: %s", exc)


if TYPE_CHECKING:  # what the mixins below extend, for their super() calls
    from urllib3._base_connection import BaseHTTPConnection

    _ConnectionBase = HTTPConnection
    _PoolBase = HTTPConnectionPool
else:
    _ConnectionBase = _PoolBase = object


class _TrackingMixin(_ConnectionBase):
    """A connection that, while a request holds it, lets that request's token shut it down."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._token: CancelToken | None = None
        self._tracked: socket.socket | None = None

    def attach(self, token: CancelToken) -> None:
        """The connection now serves a request of ``token``'s run."""
        self._token = token
        token._connection_taken()
        if self.sock is not None:
            self._track(self.sock, opened=False)

    def detach(self) -> bool:
        """The request gave the connection back; True when its run was cancelled meanwhile."""
        token, sock = self._token, self._tracked
        self._token = self._tracked = None
        if token is None:
            return False
        if sock is not None:
            token.untrack_socket(sock)
        return token.cancelled

    def connect(self) -> None:
        """Connect (TCP, and TLS for https), then let the holding token shut the socket down."""
        super().connect()
        if self.sock is not None and self._token is not None:
            self._track(self.sock, opened=True)

    def getresponse(self) -> Any:
        """Wait for the answer, acknowledging its segments at once (see :func:`_quick_ack`)."""
        if self.sock is not None:
            _quick_ack(self.sock)
        return super().getresponse()

    def _track(self, sock: socket.socket, *, opened: bool) -> None:
        assert self._token is not None
        if self._tracked is not None and self._tracked is not sock:
            self._token.untrack_socket(self._tracked)
        self._tracked = sock
        self._token.track_socket(sock, opened=opened)


class _TrackedHTTPConnection(_TrackingMixin, HTTPConnection):
    """An urllib3 connection that a :class:`CancelToken` can shut down."""


class _TrackedHTTPSConnection(_TrackingMixin, HTTPSConnection):
    """The TLS variant of :class:`_TrackedHTTPConnection`."""


class _TrackingPoolMixin(_PoolBase):
    """A connection pool attaching each connection it hands out to the request's token."""

    fixed_token: CancelToken | None = None

    def _get_conn(self, timeout: float | None = None) -> BaseHTTPConnection:
        conn = super()._get_conn(timeout)
        token = self.fixed_token if self.fixed_token is not None else _BOUND.get()
        if token is not None and isinstance(conn, _TrackingMixin):  # ConnectionCls: always
            conn.attach(token)
        return conn

    def _put_conn(self, conn: BaseHTTPConnection | None) -> None:
        if isinstance(conn, _TrackingMixin) and conn.detach():
            # Given back by a cancelled request: its socket may be shut down or half-read.
            logger.debug("closing a connection given back by a cancelled request")
            conn.close()
        pool = self.pool
        if conn is not None and pool is not None and pool.full():
            # More requests at once than the pool keeps: close the extra connection quietly.
            conn.close()
            return
        super()._put_conn(conn)


class _TrackedHTTPPool(_TrackingPoolMixin, HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _TrackedHTTPSPool(_TrackingPoolMixin, HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


class _TrackingPoolManager(PoolManager):
    """A PoolManager whose pools hand out token-tracked connections."""

    def __init__(self, *args: Any, fixed_token: CancelToken | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fixed_token = fixed_token
        self.pool_classes_by_scheme = {"http": _TrackedHTTPPool, "https": _TrackedHTTPSPool}

    def _new_pool(
        self,
        scheme: str,
        host: str,
        port: int,
        request_context: dict[str, Any] | None = None,
    ) -> HTTPConnectionPool:
        pool = super()._new_pool(scheme, host, port, request_context)
        if isinstance(pool, _TrackingPoolMixin):
            pool.fixed_token = self._fixed_token
        return pool


class _CancellableAdapter(HTTPAdapter):
    """An HTTPAdapter using a :class:`_TrackingPoolManager` (proxies are not tracked).

    With a ``token``, every connection belongs to it; without, to the token bound by the
    requesting thread.
    """

    def __init__(self, token: CancelToken | None, *, maxsize: int = 10) -> None:
        self._fixed_token = token
        super().__init__(pool_connections=4, pool_maxsize=maxsize)

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
            fixed_token=self._fixed_token,
            **pool_kwargs,
        )
