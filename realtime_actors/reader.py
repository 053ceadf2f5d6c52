"""The socket reader: connects, then only receives frames and tells the owning actor.

It never touches actor state: it hands frames over in batches (everything already buffered
goes into one :class:`~realtime_actors.messages.SocketFrames`), so a busy stream costs one actor
message per burst rather than one per frame, and reports the end with ``SocketClosed``.

Two strategies sit behind the same interface, chosen by ``REALTIME_ACTORS_IO``:

- ``hub`` (default): the handshake runs on a short-lived thread, then a shared selector thread
  (:mod:`realtime_actors.io_hub`) reads this connection along with many others;
- ``thread``: one daemon thread per connection connects and then blocks in ``recv``.
"""

from __future__ import annotations

import logging
import select
import threading
from collections.abc import Callable
from typing import Any, Protocol

import pykka
import websocket

from .errors import ConfigError
from .handshake_errors import handshake_failure_reason
from .io_hub import IO_MODES, MAX_BATCH, IOHub, close_details, io_mode
from .io_hub_connect import HubReader
from .messages import SocketClosed, SocketFrames, SocketOpened

logger = logging.getLogger(__name__)

__all__ = ["MAX_BATCH", "ReaderThread", "SocketReader"]


class ReaderThread(Protocol):
    """What the owner may do with ``SocketReader.thread``."""

    def join(self, timeout: float | None = None) -> None:
        """Wait for the reader to finish (at most ``timeout`` seconds)."""

    def is_alive(self) -> bool:
        """Whether the reader is still connecting or reading."""


class SocketReader:
    """Owns the blocking connect and the receiving of one connection.

    ``closing`` is set by the owner before it closes the socket, so that the end is reported
    as a requested close rather than a drop. ``mode`` overrides ``REALTIME_ACTORS_IO``;
    ``hub`` picks a specific :class:`~realtime_actors.io_hub.IOHub` (default: a shared one).
    """

    def __init__(
        self,
        owner: pykka.ActorRef[Any],
        generation: int,
        connect: Callable[[], websocket.WebSocket],
        name: str,
        *,
        mode: str | None = None,
        hub: IOHub | None = None,
    ) -> None:
        if mode is None:
            mode = io_mode()
        elif mode not in IO_MODES:
            raise ConfigError(f"reader mode must be one of {', '.join(IO_MODES)}, got {mode!r}")
        self.mode = mode
        self.closing = threading.Event()
        self._owner = owner
        self._generation = generation
        self._connect = connect
        self._hub_reader: HubReader | None = None
        self.thread: ReaderThread
        if mode == "hub":
            self._hub_reader = HubReader(owner, generation, connect, self.closing, name, hub)
            self.thread = self._hub_reader.handle
        else:
            self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start connecting in the background."""
        if self._hub_reader is not None:
            self._hub_reader.start()
        else:
            assert isinstance(self.thread, threading.Thread)
            self.thread.start()

    # ------------------------------------------------------------------ thread mode
    def _tell(self, message: object) -> bool:
        try:
            self._owner.tell(message)
        except pykka.ActorDeadError:
            logger.debug("reader owner is gone; stopping reader")
            return False
        return True

    def _run(self) -> None:
        try:
            ws = self._connect()
        except websocket.WebSocketBadStatusException as exc:
            reason = f"handshake failed: {handshake_failure_reason(exc)}"
            self._tell(SocketClosed(self._generation, None, reason,
                                    error=exc, handshake_status=exc.status_code))
            return
        except Exception as exc:  # DNS, refused, TLS, timeout: reported, never raised here
            self._tell(SocketClosed(self._generation, None, f"connect failed: {exc}", error=exc))
            return
        if not self._tell(SocketOpened(ws, self._generation)):
            ws.shutdown()
            return
        self._receive_loop(ws)

    def _receive_loop(self, ws: websocket.WebSocket) -> None:
        code: int | None = None
        reason = ""
        error: BaseException | None = None
        batch: list[bytes] = []
        try:
            while True:
                opcode, frame = ws.recv_data_frame(control_frame=False)
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    code, reason = close_details(frame.data)
                    break
                if opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
                    batch.append(frame.data if isinstance(frame.data, bytes) else bytes(frame.data))
                if len(batch) < MAX_BATCH and _has_buffered(ws):
                    continue
                if not self._tell(SocketFrames(tuple(batch), self._generation)):
                    return
                batch = []
        except websocket.WebSocketConnectionClosedException as exc:
            error = None if self.closing.is_set() else exc
            reason = "connection closed" if self.closing.is_set() else "connection dropped"
        except Exception as exc:  # a reset socket, a protocol violation by the peer
            error = None if self.closing.is_set() else exc
            reason = "closed" if self.closing.is_set() else f"connection lost: {exc}"
        finally:
            if batch:
                self._tell(SocketFrames(tuple(batch), self._generation))
        self._tell(SocketClosed(self._generation, code, reason, error=error))


def _has_buffered(ws: websocket.WebSocket) -> bool:
    """Whether another frame can be read without waiting on the network."""
    if ws.frame_buffer.recv_buffer:
        return True
    sock = ws.sock
    if sock is None:
        return False
    pending = getattr(sock, "pending", None)
    if pending is not None and pending():
        return True
    try:
        if hasattr(select, "poll"):  # no FD_SETSIZE limit
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return bool(readable)
