"""Sans-I/O parts of the simulator: tool matching, VAD, session validation, ids."""

from __future__ import annotations

import re

import numpy as np
import pytest

from realtime_actors.audio.vad import EnergyVad, VadEvent
from realtime_actors.simulator.errors import ClientEventError
from realtime_actors.simulator.ids import IdFactory
from realtime_actors.simulator.model import tool_named_in
from realtime_actors.simulator.session_state import apply_session_update, default_session
from realtime_actors.simulator.speech_codec import synthesize

TOOLS = ("get_weather", "transfer_to_tech_support", "transfer_to_billing")


@pytest.mark.parametrize(
    ("text", "tool"),
    [
        ("call get_weather now", "get_weather"),
        ("Get Weather in Rome", "get_weather"),
        ("I want tech support", "transfer_to_tech_support"),
        ("techsupport!", "transfer_to_tech_support"),
        ("please transfer me to billing", "transfer_to_billing"),
        ("transfer me to tech", "transfer_to_tech_support"),
        ("what is the weather", None),
        ("hello there", None),
    ],
)
def test_tool_named_in(text: str, tool: str | None) -> None:
    assert tool_named_in(text, TOOLS) == tool


def test_vad_finds_speech_with_prefix_padding_and_silence() -> None:
    vad = EnergyVad(rate=24000, prefix_padding_ms=100, silence_duration_ms=200)
    assert vad.feed(np.zeros(24000, dtype=np.int16)) == []
    speech = synthesize("abc")
    events = vad.feed(speech)
    assert events == [VadEvent(kind="started", audio_ms=900)]
    events = vad.feed(np.zeros(2400 * 3, dtype=np.int16))
    assert len(events) == 1 and events[0].kind == "stopped"
    end_of_speech = 1000 + len(speech) * 1000 // 24000
    assert end_of_speech + 190 <= events[0].audio_ms <= end_of_speech + 220


def test_vad_threshold_ignores_quiet_noise() -> None:
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal(48000) * 300).astype(np.int16)  # about -40 dBFS
    assert EnergyVad(rate=24000).feed(noise) == []


def test_ids_have_prefix_and_21_base62_chars_and_repeat_per_seed() -> None:
    a, b = IdFactory(5), IdFactory(5)
    ids = [a.new("item"), a.event(), a.new("resp")]
    assert ids == [b.new("item"), b.event(), b.new("resp")]
    assert all(re.fullmatch(r"(item|event|resp)_[0-9A-Za-z]{21}", i) for i in ids)


def test_session_update_validation_is_atomic() -> None:
    current = default_session(session_id="sess_x", model="gpt-realtime", expires_at=0)
    with pytest.raises(ClientEventError) as info:
        apply_session_update(current, {"type": "realtime", "instructions": "new",
                                       "audio": {"output": {"speed": 9}}})
    assert info.value.param == "session.audio.output.speed"
    assert current["instructions"].startswith("Your knowledge")
    locked = apply_session_update(current, {"type": "realtime"}, voice_locked=True)
    assert locked == current
    with pytest.raises(ClientEventError) as info:
        apply_session_update(
            current, {"type": "realtime", "audio": {"output": {"voice": "echo"}}}, voice_locked=True
        )
    assert info.value.code == "cannot_update_voice"
