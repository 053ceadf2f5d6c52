"""Incremental parsing of server-to-client websocket frames for the I/O hub.

The hub reads whatever bytes a non-blocking socket has (``recv_into`` a reusable buffer, so one
system call usually brings several frames) and this parser cuts them into frames, keeping a
partial frame until the rest arrives. It is RFC 6455 framing only: no extensions are
negotiated, so reserved bits must be clear. Text payloads are not checked for UTF-8 here (the
protocol core reports bad UTF-8 as a protocol error, like ``skip_utf8_validation``).
"""

from __future__ import annotations

import websocket

OP_CONT = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA
_KNOWN_OPCODES = frozenset((OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG))

MAX_MESSAGE_BYTES = 256 * 1024 * 1024
"""A frame or fragmented message larger than this is a protocol error (memory guard)."""


class FrameProtocolError(websocket.WebSocketProtocolException):
    """The server broke the websocket framing rules."""


class FrameParser:
    """Cuts a byte stream into frames; reassembles fragmented messages.

    :meth:`next_frame` returns ``(opcode, payload)`` for each whole message (``OP_TEXT`` or
    ``OP_BINARY``) or control frame, or ``None`` when the buffer holds no complete frame yet.
    """

    __slots__ = ("_buf", "_fragments", "_fragments_size")

    def __init__(self, initial: bytes = b"") -> None:
        self._buf = bytearray(initial)
        self._fragments: list[bytes] | None = None
        self._fragments_size = 0

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Append bytes read from the socket."""
        self._buf += data

    @property
    def buffered(self) -> int:
        """Bytes received and not yet returned as frames."""
        return len(self._buf)

    def next_frame(self) -> tuple[int, bytes] | None:
        """The next whole message or control frame, or ``None`` if more bytes are needed.

        Raises :class:`FrameProtocolError` for a frame that breaks the framing rules.
        """
        while True:
            frame = self._cut()
            if frame is None:
                return None
            fin, opcode, payload = frame
            if opcode >= OP_CLOSE:  # control frames may come between fragments
                return opcode, payload
            message = self._assemble(fin, opcode, payload)
            if message is not None:
                return message

    def ready(self) -> bool:
        """Whether a whole frame is buffered."""
        head = self._head()
        return head is not None and len(self._buf) >= head[0] + head[1]

    def _head(self) -> tuple[int, int] | None:
        """Header size (mask included) and payload length of the next frame, if known."""
        buf = self._buf
        size = len(buf)
        if size < 2:
            return None
        b1 = buf[1]
        length = b1 & 0x7F
        pos = 2
        if length == 126:
            if size < 4:
                return None
            length = int.from_bytes(buf[2:4], "big")
            pos = 4
        elif length == 127:
            if size < 10:
                return None
            length = int.from_bytes(buf[2:10], "big")
            pos = 10
        return (pos + 4 if b1 & 0x80 else pos), length

    def _cut(self) -> tuple[bool, int, bytes] | None:
        head = self._head()
        if head is None:
            return None
        pos, length = head
        buf = self._buf
        b0 = buf[0]
        opcode = b0 & 0x0F
        if b0 & 0x70:
            raise FrameProtocolError("reserved bits set without a negotiated extension")
        if opcode not in _KNOWN_OPCODES:
            raise FrameProtocolError(f"unknown opcode {opcode:#x}")
        if opcode >= OP_CLOSE and (length > 125 or not b0 & 0x80):
            raise FrameProtocolError("control frame fragmented or longer than 125 bytes")
        if opcode == OP_CLOSE and length == 1:
            raise FrameProtocolError("close frame with a one-byte payload")
        if length > MAX_MESSAGE_BYTES:
            raise FrameProtocolError(f"frame of {length} bytes exceeds the size limit")
        end = pos + length
        if len(buf) < end:
            return None
        payload = bytes(buf[pos:end])
        masked = buf[1] & 0x80  # servers must not mask, but unmasking costs nothing to support
        if masked:
            mask = bytes(buf[pos - 4:pos])
        del buf[:end]
        if masked:
            payload = _unmask(mask, payload)
        return bool(b0 & 0x80), opcode, payload

    def _assemble(self, fin: bool, opcode: int, payload: bytes) -> tuple[int, bytes] | None:
        if opcode != OP_CONT:
            if self._fragments is not None:
                raise FrameProtocolError("a new message started before the fragmented one ended")
            if fin:
                return opcode, payload
            self._fragments = [bytes([opcode]), payload]
            self._fragments_size = len(payload)
            return None
        if self._fragments is None:
            raise FrameProtocolError("continuation frame without a message to continue")
        self._fragments.append(payload)
        self._fragments_size += len(payload)
        if self._fragments_size > MAX_MESSAGE_BYTES:
            raise FrameProtocolError("fragmented message exceeds the size limit")
        if not fin:
            return None
        first, *parts = self._fragments
        self._fragments = None
        self._fragments_size = 0
        return first[0], b"".join(parts)


def _unmask(mask: bytes, payload: bytes) -> bytes:
    count = len(payload)
    key = int.from_bytes((mask * (count // 4 + 1))[:count], "big")
    return (int.from_bytes(payload, "big") ^ key).to_bytes(count, "big")


def close_details(data: bytes) -> tuple[int | None, str]:
    """Close code and reason of a close frame's payload (1005 when it carries no code)."""
    if len(data) < 2:
        return 1005, ""
    code = int.from_bytes(data[:2], "big")
    return code, data[2:].decode("utf-8", errors="replace")
