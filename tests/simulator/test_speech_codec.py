"""Tests of the simulator's synthetic speech codec."""

from __future__ import annotations

import string

import numpy as np
import numpy.typing as npt
import pytest
import soxr

from realtime_actors.errors import AudioFormatError
from realtime_actors.simulator.speech_codec import SPEECH_RATE, decode, synthesize

PRINTABLE = string.digits + string.ascii_letters + string.punctuation + " "


def _random_text(rng: np.random.Generator, length: int) -> str:
    return "".join(rng.choice(list(PRINTABLE), size=length))


def _silence(seconds: float, rate: int = SPEECH_RATE) -> npt.NDArray[np.int16]:
    return np.zeros(round(seconds * rate), dtype=np.int16)


def _mulaw_round_trip(pcm: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
    """G.711 μ-law encode then decode (segment/mantissa form)."""
    x = pcm.astype(np.int32)
    sign = (x < 0).astype(np.int32)
    mag = np.minimum(np.abs(x), 32635) + 0x84
    exponent = np.floor(np.log2(mag)).astype(np.int32) - 7
    mantissa = (mag >> (exponent + 3)) & 0x0F
    code = ~((sign << 7) | (exponent << 4) | mantissa) & 0xFF
    # decode
    code = ~code & 0xFF
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    value = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(code & 0x80, -value, value).astype(np.int16)


def _alaw_round_trip(pcm: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
    """G.711 A-law encode then decode (segment/mantissa form)."""
    x = pcm.astype(np.int32)
    sign = (x >= 0).astype(np.int32)
    mag = np.minimum(np.abs(x), 32767) >> 3
    exponent = np.where(mag < 32, 0, np.floor(np.log2(np.maximum(mag, 1))).astype(np.int32) - 4)
    mantissa = np.where(exponent == 0, mag >> 1, (mag >> np.maximum(exponent, 0)) & 0x0F)
    code = ((sign << 7) | (exponent << 4) | mantissa) ^ 0x55
    # decode
    code = code ^ 0x55
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    value = np.where(
        exponent == 0,
        (mantissa << 4) + 8,
        ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0),
    )
    return np.where(code & 0x80, value, -value).astype(np.int16)


def _resample(pcm: npt.NDArray[np.int16], src: int, dst: int) -> npt.NDArray[np.int16]:
    return np.asarray(soxr.resample(pcm, src, dst), dtype=np.int16)


def test_round_trip_every_printable_character() -> None:
    text = PRINTABLE
    assert len(text) == 95
    assert decode(synthesize(text)) == text


@pytest.mark.parametrize("length", [1, 2, 17, 120, 300])
def test_round_trip_random_texts(length: int) -> None:
    rng = np.random.default_rng(length)
    for _ in range(3):
        text = _random_text(rng, length)
        assert decode(synthesize(text)) == text


def test_leading_and_trailing_spaces_survive() -> None:
    assert decode(synthesize("  hi there  ")) == "  hi there  "


def test_non_ascii_is_escaped_and_round_trips() -> None:
    text = "héllo, 日本 😀"
    assert decode(synthesize(text)) == text


def test_control_whitespace_becomes_space() -> None:
    assert decode(synthesize("a\tb\nc")) == "a b c"


def test_audio_is_loud_like_speech() -> None:
    pcm = synthesize("The quick brown fox jumps over the lazy dog.").astype(np.float64) / 32768
    frame = round(0.02 * SPEECH_RATE)
    frames = pcm[: pcm.size // frame * frame].reshape(-1, frame)
    dbfs = 20 * np.log10(np.sqrt(np.mean(frames**2, axis=1)))
    assert dbfs.min() > -20.0


def test_at_most_sixty_ms_per_character() -> None:
    text = "x" * 100
    assert synthesize(text).size <= 0.060 * SPEECH_RATE * len(text)


def test_deterministic() -> None:
    assert np.array_equal(synthesize("same text"), synthesize("same text"))


@pytest.mark.parametrize("rate", [8000, 16000, 44100])
def test_survives_resampling_and_back(rate: int) -> None:
    text = "Resample me, please: 8/16/44.1 kHz!"
    down = _resample(synthesize(text), SPEECH_RATE, rate)
    assert decode(down, rate) == text
    assert decode(_resample(down, rate, SPEECH_RATE)) == text


@pytest.mark.parametrize("rate", [8000, 16000, 44100])
def test_synthesize_at_other_rates(rate: int) -> None:
    assert decode(synthesize("other rate", rate), rate) == "other rate"
    assert decode(_resample(synthesize("other rate", rate), rate, SPEECH_RATE)) == "other rate"


@pytest.mark.parametrize("companding", [_mulaw_round_trip, _alaw_round_trip])
def test_survives_g711_at_8khz(companding) -> None:
    text = "Phone line test #42 (mu/A-law)."
    narrow = companding(_resample(synthesize(text), SPEECH_RATE, 8000))
    assert decode(narrow, 8000) == text
    assert decode(_resample(narrow, 8000, SPEECH_RATE)) == text


def test_g711_helpers_are_lossy_but_close() -> None:
    ramp = np.linspace(-30000, 30000, 2000).astype(np.int16)
    for companding in (_mulaw_round_trip, _alaw_round_trip):
        out = companding(ramp).astype(np.int32)
        assert not np.array_equal(out, ramp)
        assert np.max(np.abs(out - ramp)) < 1100
        assert np.all(np.sign(out) == np.sign(ramp.astype(np.int32)))


def test_survives_attenuation_silence_and_noise() -> None:
    rng = np.random.default_rng(7)
    text = "Quiet speech, with some noise."
    speech = (synthesize(text) * 0.3).astype(np.int16)
    padded = np.concatenate([_silence(0.7), speech, _silence(0.9)]).astype(np.float64)
    noisy = padded + rng.normal(0.0, 150.0, padded.size)  # about -47 dBFS
    assert decode(np.round(noisy).astype(np.int16)) == text


def test_several_utterances_are_joined_with_a_space() -> None:
    parts = ["first one", "second", "third, last"]
    pieces: list[npt.NDArray[np.int16]] = [_silence(0.2)]
    for part in parts:
        pieces += [synthesize(part), _silence(0.3)]
    assert decode(np.concatenate(pieces)) == "first one second third, last"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda rng: _silence(2.0), id="silence"),
        pytest.param(lambda rng: np.zeros(0, dtype=np.int16), id="empty"),
        pytest.param(
            lambda rng: rng.normal(0, 6000, SPEECH_RATE * 2).astype(np.int16), id="white-noise"
        ),
        pytest.param(
            lambda rng: (
                8000 * np.sin(2 * np.pi * 520.0 * np.arange(SPEECH_RATE * 2) / SPEECH_RATE)
            ).astype(np.int16),
            id="sine-on-a-codec-frequency",
        ),
        pytest.param(
            lambda rng: (
                8000 * np.sin(2 * np.pi * 440.0 * np.arange(SPEECH_RATE) / SPEECH_RATE)
                + 8000 * np.sin(2 * np.pi * 1700.0 * np.arange(SPEECH_RATE) / SPEECH_RATE)
            ).astype(np.int16),
            id="steady-two-tone",
        ),
        pytest.param(lambda rng: synthesize("cut off before the end")[:-3000], id="truncated"),
        pytest.param(lambda rng: synthesize("starts in the middle")[3000:], id="headless"),
    ],
)
def test_not_codec_speech_decodes_to_none(make) -> None:
    assert decode(make(np.random.default_rng(3))) is None


def test_incomplete_utterance_next_to_a_complete_one_is_ignored() -> None:
    pcm = np.concatenate(
        [synthesize("lost words")[4000:], _silence(0.4), synthesize("kept"), _silence(0.1)]
    )
    assert decode(pcm) == "kept"


def test_bad_arguments_raise_typed_errors() -> None:
    with pytest.raises(AudioFormatError):
        synthesize("")
    with pytest.raises(AudioFormatError):
        synthesize("hi", rate=4000)
    with pytest.raises(AudioFormatError):
        decode(np.zeros((10, 2), dtype=np.int16))
    with pytest.raises(AudioFormatError):
        decode(np.zeros(10, dtype=np.float32))  # type: ignore[arg-type]


@pytest.mark.parametrize("gap", [0.0, 0.05, 0.15])
def test_utterances_closer_than_300ms_still_split(gap: float) -> None:
    pcm = np.concatenate([synthesize("one"), _silence(gap), synthesize("two")])
    assert decode(pcm) == "one two"
