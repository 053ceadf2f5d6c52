"""Tests of the G.711 μ-law / A-law codecs against the standard's values and properties."""

from __future__ import annotations

import numpy as np
import pytest

from realtime_actors.audio.pcm import (
    SAMPLE_RATE,
    alaw_decode,
    alaw_encode,
    duration_ms,
    float32_to_pcm16,
    resample,
    to_pcm16_bytes,
    ulaw_decode,
    ulaw_encode,
)
from realtime_actors.errors import AudioFormatError
from tests.protocol.audio_support import ALL_CODES, ALL_INT16, peak_hz, sine

# --------------------------------------------------------------------------- G.711


def _ulaw_reference(x: int) -> int:
    """Scalar transcription of the G.711 μ-law compression rule (ITU-T G.191 style)."""
    magnitude = min(((~x if x < 0 else x) >> 2) + 33, 0x1FFF)
    segment = 1
    rest = magnitude >> 6
    while rest:
        segment += 1
        rest >>= 1
    code = ((8 - segment) << 4) | (15 - ((magnitude >> segment) & 15))
    return code | 0x80 if x >= 0 else code


def _alaw_reference(x: int) -> int:
    """Scalar transcription of the G.711 A-law compression rule (ITU-T G.191 style)."""
    magnitude = (~x if x < 0 else x) >> 4
    if magnitude > 15:
        exponent = 1
        while magnitude > 31:
            magnitude >>= 1
            exponent += 1
        magnitude = (magnitude - 16) + (exponent << 4)
    if x >= 0:
        magnitude |= 0x80
    return magnitude ^ 0x55


def test_ulaw_known_table_values() -> None:
    assert ulaw_decode(b"\xff\x00\x80\x7f\xfe\x7e\xf0").tolist() == [
        0, -32124, 32124, 0, 8, -8, 120
    ]
    assert ulaw_encode(np.array([0, -32768, 32767, 8, -8], dtype=np.int16)) == (
        b"\xff\x00\x80\xfe\x7e"
    )


def test_alaw_known_table_values() -> None:
    assert alaw_decode(b"\xd5\x55\xd4\xaa\x2a").tolist() == [8, -8, 24, 32256, -32256]
    assert alaw_encode(np.array([8, -8, 0, -1, 32767, -32768], dtype=np.int16)) == (
        b"\xd5\x55\xd5\x55\xaa\x2a"
    )


def test_g711_encoders_match_the_scalar_reference_for_every_int16() -> None:
    ulaw = ulaw_encode(ALL_INT16)
    alaw = alaw_encode(ALL_INT16)
    values = ALL_INT16.tolist()
    assert list(ulaw) == [_ulaw_reference(v) for v in values]
    assert list(alaw) == [_alaw_reference(v) for v in values]


def test_ulaw_encode_decode_code_round_trip() -> None:
    back = ulaw_encode(ulaw_decode(ALL_CODES))
    # μ-law 0x7F is "negative zero": it decodes to 0, which encodes as positive zero 0xFF.
    assert [c for c in range(256) if back[c] != c] == [0x7F]
    assert back[0x7F] == 0xFF


def test_alaw_encode_decode_code_round_trip_for_all_256_codes() -> None:
    assert alaw_encode(alaw_decode(ALL_CODES)) == ALL_CODES


def test_ulaw_quantisation_error_is_within_half_a_step() -> None:
    codes = np.frombuffer(ulaw_encode(ALL_INT16), dtype=np.uint8).astype(np.int32)
    decoded = ulaw_decode(codes.astype(np.uint8)).astype(np.int32)
    error = np.abs(decoded - ALL_INT16.astype(np.int32))
    half_step = 4 << ((~codes >> 4) & 7)
    in_range = np.abs(ALL_INT16.astype(np.int32)) <= 32124 + 512
    assert np.all(error[in_range] <= half_step[in_range])
    # Beyond the top decision level the codec saturates at the largest level.
    assert set(np.abs(decoded[~in_range]).tolist()) == {32124}
    assert np.all(np.diff(decoded) >= 0)  # the companding curve is monotonic


def test_alaw_quantisation_error_is_within_half_a_step() -> None:
    codes = np.frombuffer(alaw_encode(ALL_INT16), dtype=np.uint8).astype(np.int32)
    decoded = alaw_decode(codes.astype(np.uint8)).astype(np.int32)
    error = np.abs(decoded - ALL_INT16.astype(np.int32))
    exponent = ((codes ^ 0x55) & 0x7F) >> 4
    assert np.all(error <= 8 << np.maximum(exponent - 1, 0))
    assert np.all(np.diff(decoded) >= 0)


def test_ulaw_8khz_sine_round_trip_keeps_the_signal() -> None:
    pcm = float32_to_pcm16(sine(440, 8000, 1.0))
    encoded = ulaw_encode(pcm)
    assert len(encoded) == 8000
    assert duration_ms(encoded, format="g711_ulaw") == 1000.0
    decoded = ulaw_decode(encoded)
    noise = decoded.astype(np.float64) - pcm
    snr_db = 10 * np.log10(np.sum(pcm.astype(np.float64) ** 2) / np.sum(noise**2))
    assert snr_db > 30
    # bytes input behaves like the array it encodes
    assert ulaw_encode(to_pcm16_bytes(pcm)) == encoded


def test_telephony_pipeline_24k_to_ulaw_8k_and_back() -> None:
    pcm24 = float32_to_pcm16(sine(440, SAMPLE_RATE, 0.5))
    ulaw = ulaw_encode(resample(pcm24, SAMPLE_RATE, 8000))
    back = resample(ulaw_decode(ulaw), 8000, SAMPLE_RATE)
    assert len(ulaw) == 4000
    assert back.dtype == np.int16
    assert back.shape == pcm24.shape
    assert peak_hz(back, SAMPLE_RATE) == 440.0


def test_g711_input_errors() -> None:
    with pytest.raises(AudioFormatError, match="int16"):
        ulaw_encode(np.zeros(4, dtype=np.int32))
    with pytest.raises(AudioFormatError, match="mono"):
        alaw_encode(np.zeros((4, 2), dtype=np.int16))
    with pytest.raises(AudioFormatError, match="odd-length"):
        ulaw_encode(b"\x00\x00\x00")
    with pytest.raises(AudioFormatError, match="uint8"):
        ulaw_decode(np.zeros(4, dtype=np.int16))
    with pytest.raises(AudioFormatError):
        alaw_decode("abc")  # type: ignore[arg-type]


