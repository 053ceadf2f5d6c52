"""Call audio conversion: μ-law 8 kHz <-> PCM16 24 kHz in 20 ms chunks, or pass-through."""

from __future__ import annotations

import numpy as np
import pytest

from realtime_actors import ConfigError
from realtime_actors.audio.pcm import ulaw_decode, ulaw_encode
from realtime_actors.simulator.speech_codec import decode, synthesize
from realtime_actors.telephony import InboundConverter, OutboundConverter


def test_pcm16_answers_become_mulaw_frames_that_still_decode() -> None:
    pcm = synthesize("hello caller").tobytes()
    out = OutboundConverter("pcm16")
    ulaw = b"".join(out.convert(pcm[i:i + 960]) for i in range(0, len(pcm), 960)) + out.end()
    assert len(ulaw) == len(pcm) // 6  # 24 kHz PCM16 (48 B/ms) -> 8 kHz μ-law (8 B/ms)
    assert decode(ulaw_decode(ulaw), 8000) == "hello caller"


def test_mulaw_caller_audio_becomes_pcm16_24k_that_still_decodes() -> None:
    ulaw = ulaw_encode(np.concatenate([synthesize("hi there", 8000),
                                       np.zeros(1600, dtype=np.int16)]))
    inbound = InboundConverter("pcm16")
    pcm = b"".join(inbound.convert(ulaw[i:i + 160]) for i in range(0, len(ulaw), 160))
    assert abs(len(pcm) - len(ulaw) * 6) <= 2 * 6 * 160  # the resampler's delay at most
    assert decode(np.frombuffer(pcm, dtype="<i2")) == "hi there"


def test_pcmu_passes_bytes_through_holding_an_odd_byte() -> None:
    inbound = InboundConverter("pcmu")
    assert inbound.convert(b"abc") == b"ab"
    assert inbound.convert(b"de") == b"cd"
    assert inbound.convert(b"f") == b"ef"
    out = OutboundConverter("pcmu")
    assert out.convert(b"xyz") == b"xyz" and out.end() == b""


def test_bad_settings_and_bad_audio_raise_config_error() -> None:
    with pytest.raises(ConfigError, match="'pcm16' or 'pcmu'"):
        InboundConverter("pcma")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="even byte count"):
        OutboundConverter("pcm16").convert(b"abc")
