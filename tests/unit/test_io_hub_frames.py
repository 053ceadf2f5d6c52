"""The I/O hub's incremental websocket frame parser."""

from __future__ import annotations

import pytest

from realtime_actors.io_hub_frames import (
    OP_BINARY,
    OP_CLOSE,
    OP_PING,
    OP_TEXT,
    FrameParser,
    FrameProtocolError,
)
from tests.unit.io_hub_support import server_frame


def test_parser_cuts_a_stream_fed_byte_by_byte_into_messages() -> None:
    long_text = b"t" * 70_000  # 64-bit length
    stream = b"".join([
        server_frame(b"a" * 300),  # 16-bit length
        server_frame(b"par", fin=False),
        server_frame(b"ping!", opcode=OP_PING),  # a control frame between fragments
        server_frame(b"ts", opcode=0x0),
        server_frame(long_text),
        server_frame(b"bin!", opcode=OP_BINARY),
        server_frame(b"\x03\xe8", opcode=OP_CLOSE),
    ])
    parser = FrameParser()
    got = []
    for i in range(len(stream)):
        parser.feed(stream[i:i + 1])
        while (item := parser.next_frame()) is not None:
            got.append(item)
    assert got == [(OP_TEXT, b"a" * 300), (OP_PING, b"ping!"), (OP_TEXT, b"parts"),
                   (OP_TEXT, long_text), (OP_BINARY, b"bin!"), (OP_CLOSE, b"\x03\xe8")]
    assert parser.buffered == 0


@pytest.mark.parametrize(("stream", "message"), [
    (b"\xc1\x00", "reserved bits"),
    (b"\x83\x00", "unknown opcode"),
    (b"\x09\x00", "control frame fragmented"),
    (b"\x89\x7e\x00\x7e" + b"x" * 126, "longer than 125"),
    (b"\x88\x01x", "one-byte payload"),
    (b"\x80\x01x", "continuation frame without"),
    (b"\x01\x01a\x81\x01b", "new message started"),
    (b"\x82\x84\x01\x02\x03\x04" + bytes(b ^ m for b, m in zip(b"bin!", b"\x01\x02\x03\x04",
                                                        strict=True)), "masked"),
])
def test_parser_rejects_framing_violations(stream: bytes, message: str) -> None:
    parser = FrameParser(stream)
    with pytest.raises(FrameProtocolError, match=message):
        while parser.next_frame() is not None:
            pass
