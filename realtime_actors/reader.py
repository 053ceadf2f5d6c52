"""The socket reader: connects, then only receives frames and tells the owning actor.

One daemon thread per connection. It never touches actor state: it hands frames over in
batches (everything already buffered is drained into one message), so a busy stream costs
one actor message per burst rather than one per frame.
"""

from __future__ import annotations

import logging
import select
import threading
from collections.abc import Callable
from typing import Any

import pykka
import websocket

from .messages import SocketClosed, SocketFrames, SocketOpened

logger = logging.getLogger(__name__)

MAX_BATCH = 256


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
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return bool(readable)


class SocketReader:
    """Owns the blocking connect and receive loop of one connection."""

    def __init__(
        self,
        owner: pykka.ActorRef[Any],
        generation: int,
        connect: Callable[[], websocket.WebSocket],
        name: str,
    ) -> None:
        self._owner = owner
        self._generation = generation
        self._connect = connect
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start connecting in the background."""
        self.thread.start()

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
            self._tell(SocketClosed(self._generation, None, f"handshake failed: {exc}",
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
                    code, reason = _close_details(frame.data)
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


def _close_details(data: bytes) -> tuple[int | None, str]:
    if len(data) < 2:
        return 1005, ""
    code = int.from_bytes(data[:2], "big")
    return code, data[2:].decode("utf-8", errors="replace")
