"""Incremental parsing of server-to-client websocket frames for the I/O hub.

The hub reads whatever bytes a non-blocking socket has (``recv_into`` a reusable buffer, so one
system call usually brings several frames) and this parser cuts them into frames, keeping a
partial frame until the rest arrives. It is RFC 6455 framing only: no extensions are
negotiated, so reserved bits must be clear. Text payloads are not checked for UTF-8 here (the
protocol core reports bad UTF-8 as a protocol error, like ``skip_utf8_validation``).
"""

from __future__ import annotations

import websocket

from .transport_limits import DEFAULT_MAX_MESSAGE_BYTES

OP_CONT = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA
_KNOWN_OPCODES = frozenset((OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG))

MAX_MESSAGE_BYTES = DEFAULT_MAX_MESSAGE_BYTES
"""Default bound of a frame or fragmented message (``ModelConfig.max_message_bytes``)."""

CLOSE_PROTOCOL_ERROR = 1002
CLOSE_INVALID_DATA = 1007
CLOSE_TOO_BIG = 1009
_NEVER_ON_THE_WIRE = frozenset({1004, 1005, 1006, 1015})


class FrameProtocolError(websocket.WebSocketProtocolException):
    """The server broke the websocket rules; ``close_code`` is what we close with (1002
    protocol error, 1007 invalid data, 1009 message too big)."""

    def __init__(self, message: str, close_code: int = CLOSE_PROTOCOL_ERROR) -> None:
        super().__init__(message)
        self.close_code = close_code


class FrameParser:
    """Cuts a byte stream into frames; reassembles fragmented messages.

    :meth:`next_frame` returns ``(opcode, payload)`` for each whole message (``OP_TEXT`` or
    ``OP_BINARY``) or control frame, or ``None`` when the buffer holds no complete frame yet.

    Bytes are kept as one immutable buffer and a read offset into it: a frame costs one slice
    (its payload) and no shifting of the buffer. A read is joined to the unread rest of the
    buffer (a partial frame) at once when it is the larger of the two (so no more bytes are
    copied again than were read); smaller reads wait in a list, joined once when the frame
    they belong to is whole (a large frame arriving in many small reads is copied once, not
    once per read).
    """

    __slots__ = ("_buf", "_fragments", "_fragments_size", "_pos", "_tail", "_tail_size",
                 "max_message_bytes")

    def __init__(self, initial: bytes = b"", max_message_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self.max_message_bytes = max_message_bytes
        self._buf = bytes(initial)
        self._pos = 0
        self._tail: list[bytes] = []
        self._tail_size = 0
        self._fragments: list[bytes] | None = None
        self._fragments_size = 0

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Append bytes read from the socket (copied: the caller may reuse its buffer)."""
        if not self._tail:
            unread = len(self._buf) - self._pos
            if not unread:
                self._buf = bytes(data)
                self._pos = 0
                return
            if unread < len(data):
                # the rest of a partial frame and a larger read: one join, and no more bytes
                # copied again than were read (a large frame arriving in small reads waits in
                # the tail instead)
                self._buf = b"".join((memoryview(self._buf)[self._pos:], data))
                self._pos = 0
                return
        if data:
            chunk = bytes(data)
            self._tail.append(chunk)
            self._tail_size += len(chunk)

    @property
    def buffered(self) -> int:
        """Bytes received and not yet returned as frames."""
        return len(self._buf) - self._pos + self._tail_size

    def next_frame(self) -> tuple[int, bytes] | None:
        """The next whole message or control frame, or ``None`` if more bytes are needed.

        Raises :class:`FrameProtocolError` for a frame that breaks the framing rules.
        """
        while True:
            buf = self._buf
            pos = self._pos
            avail = len(buf) - pos
            if avail < 2:
                if self._gather(2):
                    continue
                return None
            b0 = buf[pos]
            b1 = buf[pos + 1]
            length = b1 & 0x7F
            start = pos + 2
            if length > 125:
                start = pos + (4 if length == 126 else 10)
                if len(buf) < start:
                    if self._gather(start - pos):
                        continue
                    return None
                length = int.from_bytes(buf[pos + 2:start], "big")
            if b0 not in {0x81, 0x82}:  # anything but a whole text or binary frame
                _check_header(b0, length)
            if length > self.max_message_bytes:
                raise FrameProtocolError(
                    f"frame of {length} bytes exceeds the size limit of "
                    f"{self.max_message_bytes} bytes", CLOSE_TOO_BIG)
            if b1 & 0x80:
                raise FrameProtocolError("the server masked a frame (RFC 6455 5.1)")
            end = start + length
            if len(buf) < end:
                if self._gather(end - pos):
                    continue
                return None
            payload = buf[start:end]
            self._pos = end
            if b0 in {0x81, 0x82}:  # a whole text or binary frame (FIN, no RSV bits)
                if self._fragments is not None:
                    raise FrameProtocolError(
                        "a new message started before the fragmented one ended")
                return b0 & 0x0F, payload
            opcode = b0 & 0x0F
            if opcode >= OP_CLOSE:  # control frames may come between fragments
                return opcode, payload
            message = self._assemble(bool(b0 & 0x80), opcode, payload)
            if message is not None:
                return message

    def ready(self) -> bool:
        """Whether a whole frame is buffered."""
        while True:
            buf = self._buf
            pos = self._pos
            avail = len(buf) - pos
            need = 2
            if avail >= 2:
                b1 = buf[pos + 1]
                length = b1 & 0x7F
                need = 2 if length < 126 else 4 if length == 126 else 10
                if avail >= need:
                    if need > 2:
                        length = int.from_bytes(buf[pos + 2:pos + need], "big")
                    return self.buffered >= need + length
            if not self._gather(need):
                return False

    def _gather(self, need: int) -> bool:
        """Join the waiting chunks behind the unread bytes if that makes ``need`` contiguous
        bytes; False (nothing done) when fewer than ``need`` bytes are buffered."""
        if not self._tail or self.buffered < need:
            return False
        self._buf = b"".join((memoryview(self._buf)[self._pos:], *self._tail))
        self._pos = 0
        self._tail = []
        self._tail_size = 0
        return True

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
        if self._fragments_size > self.max_message_bytes:
            raise FrameProtocolError(
                f"fragmented message exceeds the size limit of {self.max_message_bytes} bytes",
                CLOSE_TOO_BIG)
        if not fin:
            return None
        first, *parts = self._fragments
        self._fragments = None
        self._fragments_size = 0
        return first[0], b"".join(parts)


def _check_header(b0: int, length: int) -> None:
    """The framing rules a frame's first byte and length must follow (FrameProtocolError)."""
    opcode = b0 & 0x0F
    if b0 & 0x70:
        raise FrameProtocolError("reserved bits set without a negotiated extension")
    if opcode not in _KNOWN_OPCODES:
        raise FrameProtocolError(f"unknown opcode {opcode:#x}")
    if opcode >= OP_CLOSE and (length > 125 or not b0 & 0x80):
        raise FrameProtocolError("control frame fragmented or longer than 125 bytes")
    if opcode == OP_CLOSE and length == 1:
        raise FrameProtocolError("close frame with a one-byte payload")


def close_details(data: bytes) -> tuple[int | None, str]:
    """Close code and reason of a close frame's payload (1005 when it carries no code).

    Raises :class:`FrameProtocolError` for a code that must not be sent (1004, 1005, 1006,
    1015, below 1000, unassigned 1016-2999, 5000 and up) or a reason that is not UTF-8.
    """
    if len(data) < 2:
        return 1005, ""
    code = int.from_bytes(data[:2], "big")
    if code in _NEVER_ON_THE_WIRE or not (1000 <= code <= 1014 or 3000 <= code <= 4999):
        raise FrameProtocolError(f"close frame with the invalid code {code}")
    try:
        reason = data[2:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FrameProtocolError("close frame whose reason is not valid UTF-8",
                                 CLOSE_INVALID_DATA) from exc
    return code, reason
