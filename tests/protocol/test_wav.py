"""Tests of WAV reading (integer, float, extensible, G.711) and writing."""

from __future__ import annotations

import io
import re
import struct
import wave

import numpy as np
import pytest

from realtime_actors.audio.pcm import (
    WavAudio,
    alaw_decode,
    duration_ms,
    float32_to_pcm16,
    is_wav,
    read_wav,
    to_pcm16_bytes,
    write_wav,
)
from realtime_actors.errors import AudioFormatError
from tests.protocol.audio_support import peak_hz, sine


def _riff(*chunks: tuple[bytes, bytes], riff_size: int | None = None) -> bytes:
    body = b"WAVE"
    for chunk_id, payload in chunks:
        body += chunk_id + struct.pack("<I", len(payload)) + payload
        if len(payload) % 2:
            body += b"\x00"
    size = len(body) if riff_size is None else riff_size
    return b"RIFF" + struct.pack("<I", size) + body


def _fmt(tag: int, channels: int, rate: int, bits: int, block_align: int | None = None) -> bytes:
    align = channels * bits // 8 if block_align is None else block_align
    return struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits)


def _fmt_extensible(sub_tag: int, channels: int, rate: int, bits: int) -> bytes:
    guid = struct.pack("<H", sub_tag) + bytes.fromhex("000000001000800000aa00389b71")
    return _fmt(0xFFFE, channels, rate, bits) + struct.pack("<HHI", 22, bits, 0) + guid


def _wav(fmt_chunk: bytes, data: bytes) -> bytes:
    return _riff((b"fmt ", fmt_chunk), (b"data", data))


def _stdlib_wav(frames: bytes, channels: int, width: int, rate: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(frames)
    return buf.getvalue()


def test_write_then_read_wav_round_trip_mono_and_stereo() -> None:
    mono = np.array([0, 1, -1, 32767, -32768], dtype=np.int16)
    audio = read_wav(write_wav(mono, 16000))
    assert (audio.rate, audio.channels, audio.sample_width, audio.encoding) == (
        16000, 1, 2, "pcm"
    )
    np.testing.assert_array_equal(audio.samples, mono.reshape(-1, 1))
    stereo = np.array([[1, 2], [3, 4], [-5, -6]], dtype=np.int16)
    audio = read_wav(write_wav(stereo, 44100))
    assert audio.channels == 2
    np.testing.assert_array_equal(audio.samples, stereo)


def test_write_wav_output_is_readable_by_the_stdlib() -> None:
    stereo = np.array([[1, -2], [300, -400]], dtype=np.int16)
    with wave.open(io.BytesIO(write_wav(stereo, 8000)), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, 8000)
        assert w.readframes(10) == struct.pack("<4h", 1, -2, 300, -400)


def test_write_wav_errors() -> None:
    with pytest.raises(AudioFormatError, match="int32"):
        write_wav(np.zeros(4, dtype=np.int32), 8000)
    with pytest.raises(AudioFormatError, match="positive int"):
        write_wav(np.zeros(4, dtype=np.int16), 0)
    with pytest.raises(AudioFormatError, match="shape"):
        write_wav(np.zeros((2, 2, 2), dtype=np.int16), 8000)
    with pytest.raises(AudioFormatError, match="list"):
        write_wav([0, 1], 8000)  # type: ignore[arg-type]


def test_44k1_stereo_wav_to_24k_mono_has_the_expected_length() -> None:
    left = float32_to_pcm16(sine(1000, 44100, 1.0))
    stereo = np.stack([left, left], axis=1)
    audio = read_wav(write_wav(stereo, 44100))
    assert audio.frames == 44100
    assert audio.duration_ms == 1000.0
    mono = audio.mono_24k()
    assert mono.dtype == np.int16
    assert mono.shape == (24000,)
    assert duration_ms(to_pcm16_bytes(mono)) == 1000.0
    assert peak_hz(mono, 24000) == 1000.0


def test_read_wav_8_24_32_bit_integer_pcm() -> None:
    eight = read_wav(_stdlib_wav(bytes([0, 128, 255]), 1, 1, 8000))
    assert eight.sample_width == 1
    assert eight.samples[:, 0].tolist() == [-32768, 0, 32512]
    raw24 = b"".join(v.to_bytes(3, "little", signed=True) for v in [0x7FFFFF, -0x800000, 256, -256])
    assert read_wav(_stdlib_wav(raw24, 1, 3, 8000)).samples[:, 0].tolist() == [
        32767, -32768, 1, -1
    ]
    raw32 = struct.pack("<4i", 2**31 - 1, -(2**31), 65536, -65536)
    audio32 = read_wav(_stdlib_wav(raw32, 2, 4, 8000))
    assert audio32.sample_width == 4
    assert audio32.samples.tolist() == [[32767, -32768], [1, -1]]


def test_read_float_wav_ieee_and_extensible() -> None:
    values = [0.0, 0.5, -1.0, 1.5]
    expected = [0, 16384, -32768, 32767]
    for fmt_chunk in (_fmt(3, 1, 48000, 32), _fmt_extensible(3, 1, 48000, 32)):
        audio = read_wav(_wav(fmt_chunk, struct.pack("<4f", *values)))
        assert (audio.encoding, audio.sample_width, audio.rate) == ("float", 4, 48000)
        assert audio.samples[:, 0].tolist() == expected
    audio64 = read_wav(_wav(_fmt(3, 2, 8000, 64), struct.pack("<2d", 0.25, -0.25)))
    assert audio64.samples.tolist() == [[8192, -8192]]


def test_read_wav_extensible_pcm_and_g711() -> None:
    pcm = read_wav(_wav(_fmt_extensible(1, 1, 8000, 16), struct.pack("<2h", 5, -6)))
    assert pcm.samples[:, 0].tolist() == [5, -6]
    ulaw = read_wav(_wav(_fmt(7, 1, 8000, 8), b"\xff\x00\x80"))
    assert (ulaw.encoding, ulaw.sample_width) == ("ulaw", 1)
    assert ulaw.samples[:, 0].tolist() == [0, -32124, 32124]
    alaw = read_wav(_wav(_fmt(6, 1, 8000, 8), b"\xd5\x55\xff"))
    assert alaw.encoding == "alaw"
    assert alaw.samples[:, 0].tolist() == alaw_decode(b"\xd5\x55\xff").tolist()


def test_read_wav_skips_other_chunks_including_odd_sized_ones() -> None:
    data = _riff(
        (b"LIST", b"abc"),
        (b"fmt ", _fmt(1, 1, 8000, 16)),
        (b"fact", b"\x01\x00\x00\x00"),
        (b"data", struct.pack("<h", 42)),
    )
    assert read_wav(data).samples.tolist() == [[42]]


def test_read_wav_from_a_path(tmp_path) -> None:
    path = tmp_path / "clip.wav"
    path.write_bytes(write_wav(np.array([7, 8], dtype=np.int16), 24000))
    assert read_wav(path).samples[:, 0].tolist() == [7, 8]
    assert read_wav(str(path)).rate == 24000
    with pytest.raises(FileNotFoundError):
        read_wav(tmp_path / "missing.wav")


_GOOD_FMT = _fmt(1, 1, 8000, 16)
_BAD_GUID = _fmt_extensible(1, 1, 8000, 16)[:-1] + b"\x00"
# A data chunk declaring 100 bytes with only 2 present, inside a consistent RIFF size.
_SHORT_DATA_BODY = b"WAVE" + b"fmt " + struct.pack("<I", 16) + _GOOD_FMT + b"data" + struct.pack(
    "<I", 100
) + b"\x00\x00"
_MALFORMED: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "missing RIFF/WAVE header"),
    "not riff": (b"RIFX" + bytes(40), "missing RIFF/WAVE header"),
    "truncated header": (b"RIFF\x00\x00", "missing RIFF/WAVE header"),
    "riff size beyond data": (
        _riff((b"fmt ", _GOOD_FMT), (b"data", b"\x00\x00"), riff_size=1000),
        "RIFF header declares 1008 bytes",
    ),
    "file cut short": (_wav(_GOOD_FMT, b"\x00\x00")[:-1], "truncated WAV"),
    "data chunk cut short": (
        b"RIFF" + struct.pack("<I", len(_SHORT_DATA_BODY)) + _SHORT_DATA_BODY,
        "chunk b'data' declares 100 bytes, only 2 present",
    ),
    "partial frame": (_wav(_GOOD_FMT, b"\x00\x00\x00"), "not a whole number of 2-byte frames"),
    "stray bytes": (
        _riff((b"fmt ", _GOOD_FMT))[:4] + struct.pack("<I", 31) + _riff((b"fmt ", _GOOD_FMT))[8:]
        + b"\x00\x00\x00",
        "3 stray bytes",
    ),
    "no fmt": (_riff((b"LIST", b"xx")), "no fmt chunk"),
    "no data": (_riff((b"fmt ", _GOOD_FMT)), "no data chunk"),
    "data before fmt": (
        _riff((b"data", b"\x00\x00"), (b"fmt ", _GOOD_FMT)),
        "data chunk before fmt chunk",
    ),
    "short fmt": (_wav(_GOOD_FMT[:12], b""), "fmt chunk is 12 bytes"),
    "adpcm": (_wav(_fmt(2, 1, 8000, 4, block_align=256), b""), "format tag 0x0002"),
    "12-bit pcm": (_wav(_fmt(1, 1, 8000, 12, block_align=2), b""), "12-bit pcm"),
    "16-bit float": (_wav(_fmt(3, 1, 8000, 16), b""), "16-bit float"),
    "block align": (_wav(_fmt(1, 2, 8000, 16, block_align=2), b""), "block align 2"),
    "zero channels": (_wav(_fmt(1, 0, 8000, 16, block_align=0), b""), "zero channels"),
    "zero rate": (_wav(_fmt(1, 1, 0, 16), b""), "zero sample rate"),
    "short extensible": (_wav(_fmt(0xFFFE, 1, 8000, 16), b""), "EXTENSIBLE fmt chunk is 16"),
    "unknown guid": (_wav(_BAD_GUID, b""), "sub-format GUID"),
    "nan float": (_wav(_fmt(3, 1, 8000, 32), struct.pack("<f", np.nan)), "NaN"),
}


@pytest.mark.parametrize("name", sorted(_MALFORMED))
def test_read_wav_rejects_malformed_input(name: str) -> None:
    data, message = _MALFORMED[name]
    with pytest.raises(AudioFormatError, match=re.escape(message)):
        read_wav(data)


def test_read_wav_rejects_non_bytes() -> None:
    with pytest.raises(AudioFormatError, match="int"):
        read_wav(12)  # type: ignore[arg-type]


def test_is_wav() -> None:
    assert is_wav(write_wav(np.zeros(1, dtype=np.int16), 8000))
    assert is_wav(bytearray(_riff((b"fmt ", _GOOD_FMT))))
    assert not is_wav(b"RIFF")
    assert not is_wav(b"")
    assert not is_wav(bytes(960))


def test_wav_audio_equality_hash_and_validation() -> None:
    a = WavAudio(samples=np.zeros((2, 1), dtype=np.int16), rate=8000, channels=1, sample_width=2)
    b = WavAudio(samples=np.zeros((2, 1), dtype=np.int16), rate=8000, channels=1, sample_width=2)
    c = WavAudio(samples=np.ones((2, 1), dtype=np.int16), rate=8000, channels=1, sample_width=2)
    assert a == b
    assert a != c
    assert hash(a) == hash(b)
    assert "shape=(2, 1)" in repr(a)
    with pytest.raises(AudioFormatError, match="int16"):
        WavAudio(samples=np.zeros((2, 1), dtype=np.int32), rate=8000, channels=1, sample_width=4)
    with pytest.raises(AudioFormatError, match="channels"):
        WavAudio(samples=np.zeros((2, 2), dtype=np.int16), rate=8000, channels=1, sample_width=2)
    with pytest.raises(AudioFormatError, match="rate"):
        WavAudio(samples=np.zeros((2, 1), dtype=np.int16), rate=0, channels=1, sample_width=2)
