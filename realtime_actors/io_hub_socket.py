"""Socket helpers of the shared I/O hub: non-blocking sockets that still send like blocking ones.

A connection handed to the hub has its socket switched to non-blocking mode, so the hub thread
can read whatever is buffered and move on (a partial frame, or a TLS record that is only half
there, never stalls it). The owner keeps sending through websocket-client as before: the
websocket's ``dispatcher`` hook is set to :class:`WaitingSender`, which waits for room in the
send buffer the way a blocking socket does, bounded by the websocket's own timeout.
"""

from __future__ import annotations

import logging
import select
import socket
import ssl
import time
from typing import Any

import websocket

logger = logging.getLogger(__name__)

WOULD_BLOCK: tuple[type[BaseException], ...] = (
    BlockingIOError,
    ssl.SSLWantReadError,
    ssl.SSLWantWriteError,
)
"""Exceptions a non-blocking read or write raises when it would have to wait."""

_SSL_RETRY_CAP_S = 0.05
"""How long a send waits before retrying after TLS asked to read first (a key update)."""


class SocketTimeoutError(websocket.WebSocketTimeoutException):
    """A send could not complete within the websocket's timeout."""


def wait_socket(sock: Any, *, write: bool, deadline: float | None,
                cap: float | None = None) -> None:
    """Wait until ``sock`` is writable (or readable), until ``deadline`` (monotonic) at most.

    Raises :class:`SocketTimeoutError` when the deadline has already passed. Uses ``poll``
    where available, so descriptors above 1023 work.
    """
    timeout: float | None = None
    if deadline is not None:
        timeout = deadline - time.monotonic()
        if timeout <= 0:
            raise SocketTimeoutError("send timed out waiting for room in the socket buffer")
    if cap is not None:
        timeout = cap if timeout is None else min(timeout, cap)
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLOUT if write else select.POLLIN)
        poller.poll(None if timeout is None else max(0, int(timeout * 1000) + 1))
        return
    wanted = [sock]
    if write:
        select.select([], wanted, wanted, timeout)
    else:
        select.select(wanted, [], wanted, timeout)


def send_some(sock: Any, data: bytes | memoryview, deadline: float | None) -> int:
    """Send part of ``data`` on a non-blocking socket, waiting for room until ``deadline``.

    Returns how many bytes went out (at least one). TLS needs a retried write to pass the
    same data again, which this does: it only returns after a write succeeded.
    """
    while True:
        try:
            return int(sock.send(data))
        except ssl.SSLEOFError as exc:
            raise websocket.WebSocketConnectionClosedException(
                "socket is already closed.") from exc
        except ssl.SSLWantReadError:
            wait_socket(sock, write=False, deadline=deadline, cap=_SSL_RETRY_CAP_S)
        except (BlockingIOError, ssl.SSLWantWriteError):
            wait_socket(sock, write=True, deadline=deadline)


def send_all(sock: Any, data: bytes, deadline: float | None) -> None:
    """Send every byte of ``data`` on a non-blocking socket, waiting until ``deadline``."""
    view = memoryview(data)
    while view:
        view = view[send_some(sock, view, deadline):]


class WaitingSender:
    """websocket-client ``dispatcher`` for a socket the hub made non-blocking.

    websocket-client routes every frame it writes (``send``, ``send_close``, ``ping``...)
    through ``dispatcher.send(sock, data)``; this one waits for buffer space like a blocking
    socket would, for at most the websocket's timeout (``None``: no limit).
    """

    def __init__(self, ws: websocket.WebSocket) -> None:
        self._ws = ws

    def send(self, sock: socket.socket, data: bytes | str) -> int:
        """Write part of ``data``; returns the number of bytes written."""
        payload = data.encode("utf-8") if isinstance(data, str) else data
        timeout = self._ws.gettimeout()
        deadline = None if timeout is None else time.monotonic() + timeout
        return send_some(sock, payload, deadline)


def make_non_blocking(ws: websocket.WebSocket) -> int:
    """Route ``ws``'s sends through a :class:`WaitingSender`, then make its socket non-blocking.

    Returns the socket's file descriptor. Raises
    ``websocket.WebSocketConnectionClosedException`` when the socket is already gone.
    """
    sock = ws.sock
    if sock is None or sock.fileno() < 0:
        raise websocket.WebSocketConnectionClosedException("socket is already closed.")
    ws.dispatcher = WaitingSender(ws)
    sock.setblocking(False)
    return int(sock.fileno())


def try_send_control(ws: websocket.WebSocket, opcode: int, payload: bytes,
                     timeout_s: float) -> bool | None:
    """Write one control frame (pong, close) from the hub thread without waiting on a sender.

    Returns ``None`` when another thread is sending on this websocket right now (try again
    later), ``True`` when the frame went out, ``False`` when writing failed (the socket is then
    shut down so the next read reports the loss).
    """
    lock = ws.lock
    acquire = getattr(lock, "acquire", None)
    if acquire is not None and not acquire(blocking=False):
        return None
    try:
        frame = websocket.ABNF.create_frame(payload, opcode)
        if ws.get_mask_key:
            frame.get_mask_key = ws.get_mask_key
        sock = ws.sock
        if sock is None:
            return False
        send_all(sock, frame.format(), time.monotonic() + timeout_s)
        return True
    except Exception as exc:  # a reset or timed-out socket: the read path reports it
        logger.debug("control frame (opcode %d) not sent: %s", opcode, exc)
        abort_socket(ws)
        return False
    finally:
        release = getattr(lock, "release", None)
        if acquire is not None and release is not None:
            release()


def abort_socket(ws: websocket.WebSocket) -> None:
    """Shut the socket down both ways (wakes any reader); the descriptor stays open."""
    sock = ws.sock
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError as exc:
        logger.debug("socket shutdown failed: %s", exc)
