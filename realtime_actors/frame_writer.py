"""Writing client frames: JSON events to masked WebSocket text frames, several per write.

websocket-client builds each frame through an ``ABNF`` object and masks it with a pure-Python
XOR unless the optional ``wsaccel`` is installed; it writes frame by frame. This module encodes
appends with orjson and other events with one reusable JSON encoder, masks with the C
``apply_mask`` of ``websockets`` (already a dependency, for the simulator), and hands a batch of
frames to the socket in one write, under the websocket's own send lock so it never interleaves
with websocket-client's control frames.
Masking follows RFC 6455 section 5.3: a fresh, unpredictable key for every frame, drawn from
``os.urandom`` 4 KiB at a time (one ``getrandom`` call, which releases the GIL, per 1,024
frames instead of per frame), or from the websocket's ``get_mask_key`` hook when one is set.
"""

from __future__ import annotations

import json
import os
import struct
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
import websocket

from .io_hub_socket import WOULD_BLOCK, WaitingSender, send_all

try:
    from websockets.speedups import apply_mask as _apply_mask
except ImportError:  # pure-Python build of websockets
    from websockets.utils import apply_mask as _apply_mask

OPCODE_TEXT = 0x1

_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
_SHORT = struct.Struct("!BB")
_MEDIUM = struct.Struct("!BBH")
_LONG = struct.Struct("!BBQ")


class MaskKeys:
    """Unpredictable 4-byte mask keys, read from ``os.urandom`` in blocks; thread-safe."""

    def __init__(self, block: int = 4096) -> None:
        self._block = block - block % 4
        self._lock = threading.Lock()
        self._data = b""
        self._offset = 0

    def __call__(self, n: int = 4) -> bytes:
        """``n`` fresh random bytes (never handed out twice)."""
        with self._lock:
            if self._offset + n > len(self._data):
                self._data = os.urandom(max(self._block, n))
                self._offset = 0
            start = self._offset
            self._offset = start + n
            return self._data[start:start + n]


random_mask_key = MaskKeys()
"""The process-wide source of mask keys."""


_APPEND = "input_audio_buffer.append"


def encode_event(event: Mapping[str, Any]) -> bytes:
    """One client event as compact JSON (UTF-8); ``TypeError``/``ValueError`` when it cannot
    be encoded (NaN and infinities are refused, as the server would).

    The hot path, every ``input_audio_buffer.append``, is encoded by orjson (25 times faster
    than the stdlib encoder on a 40 ms append): its fields are ASCII strings, for which
    orjson's output is the stdlib's byte for byte. Everything else (rare, and where NaN must
    be refused) goes through the stdlib encoder."""
    if event.get("type") == _APPEND:
        for value in event.values():
            if type(value) is not str or not value.isascii():
                break
        else:
            return orjson.dumps(event)
    return _ENCODER.encode(event).encode("utf-8")


def client_frame(payload: bytes, opcode: int = OPCODE_TEXT,
                 mask_key: Callable[[int], bytes] = random_mask_key) -> bytes:
    """A final, masked client frame carrying ``payload``."""
    length = len(payload)
    first = 0x80 | opcode
    if length < 126:
        header = _SHORT.pack(first, 0x80 | length)
    elif length < 1 << 16:
        header = _MEDIUM.pack(first, 0x80 | 126, length)
    else:
        header = _LONG.pack(first, 0x80 | 127, length)
    key = mask_key(4)
    return b"".join((header, key, _apply_mask(payload, key)))


def write_frames(ws: websocket.WebSocket, frames: Sequence[bytes | memoryview]) -> None:
    """Write already built frames in one go on ``ws``'s socket, under its send lock.

    Raises ``websocket.WebSocketConnectionClosedException`` when the socket is gone, and the
    socket's error (or a timeout) when the write fails.
    """
    with ws.lock:
        write_holding_lock(ws, frames)


def write_holding_lock(ws: websocket.WebSocket, frames: Sequence[bytes | memoryview]) -> None:
    """:func:`write_frames` for a caller that already holds ``ws.lock``."""
    sock = ws.sock
    if sock is None or not ws.connected:
        raise websocket.WebSocketConnectionClosedException("socket is already closed.")
    data = frames[0] if len(frames) == 1 else b"".join(frames)
    if isinstance(ws.dispatcher, WaitingSender):  # the hub made the socket non-blocking
        timeout = ws.gettimeout()
        send_all(sock, data, None if timeout is None else time.monotonic() + timeout)
    else:
        sock.sendall(data)


def mask_key_of(ws: websocket.WebSocket) -> Callable[[int], bytes]:
    """The websocket's mask-key hook when it has one, else :data:`random_mask_key`."""
    hook = ws.get_mask_key
    return hook if hook is not None else random_mask_key


def send_nowait(sock: Any, data: bytes | memoryview) -> int:
    """One non-blocking write attempt: the bytes written, 0 when the socket has no room (for
    TLS the same ``data`` must then be written again, as :func:`send_all` does)."""
    try:
        return int(sock.send(data))
    except WOULD_BLOCK:
        return 0


def can_send_nowait(ws: websocket.WebSocket) -> bool:
    """Whether ``ws``'s socket is non-blocking (handed to the I/O hub), so that
    :func:`send_nowait` applies."""
    return isinstance(ws.dispatcher, WaitingSender) and ws.sock is not None
