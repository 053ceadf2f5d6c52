"""Tests of the sans-I/O audio helpers: PCM16, base64, durations, resampling, mono."""

from __future__ import annotations

import base64
import struct

import numpy as np
import pytest

from realtime_actors.audio.pcm import (
    BYTES_PER_MS,
    SAMPLE_RATE,
    b64decode_audio,
    b64encode_audio,
    duration_ms,
    float32_to_pcm16,
    pcm16_from_bytes,
    pcm16_to_float32,
    resample,
    to_mono,
    to_pcm16_bytes,
)
from realtime_actors.errors import AudioFormatError, RealtimeError
from tests.protocol.audio_support import ALL_INT16, peak_hz, sine

# --------------------------------------------------------------------------- PCM16 conversions


def test_constants_match_the_realtime_pcm_format() -> None:
    assert SAMPLE_RATE == 24000
    assert BYTES_PER_MS == 48


def test_audio_format_error_is_a_realtime_error_and_value_error() -> None:
    with pytest.raises(RealtimeError):
        to_pcm16_bytes(b"\x00")
    with pytest.raises(ValueError):
        to_pcm16_bytes(b"\x00")


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_to_pcm16_bytes_passes_even_length_bytes_through(wrap: type) -> None:
    out = to_pcm16_bytes(wrap(b"\x01\x02\x03\x04"))
    assert out == b"\x01\x02\x03\x04"
    assert type(out) is bytes


def test_to_pcm16_bytes_rejects_odd_length_bytes() -> None:
    with pytest.raises(AudioFormatError, match="odd-length PCM16"):
        to_pcm16_bytes(b"\x01\x02\x03")


def test_to_pcm16_bytes_serialises_int16_little_endian_whatever_the_byte_order() -> None:
    values = [0, 1, -1, 32767, -32768, 258]
    expected = struct.pack("<6h", *values)
    assert to_pcm16_bytes(np.array(values, dtype="<i2")) == expected
    assert to_pcm16_bytes(np.array(values, dtype=">i2")) == expected
    assert to_pcm16_bytes(np.array(values, dtype=np.int16).reshape(-1, 1)) == expected


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_to_pcm16_bytes_scales_and_clips_float(dtype: type) -> None:
    x = np.array([0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -3.0], dtype=dtype)
    assert to_pcm16_bytes(x) == struct.pack(
        "<7h", 0, 16384, -16384, 32767, -32768, 32767, -32768
    )


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, object, np.complex64, np.float16])
def test_to_pcm16_bytes_rejects_other_dtypes_naming_them(dtype: type) -> None:
    arr = np.zeros(4, dtype=dtype)
    with pytest.raises(AudioFormatError, match=str(arr.dtype)):
        to_pcm16_bytes(arr)


def test_to_pcm16_bytes_rejects_multichannel_and_non_arrays() -> None:
    with pytest.raises(AudioFormatError, match="mono"):
        to_pcm16_bytes(np.zeros((4, 2), dtype=np.int16))
    with pytest.raises(AudioFormatError, match="mono"):
        to_pcm16_bytes(np.zeros((2, 2, 1), dtype=np.float32))
    with pytest.raises(AudioFormatError, match="list"):
        to_pcm16_bytes([0, 1])  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_to_pcm16_bytes_rejects_non_finite_floats(bad: float) -> None:
    with pytest.raises(AudioFormatError, match="NaN or infinity"):
        to_pcm16_bytes(np.array([0.0, bad], dtype=np.float32))


def test_pcm16_from_bytes_is_a_zero_copy_little_endian_view() -> None:
    buf = bytearray(struct.pack("<3h", 1, -2, 300))
    view = pcm16_from_bytes(buf)
    assert view.dtype == np.dtype("<i2")
    assert view.tolist() == [1, -2, 300]
    assert np.shares_memory(view, np.frombuffer(buf, dtype=np.uint8))
    buf[0:2] = struct.pack("<h", 7)
    assert view[0] == 7


def test_pcm16_from_bytes_errors() -> None:
    with pytest.raises(AudioFormatError, match="odd-length PCM16"):
        pcm16_from_bytes(b"\x00\x01\x02")
    with pytest.raises(AudioFormatError, match="str"):
        pcm16_from_bytes("abcd")  # type: ignore[arg-type]
    strided = memoryview(np.arange(8, dtype=np.int16))[::2]
    with pytest.raises(AudioFormatError, match="cannot be viewed"):
        pcm16_from_bytes(strided)


def test_int16_float_round_trip_is_exact_for_every_value() -> None:
    floats = pcm16_to_float32(ALL_INT16)
    assert floats.dtype == np.float32
    assert floats.min() == -1.0
    assert floats.max() < 1.0
    np.testing.assert_array_equal(float32_to_pcm16(floats), ALL_INT16)


def test_pcm16_to_float32_accepts_bytes_and_keeps_array_shape() -> None:
    out = pcm16_to_float32(struct.pack("<2h", 16384, -32768))
    assert out.tolist() == [0.5, -1.0]
    assert pcm16_to_float32(np.zeros((3, 2), dtype=np.int16)).shape == (3, 2)
    with pytest.raises(AudioFormatError, match="int32"):
        pcm16_to_float32(np.zeros(3, dtype=np.int32))


def test_float32_to_pcm16_keeps_shape_and_rejects_bad_input() -> None:
    out = float32_to_pcm16(np.full((2, 2), 0.25, dtype=np.float32))
    assert out.dtype == np.int16
    assert out.tolist() == [[8192, 8192], [8192, 8192]]
    with pytest.raises(AudioFormatError, match="int16"):
        float32_to_pcm16(np.zeros(2, dtype=np.int16))
    with pytest.raises(AudioFormatError, match="NaN"):
        float32_to_pcm16(np.array([np.nan]))


# --------------------------------------------------------------------------- base64 and durations


def test_base64_round_trip_and_known_value() -> None:
    raw = bytes(range(256)) * 3
    encoded = b64encode_audio(raw)
    assert isinstance(encoded, str)
    assert encoded == base64.b64encode(raw).decode()
    assert b64decode_audio(encoded) == raw
    assert b64decode_audio(encoded.encode()) == raw
    assert b64encode_audio(b"\x00\x00\x00") == "AAAA"
    assert b64decode_audio("") == b""
    assert len(b64encode_audio(bytes(960))) == 1280  # 20 ms of pcm16, per the reference table


@pytest.mark.parametrize(
    "bad",
    ["AAA", "AA=", "AA==AA==", "=AAA", "AA AA", "AAAA\n", "AA*A", "AAé="],
)
def test_b64decode_audio_is_strict(bad: str) -> None:
    with pytest.raises(AudioFormatError, match="invalid base64 audio"):
        b64decode_audio(bad)


def test_base64_helpers_reject_wrong_types() -> None:
    with pytest.raises(AudioFormatError):
        b64encode_audio("text")  # type: ignore[arg-type]
    with pytest.raises(AudioFormatError):
        b64decode_audio(1234)  # type: ignore[arg-type]


def test_duration_ms_for_pcm16_and_g711() -> None:
    assert duration_ms(4800) == 100.0
    assert duration_ms(bytes(960)) == 20.0
    assert duration_ms(memoryview(bytearray(48000))) == 1000.0
    assert duration_ms(24, format="audio/pcm") == 0.5
    for fmt in ("g711_ulaw", "g711_alaw", "audio/pcmu", "audio/pcma"):
        assert duration_ms(8000, format=fmt) == 1000.0
    assert duration_ms(0) == 0.0


def test_duration_ms_errors() -> None:
    with pytest.raises(AudioFormatError, match="unknown audio format"):
        duration_ms(10, format="mp3")
    with pytest.raises(AudioFormatError, match="negative"):
        duration_ms(-1)
    with pytest.raises(AudioFormatError):
        duration_ms(True)
    with pytest.raises(AudioFormatError):
        duration_ms(1.5)  # type: ignore[arg-type]



# --------------------------------------------------------------------------- resample and to_mono


def test_resample_int16_44k1_to_24k() -> None:
    x = float32_to_pcm16(sine(1000, 44100, 1.0))
    y = resample(x, 44100)
    assert y.dtype == np.int16
    assert y.shape == (24000,)
    assert peak_hz(y, 24000) == 1000.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_resample_float_gives_float32(dtype: type) -> None:
    y = resample(sine(500, 8000, 1.0).astype(dtype), 8000, 24000)
    assert y.dtype == np.float32
    assert y.shape == (24000,)
    assert peak_hz(y, 24000) == 500.0


def test_resample_multichannel_same_rate_and_empty() -> None:
    stereo = np.zeros((16000, 2), dtype=np.int16)
    assert resample(stereo, 16000, 24000).shape == (24000, 2)
    x = np.arange(10, dtype=np.int16)
    same = resample(x, 24000, 24000)
    np.testing.assert_array_equal(same, x)
    assert not np.shares_memory(same, x)
    assert resample(np.zeros(0, dtype=np.int16), 8000).shape == (0,)


@pytest.mark.parametrize("rate", [0, -8000, 1.5, True, "8000", None])
def test_resample_rejects_bad_rates(rate: object) -> None:
    with pytest.raises(AudioFormatError, match="positive int"):
        resample(np.zeros(10, dtype=np.int16), rate)  # type: ignore[arg-type]
    with pytest.raises(AudioFormatError, match="positive int"):
        resample(np.zeros(10, dtype=np.int16), 8000, rate)  # type: ignore[arg-type]


def test_resample_rejects_bad_samples() -> None:
    with pytest.raises(AudioFormatError, match="int32"):
        resample(np.zeros(10, dtype=np.int32), 8000)
    with pytest.raises(AudioFormatError, match="NaN"):
        resample(np.array([0.0, np.nan]), 8000)
    with pytest.raises(AudioFormatError, match="shape"):
        resample(np.zeros((2, 2, 2), dtype=np.int16), 8000)
    with pytest.raises(AudioFormatError, match="numpy array"):
        resample([0, 1], 8000)  # type: ignore[arg-type]


def test_to_mono_averages_channels() -> None:
    stereo = np.array([[100, 200], [-1, -2], [32767, 32767], [-32768, 32767]], dtype=np.int16)
    mono = to_mono(stereo)
    assert mono.dtype == np.int16
    assert mono.tolist() == [150, -2, 32767, 0]
    floats = to_mono(np.array([[0.5, -0.25]], dtype=np.float32))
    assert floats.dtype == np.float32
    assert floats.tolist() == [0.125]


def test_to_mono_passes_mono_through_as_a_copy_and_rejects_bad_input() -> None:
    x = np.arange(5, dtype=np.int16)
    out = to_mono(x)
    np.testing.assert_array_equal(out, x)
    assert not np.shares_memory(out, x)
    np.testing.assert_array_equal(to_mono(x.reshape(-1, 1)), x)
    with pytest.raises(AudioFormatError, match="uint8"):
        to_mono(np.zeros((2, 2), dtype=np.uint8))
    with pytest.raises(AudioFormatError, match="shape"):
        to_mono(np.zeros((2, 0), dtype=np.int16))


