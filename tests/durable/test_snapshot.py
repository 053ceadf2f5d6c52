"""SessionSnapshot: JSON round trip, versioning, and typed errors on bad input."""

from __future__ import annotations

import json

import pytest

import realtime_actors as rt
from realtime_actors.durable import (
    SessionSnapshot,
    SnapshotError,
    SnapshotVersionError,
    decode_settings,
    encode_settings,
)


def sample() -> SessionSnapshot:
    return SessionSnapshot(
        session_id="s1",
        agent_name="Greeter",
        items=(
            rt.HistoryItem(item_id="i1", type="message", role="user", text="hello"),
            rt.HistoryItem(item_id="i2", type="message", role="assistant", transcript="hi",
                           has_audio=True, status="completed", truncated_at_ms=120),
            rt.HistoryItem(item_id="i3", type="function_call", call_id="c1", name="get",
                           arguments="{}"),
            rt.HistoryItem(item_id="i4", type="function_call_output", call_id="c1",
                           output="ok"),
        ),
        handled_calls={"c1"},
        pending=({"type": "conversation.item.create", "item": {"id": "i5", "type": "message",
                                                               "role": "user", "content": []}},),
        settings=encode_settings(rt.SessionModelSettings(voice="alloy", speed=1.2)),
        response_owed=True,
        sequence=7,
    )


def test_json_round_trip_keeps_every_field() -> None:
    snapshot = sample()
    text = snapshot.to_json()
    assert SessionSnapshot.from_json(text) == snapshot
    assert json.loads(text)["version"] == 1


def test_unknown_version_is_refused_with_a_typed_error() -> None:
    data = sample().to_dict()
    data["version"] = 99
    with pytest.raises(SnapshotVersionError, match="99"):
        SessionSnapshot.from_dict(data)
    del data["version"]
    with pytest.raises(SnapshotVersionError):
        SessionSnapshot.from_dict(data)


@pytest.mark.parametrize("change", [
    {"session_id": 3},
    {"items": "x"},
    {"items": [{"type": "message"}]},
    {"items": [{"item_id": "a", "type": "message", "colour": "red"}]},
    {"items": [{"item_id": "a", "type": "message", "has_audio": "yes"}]},
    {"handled_calls": [1]},
    {"pending": [{"no_type": 1}]},
    {"settings": {"voice": "not-a-voice"}},
    {"settings": {"bogus": 1}},
    {"sequence": True},
])
def test_bad_fields_raise_snapshot_error(change: dict[str, object]) -> None:
    data = {**sample().to_dict(), **change}
    with pytest.raises(SnapshotError):
        SessionSnapshot.from_dict(data)


@pytest.mark.parametrize("text", ["not json", "[1, 2]", b"\xff\xfe"])
def test_not_a_snapshot_raises_snapshot_error(text: str | bytes) -> None:
    with pytest.raises(SnapshotError):
        SessionSnapshot.from_json(text)


def test_settings_survive_json() -> None:
    settings = rt.SessionModelSettings(
        voice="alloy", speed=1.1, output_modalities=("text",), instructions="be brief",
        turn_detection=rt.TurnDetectionConfig(type="semantic_vad", eagerness="low"),
        transcription=rt.TranscriptionConfig(model="whisper-1"), noise_reduction=None,
        tool_choice="auto", max_output_tokens=50)
    wire = json.loads(json.dumps(encode_settings(settings)))
    assert decode_settings(wire) == settings
