"""session.update validation and client event errors of the simulator."""

from __future__ import annotations

from typing import Any

import pytest

from realtime_actors.simulator import Simulator
from tests.simulator.realtime_client import RtClient, connect_session


@pytest.fixture(scope="module")
def sim():
    with Simulator() as simulator:
        yield simulator


@pytest.fixture
def client(sim: Simulator):
    with connect_session(sim.ws_url) as c:
        yield c


def _error(client: RtClient, event: dict[str, Any]) -> dict[str, Any]:
    client.send({**event, "event_id": "evt_client_1"})
    error = client.expect("error")["error"]
    assert error["event_id"] == "evt_client_1"
    assert error["type"] == "invalid_request_error"
    return error


def test_session_update_returns_full_effective_session(client: RtClient) -> None:
    session = client.configure(
        instructions="Be brief.",
        output_modalities=["text"],
        tools=[{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}],
        audio={
            "input": {
                "format": {"type": "audio/pcmu"},
                "transcription": {"model": "gpt-4o-transcribe"},
                "turn_detection": {"type": "semantic_vad", "eagerness": "low"},
            },
            "output": {"voice": "marin", "speed": 1.2},
        },
    )["session"]
    assert session["instructions"] == "Be brief."
    assert session["output_modalities"] == ["text"]
    assert session["tools"][0]["name"] == "get_weather"
    assert session["audio"]["input"]["format"] == {"type": "audio/pcmu"}
    assert session["audio"]["input"]["transcription"] == {"model": "gpt-4o-transcribe"}
    assert session["audio"]["input"]["turn_detection"] == {
        "type": "semantic_vad", "eagerness": "low", "create_response": True,
        "interrupt_response": True,
    }
    assert session["audio"]["output"] == {
        "format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin", "speed": 1.2,
    }
    # untouched fields keep their values; a later partial update keeps earlier ones
    assert session["tool_choice"] == "auto" and session["max_output_tokens"] == "inf"
    later = client.configure(audio={"input": {"turn_detection": None}})["session"]
    assert later["audio"]["input"]["turn_detection"] is None
    assert later["audio"]["output"]["voice"] == "marin"
    assert later["instructions"] == "Be brief."


def test_missing_session_type(client: RtClient) -> None:
    error = _error(client, {"type": "session.update", "session": {"instructions": "x"}})
    assert error["code"] == "missing_required_parameter"
    assert error["param"] == "session.type"
    assert error["message"] == "Missing required parameter: 'session.type'."


@pytest.mark.parametrize(
    "key", ["modalities", "voice", "input_audio_format", "turn_detection", "temperature",
            "max_response_output_tokens", "totally_made_up_field"],
)
def test_beta_and_unknown_keys_are_unknown_parameters(client: RtClient, key: str) -> None:
    error = _error(client, {"type": "session.update", "session": {"type": "realtime", key: 1}})
    assert error["code"] == "unknown_parameter"
    assert error["param"] == f"session.{key}"
    assert error["message"] == f"Unknown parameter: 'session.{key}'."


@pytest.mark.parametrize(
    ("audio", "param"),
    [
        ({"output": {"voic": "marin"}}, "session.audio.output.voic"),
        ({"input": {"vad": {}}}, "session.audio.input.vad"),
        ({"inputs": {}}, "session.audio.inputs"),
        ({"input": {"turn_detection": {"type": "server_vad", "eagerness": "low"}}},
         "session.audio.input.turn_detection.eagerness"),
    ],
)
def test_nested_unknown_keys_have_dotted_params(
    client: RtClient, audio: dict[str, Any], param: str
) -> None:
    event = {"type": "session.update", "session": {"type": "realtime", "audio": audio}}
    error = _error(client, event)
    assert (error["code"], error["param"]) == ("unknown_parameter", param)


@pytest.mark.parametrize(
    ("session", "param"),
    [
        ({"audio": {"output": {"voice": "nobody"}}}, "session.audio.output.voice"),
        ({"output_modalities": ["text", "audio"]}, "session.output_modalities"),
        ({"output_modalities": ["video"]}, "session.output_modalities"),
        ({"audio": {"input": {"format": {"type": "audio/mp3"}}}},
         "session.audio.input.format.type"),
        ({"audio": {"output": {"format": {"type": "audio/pcm", "rate": 16000}}}},
         "session.audio.output.format.rate"),
        ({"audio": {"input": {"turn_detection": {"type": "push_to_talk"}}}},
         "session.audio.input.turn_detection.type"),
        ({"audio": {"input": {"turn_detection": {"type": "semantic_vad", "eagerness": "x"}}}},
         "session.audio.input.turn_detection.eagerness"),
        ({"audio": {"input": {"transcription": {"model": "whisper-1", "delay": "bogus"}}}},
         "session.audio.input.transcription.delay"),
        ({"tool_choice": "sometimes"}, "session.tool_choice"),
        ({"max_output_tokens": 5000}, "session.max_output_tokens"),
    ],
)
def test_bad_enum_values_are_invalid_value(
    client: RtClient, session: dict[str, Any], param: str
) -> None:
    error = _error(client, {"type": "session.update", "session": {"type": "realtime", **session}})
    assert (error["code"], error["param"]) == ("invalid_value", param)


def test_rejected_update_changes_nothing(client: RtClient) -> None:
    _error(client, {"type": "session.update", "session": {
        "type": "realtime", "instructions": "new", "audio": {"output": {"voice": "nobody"}}}})
    assert client.configure()["session"]["instructions"].startswith("Your knowledge cutoff")


def test_transcription_update_on_realtime_session_is_rejected(client: RtClient) -> None:
    error = _error(client, {"type": "session.update", "session": {"type": "transcription"}})
    assert error["param"] == "session.type"
    assert "not allowed" in error["message"]


def test_unknown_event_type_is_invalid_value_on_type(client: RtClient) -> None:
    error = _error(client, {"type": "input_audio_buffer.appnd", "audio": "AA=="})
    assert (error["code"], error["param"]) == ("invalid_value", "type")


def test_missing_type_is_invalid_event(client: RtClient) -> None:
    error = _error(client, {"session": {}})
    assert error["code"] == "invalid_event"
    assert error["message"] == "The 'type' field is missing."


def test_non_json_is_invalid_event_and_session_continues(client: RtClient) -> None:
    client.ws.send("{not json")
    error = client.expect("error")["error"]
    assert error["code"] == "invalid_event"
    assert error["event_id"] is None
    client.configure()


def test_unknown_top_level_key_is_unknown_parameter(client: RtClient) -> None:
    error = _error(client, {"type": "response.cancel", "colour": "red"})
    assert (error["code"], error["param"]) == ("unknown_parameter", "colour")


def test_client_frames_are_recorded_in_order(sim: Simulator, client: RtClient) -> None:
    client.configure(instructions="one")
    client.configure(instructions="two")
    mine = [f for f in sim.client_frames() if f.get("session", {}).get("instructions")]
    assert [f["session"]["instructions"] for f in mine][-2:] == ["one", "two"]


def test_transcription_intent_opens_a_transcription_session(sim: Simulator) -> None:
    with RtClient(sim.ws_url, query="?intent=transcription") as client:
        session = client.expect("session.created")["session"]
        assert session["type"] == "transcription"
        assert "output" not in session["audio"]
        client.send({"type": "session.update", "session": {"type": "transcription", "audio": {
            "input": {"transcription": {"model": "gpt-4o-transcribe"}}}}})
        updated = client.expect("session.updated")["session"]
        assert updated["audio"]["input"]["transcription"]["model"] == "gpt-4o-transcribe"
