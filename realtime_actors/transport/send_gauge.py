"""The outgoing high-water mark: bytes handed to a connection and not yet written.

The session tells its connection frames to send; a connection that cannot write (a slow or
stalled peer) would otherwise let them pile up without bound (in the connection actor's inbox
and in its buffer of unwritten bytes). A :class:`SendGauge` counts them (an estimate made
once per frame, the same number added when told and released when written or given up), and
a send beyond ``limit`` is refused at the call with a typed error.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from typing import Any

FRAME_OVERHEAD = 128
"""Bytes counted per frame on top of its audio (type, event id, JSON, websocket header)."""


def frame_cost(frame: Mapping[str, Any]) -> int:
    """The bytes a client event costs on the wire: its base64 audio for an append (the hot
    path, not encoded twice), else its JSON length."""
    audio = frame.get("audio")
    if isinstance(audio, str):
        return FRAME_OVERHEAD + len(audio)
    try:
        return FRAME_OVERHEAD + len(json.dumps(frame, separators=(",", ":")))
    except (TypeError, ValueError):
        return FRAME_OVERHEAD  # the connection reports the encoding failure


def append_cost(pcm_bytes: int) -> int:
    """:func:`frame_cost` of the append of ``pcm_bytes`` bytes of audio (base64 grows 4/3)."""
    return FRAME_OVERHEAD + 4 * ((pcm_bytes + 2) // 3)


def frames_cost(frames: Iterable[Mapping[str, Any]]) -> int:
    """:func:`frame_cost` summed."""
    total = 0
    for frame in frames:
        total += frame_cost(frame)
    return total


class SendGauge:
    """Bytes accepted for sending and not yet written (thread-safe)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)
        self._bytes = 0

    @property
    def value(self) -> int:
        """Bytes outstanding now."""
        return self._bytes

    def full(self) -> bool:
        """Whether the high-water mark is reached (new sends must be refused)."""
        return self._bytes >= self.limit

    def add(self, n: int) -> None:
        """``n`` more bytes were handed to the connection."""
        with self._lock:
            self._bytes += n

    def release(self, n: int) -> None:
        """``n`` bytes were written (or given up with their connection)."""
        with self._lock:
            full = self._bytes >= self.limit
            self._bytes = max(0, self._bytes - n)
            if full and self._bytes < self.limit:
                self._room.notify_all()

    def reset(self) -> None:
        """The connection is gone: nothing is outstanding on it any more."""
        with self._lock:
            self._bytes = 0
            self._room.notify_all()

    def wait_room(self, timeout: float) -> bool:
        """Wait until a send would be accepted; False after ``timeout`` seconds."""
        with self._lock:
            return self._room.wait_for(lambda: self._bytes < self.limit, timeout)


def overflow_message(gauge: SendGauge, call: str) -> str:
    """The text of the error refusing ``call`` because ``gauge`` is full."""
    return (f"{gauge.value} bytes are waiting to be written to the connection, at or over its "
            f"limit of {gauge.limit} (ModelConfig.send_buffer_bytes); {call} was refused")
