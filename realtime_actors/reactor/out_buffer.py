"""The outgoing side of a reactor connection: bytes waiting for room in a non-blocking socket,
and the send gauges to release once the bytes they paid for are written."""

from __future__ import annotations

import collections
import ssl
from typing import Any

WOULD_BLOCK: tuple[type[BaseException], ...] = (
    BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError)
"""The socket takes nothing now (TLS may need to read first: readability retries)."""


class OutBuffer:
    """Bytes queued for one socket, written in order (reactor thread only)."""

    __slots__ = ("_chunks", "_offset", "_queued_total", "_releases", "_written_total")

    def __init__(self) -> None:
        self._chunks: collections.deque[bytes] = collections.deque()
        self._offset = 0
        self._queued_total = 0
        self._written_total = 0
        self._releases: collections.deque[tuple[int, Any, int]] = collections.deque()

    @property
    def size(self) -> int:
        """Bytes queued and not yet written."""
        return self._queued_total - self._written_total

    def __bool__(self) -> bool:
        return bool(self._chunks)

    def append(self, data: bytes) -> None:
        """Queue ``data`` after what waits already."""
        if data:
            self._chunks.append(data)
            self._queued_total += len(data)

    def release_when_written(self, gauge: Any, cost: int) -> None:
        """Release ``cost`` on ``gauge`` once everything queued so far is written."""
        self._releases.append((self._queued_total, gauge, cost))

    def write_to(self, sock: Any) -> None:
        """Write until the socket is full or nothing waits; raises the socket's OSError."""
        chunks = self._chunks
        written = 0
        try:
            while chunks:
                chunk = chunks[0]
                offset = self._offset
                try:
                    count = sock.send(memoryview(chunk)[offset:] if offset else chunk)
                except WOULD_BLOCK:
                    break
                written += count
                if offset + count < len(chunk):
                    self._offset = offset + count  # a retry passes the same bytes again
                    break
                self._offset = 0
                chunks.popleft()
        finally:
            if written:
                self._written_total += written
                self._release_written()

    def _release_written(self) -> None:
        releases = self._releases
        done = self._written_total
        while releases and releases[0][0] <= done:
            _, gauge, cost = releases.popleft()
            gauge.release(cost)

    def discard(self) -> None:
        """Give up what waits (the connection is gone): every gauge is released."""
        releases, self._releases = self._releases, collections.deque()
        self._chunks.clear()
        self._offset = 0
        self._written_total = self._queued_total
        for _, gauge, cost in releases:
            gauge.release(cost)
