"""The I/O hub's frame parser with a read offset: how bytes arrive must not change the frames.

Reads of any size (many frames in one read, a frame split across reads, a large frame in many
small reads), fragmented messages, and the framing errors (a masked server frame among them)
raised as soon as a frame's header is known (before its payload is there).
"""

from __future__ import annotations

import pytest

from realtime_actors.io_hub_frames import (
    MAX_MESSAGE_BYTES,
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_TEXT,
    FrameParser,
    FrameProtocolError,
)
from tests.unit.io_hub_support import server_frame

MASK = b"\x0f\xf0\x55\xaa"


def masked_frame(payload: bytes, opcode: int = OP_BINARY) -> bytes:
    """A masked frame (servers must not mask: the parser refuses it)."""
    assert len(payload) < 126
    body = bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + MASK + body


MESSAGES = [
    (OP_TEXT, b'{"type":"response.output_audio.delta","delta":"AAAA"}'),
    (OP_TEXT, b"x" * 125),  # longest 7-bit length
    (OP_TEXT, b"y" * 126),  # shortest 16-bit length
    (OP_BINARY, bytes(range(256)) * 300),  # 16-bit length
    (OP_TEXT, b""),
    (OP_TEXT, b"z" * 70_000),  # 64-bit length
    (OP_BINARY, b"last!"),
]


def stream_of(messages: list[tuple[int, bytes]]) -> bytes:
    """The wire bytes of ``messages``."""
    return b"".join(server_frame(payload, opcode=opcode) for opcode, payload in messages)


def drain(parser: FrameParser) -> list[tuple[int, bytes]]:
    """Every frame the parser can return now."""
    got = []
    while (item := parser.next_frame()) is not None:
        got.append(item)
    return got


def feed_in_reads(stream: bytes, sizes: list[int]) -> list[tuple[int, bytes]]:
    """Feed ``stream`` in reads of the given sizes (cycled), as the hub does: each read is a
    view of one reused buffer, overwritten by the next read."""
    parser = FrameParser()
    scratch = bytearray(max(sizes))
    got = []
    pos = 0
    index = 0
    while pos < len(stream):
        size = sizes[index % len(sizes)]
        index += 1
        chunk = stream[pos:pos + size]
        pos += len(chunk)
        view = memoryview(scratch)
        view[:len(chunk)] = chunk
        parser.feed(view[:len(chunk)])
        got.extend(drain(parser))
        scratch[:] = b"\xee" * len(scratch)  # the hub reuses its buffer for the next read
    assert parser.buffered == 0
    return got


@pytest.mark.parametrize("sizes", [
    [len(stream_of(MESSAGES))],  # everything in one read
    [1],
    [2, 3],
    [7, 1000, 13],
    [4096],
    [65536],
    [125, 126, 127, 128],
], ids=["one-read", "bytes", "tiny", "mixed", "4k", "64k", "around-lengths"])
def test_any_split_of_the_stream_gives_the_same_frames(sizes: list[int]) -> None:
    assert feed_in_reads(stream_of(MESSAGES), sizes) == MESSAGES


def test_a_frame_split_at_every_byte_position_across_two_reads() -> None:
    frames = [server_frame(b"first"), server_frame(b"s" * 300), server_frame(b"third")]
    stream = b"".join(frames)
    for cut in range(len(stream) + 1):
        parser = FrameParser()
        parser.feed(stream[:cut])
        got = drain(parser)
        parser.feed(stream[cut:])
        got += drain(parser)
        assert got == [(OP_TEXT, b"first"), (OP_TEXT, b"s" * 300), (OP_TEXT, b"third")], cut
        assert parser.buffered == 0


def test_many_frames_in_one_read_keep_their_order_and_the_partial_rest() -> None:
    payloads = [f"frame {i}".encode() * (i % 40 + 1) for i in range(500)]
    stream = b"".join(server_frame(p) for p in payloads)
    tail = server_frame(b"late" * 100)
    parser = FrameParser()
    parser.feed(stream + tail[:50])
    assert [p for _, p in drain(parser)] == payloads
    assert parser.buffered == 50
    assert not parser.ready()
    parser.feed(tail[50:])
    assert parser.ready()
    assert drain(parser) == [(OP_TEXT, b"late" * 100)]
    assert parser.buffered == 0 and not parser.ready()


def test_buffered_counts_unread_bytes_across_reads() -> None:
    frame = server_frame(b"p" * 1000)
    parser = FrameParser(frame[:10])
    assert parser.buffered == 10
    parser.feed(frame[10:500])
    parser.feed(b"")
    parser.feed(frame[500:])
    assert parser.buffered == len(frame)
    assert parser.ready()
    assert parser.next_frame() == (OP_TEXT, b"p" * 1000)
    assert parser.buffered == 0


def test_ready_needs_the_whole_header_and_payload() -> None:
    frame = server_frame(b"q" * 70_000)  # 10-byte header
    parser = FrameParser()
    for end in (1, 2, 9, 10, 5000, len(frame) - 1):
        parser.feed(frame[parser.buffered:end])
        assert not parser.ready(), end
        assert parser.next_frame() is None
    parser.feed(frame[-1:])
    assert parser.ready()
    assert parser.next_frame() == (OP_TEXT, b"q" * 70_000)


def test_fragments_across_reads_with_a_ping_between_them() -> None:
    stream = b"".join([
        server_frame(b"he", fin=False),
        server_frame(b"ll", opcode=OP_CONT, fin=False),
        server_frame(b"hi", opcode=OP_PING),
        server_frame(b"o" * 200, opcode=OP_CONT),
        server_frame(b"next"),
        server_frame(b"\x03\xe8bye", opcode=OP_CLOSE),
    ])
    expected = [(OP_PING, b"hi"), (OP_TEXT, b"hell" + b"o" * 200), (OP_TEXT, b"next"),
                (OP_CLOSE, b"\x03\xe8bye")]
    for sizes in ([len(stream)], [1], [3, 5]):
        assert feed_in_reads(stream, sizes) == expected


def test_a_binary_message_in_fragments_keeps_its_opcode() -> None:
    stream = server_frame(b"\x00\x01", opcode=OP_BINARY, fin=False) + server_frame(
        b"\x02", opcode=OP_CONT)
    assert feed_in_reads(stream, [2]) == [(OP_BINARY, b"\x00\x01\x02")]


def test_a_whole_message_inside_a_fragmented_one_is_a_protocol_error() -> None:
    parser = FrameParser(server_frame(b"a", fin=False) + server_frame(b"b"))
    with pytest.raises(FrameProtocolError, match="new message started"):
        drain(parser)


def test_an_oversized_frame_is_refused_from_its_header_alone() -> None:
    header = bytes([0x81, 127]) + (MAX_MESSAGE_BYTES + 1).to_bytes(8, "big")
    parser = FrameParser()
    parser.feed(header[:5])
    assert parser.next_frame() is None
    parser.feed(header[5:])
    with pytest.raises(FrameProtocolError, match="exceeds the size limit"):
        parser.next_frame()


@pytest.mark.parametrize(("header", "message"), [
    (b"\xc1\x05", "reserved bits"),
    (b"\x83\x05", "unknown opcode"),
    (b"\x09\x05", "control frame fragmented"),
    (b"\x89\x7e\x00\x7e", "longer than 125"),
])
def test_framing_errors_are_raised_before_the_payload_arrives(header: bytes,
                                                              message: str) -> None:
    parser = FrameParser(server_frame(b"ok"))
    parser.feed(header)
    assert parser.next_frame() == (OP_TEXT, b"ok")
    with pytest.raises(FrameProtocolError, match=message):
        parser.next_frame()
