"""Input audio buffer, server VAD, barge-in, input transcription and G.711 formats."""

from __future__ import annotations

import base64

import numpy as np

from realtime_actors.simulator import Scenario, Simulator
from realtime_actors.simulator.audio import g711_decode, g711_encode, resample
from realtime_actors.simulator.speech_codec import decode, synthesize
from tests.simulator.realtime_client import connect_session, silence, types

LONG = "This is a rather long answer that keeps the simulated speaker busy for a while."


def test_append_invalid_base64_is_invalid_value() -> None:
    with Simulator() as sim, connect_session(sim.ws_url) as client:
        client.send({"type": "input_audio_buffer.append", "audio": "not base64!", "event_id": "a"})
        error = client.expect("error")["error"]
        assert (error["code"], error["param"], error["event_id"]) == ("invalid_value", "audio", "a")


def test_commit_needs_100ms_then_creates_user_audio_item() -> None:
    with Simulator() as sim, connect_session(sim.ws_url) as client:
        client.configure(audio={"input": {"turn_detection": None}})
        client.send({"type": "input_audio_buffer.commit", "event_id": "c0"})
        error = client.expect("error")["error"]
        assert error["code"] == "input_audio_buffer_commit_empty"
        assert error["event_id"] == "c0"
        assert error["message"] == (
            "Error committing input audio buffer: buffer too small. Expected at least 100ms "
            "of audio, but buffer only has 0.00ms of audio."
        )
        client.append_pcm(silence(50))
        client.send({"type": "input_audio_buffer.commit"})
        assert "50.00ms" in client.expect("error")["error"]["message"]
        client.append_pcm(silence(60))
        client.send({"type": "input_audio_buffer.commit"})
        committed = client.expect("input_audio_buffer.committed")
        assert committed["previous_item_id"] is None
        added = client.expect("conversation.item.added")
        assert added["item"] == {
            "id": committed["item_id"], "type": "message", "object": "realtime.item",
            "status": "completed", "role": "user",
            "content": [{"type": "input_audio", "transcript": None}],
        }
        client.expect("conversation.item.done")
        client.send({"type": "input_audio_buffer.commit"})
        assert client.expect("error")["error"]["code"] == "input_audio_buffer_commit_empty"


def test_clear_empties_the_buffer() -> None:
    with Simulator() as sim, connect_session(sim.ws_url) as client:
        client.configure(audio={"input": {"turn_detection": None}})
        client.append_pcm(silence(200))
        client.send({"type": "input_audio_buffer.clear"})
        client.expect("input_audio_buffer.cleared")
        client.send({"type": "input_audio_buffer.commit"})
        assert client.expect("error")["error"]["code"] == "input_audio_buffer_commit_empty"


def test_vad_turn_commits_and_answers_the_decoded_speech() -> None:
    with Simulator() as sim, connect_session(sim.ws_url) as client:
        client.append_pcm(np.concatenate([silence(500), synthesize("hello robot"), silence(400)]))
        events = client.recv_until("rate_limits.updated")
        kinds = types(events)
        assert kinds[:6] == [
            "input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
            "input_audio_buffer.committed", "conversation.item.added", "conversation.item.done",
            "response.created",
        ]
        started, stopped, committed = events[:3]
        assert started["item_id"] == stopped["item_id"] == committed["item_id"]
        assert 150 <= started["audio_start_ms"] <= 250  # 500 ms silence - 300 ms prefix padding
        assert stopped["audio_end_ms"] > started["audio_start_ms"] + 500
        transcript = events[-2]["response"]["output"][0]["content"][0]["transcript"]
        assert transcript == "You said: hello robot"


def test_create_response_false_only_commits() -> None:
    with Simulator() as sim, connect_session(sim.ws_url) as client:
        client.configure(audio={"input": {"turn_detection": {
            "type": "server_vad", "create_response": False, "silence_duration_ms": 300}}})
        client.append_pcm(np.concatenate([synthesize("hi"), silence(400)]))
        client.recv_until("conversation.item.done")
        client.send({"type": "response.create", "response": {"output_modalities": ["text"]}})
        events = client.recv_until("response.done")
        assert types(events)[0] == "response.created", "no automatic response came first"


def test_barge_in_cancels_the_running_response_with_turn_detected() -> None:
    scenario = Scenario(reply=lambda ctx: LONG if ctx.user_text == "first" else "ok",
                        output_pacing=1.0)
    with Simulator(scenario) as sim:
        with connect_session(sim.ws_url) as client:
            client.append_pcm(np.concatenate([synthesize("first"), silence(300)]))
            client.recv_until("response.output_audio.delta")
            client.append_pcm(synthesize("stop"))
            events = client.recv_until("response.done")
            assert "input_audio_buffer.speech_started" in types(events)
            done = events[-1]["response"]
            assert done["status"] == "cancelled"
            assert done["status_details"] == {"type": "cancelled", "reason": "turn_detected"}
            client.append_pcm(silence(300))
            events = client.recv_until("response.done")
            assert "input_audio_buffer.speech_stopped" in types(events)
            assert events[-1]["response"]["status"] == "completed"
            assert events[-1]["response"]["id"] != done["id"]


def test_interrupt_response_false_keeps_the_response() -> None:
    with Simulator(Scenario(reply=lambda ctx: "a reply of medium size", output_pacing=1.0)) as sim:
        with connect_session(sim.ws_url) as client:
            client.configure(audio={"input": {"turn_detection": {
                "type": "server_vad", "interrupt_response": False}}})
            client.append_pcm(np.concatenate([synthesize("first"), silence(300)]))
            client.recv_until("response.output_audio.delta")
            client.append_pcm(synthesize("again"))
            events = client.recv_until("response.done")
            assert "input_audio_buffer.speech_started" in types(events)
            assert events[-1]["response"]["status"] == "completed"


def test_input_transcription_events() -> None:
    with Simulator() as sim, connect_session(sim.ws_url) as client:
        client.configure(audio={"input": {"transcription": {"model": "gpt-4o-transcribe"},
                                          "turn_detection": None}})
        client.append_pcm(np.concatenate([silence(100), synthesize("good morning")]))
        client.send({"type": "input_audio_buffer.commit"})
        events = client.recv_until("conversation.item.input_audio_transcription.completed")
        item_id = events[0]["item_id"]
        deltas = [e for e in events
                  if e["type"] == "conversation.item.input_audio_transcription.delta"]
        assert "".join(d["delta"] for d in deltas) == "good morning"
        assert all(d["item_id"] == item_id and d["content_index"] == 0 for d in deltas)
        completed = events[-1]
        assert completed["transcript"] == "good morning"
        assert completed["usage"]["type"] == "tokens" and completed["usage"]["total_tokens"] > 0
        client.send({"type": "conversation.item.retrieve", "item_id": item_id})
        item = client.expect("conversation.item.retrieved")["item"]
        assert item["content"][0]["transcript"] == "good morning"


def test_scenario_transcript_function_and_inaudible_fallback() -> None:
    calls: list[int] = []

    def transcript(pcm: bytes, turn: int) -> str:
        calls.append(turn)
        return f"turn {turn} with {len(pcm)} bytes"

    with Simulator(Scenario(transcript=transcript)) as sim, connect_session(sim.ws_url) as c:
        c.configure(output_modalities=["text"], audio={"input": {"turn_detection": None}})
        c.append_pcm(silence(100))
        c.send({"type": "input_audio_buffer.commit"})
        c.send({"type": "response.create"})
        text = c.recv_until("response.done")[-1]["response"]["output"][0]["content"][0]["text"]
        assert text == "You said: turn 0 with 4800 bytes"
    with Simulator() as sim, connect_session(sim.ws_url) as c:
        c.configure(output_modalities=["text"], audio={"input": {"turn_detection": None}})
        c.append_pcm(silence(100))
        c.send({"type": "input_audio_buffer.commit"})
        c.send({"type": "response.create"})
        text = c.recv_until("response.done")[-1]["response"]["output"][0]["content"][0]["text"]
        assert text == "You said: (inaudible)"


def test_g711_input_and_output_formats() -> None:
    with Simulator(Scenario(reply=lambda ctx: "ok " + ctx.user_text)) as sim:
        with connect_session(sim.ws_url) as client:
            client.configure(audio={"input": {"format": {"type": "audio/pcmu"}},
                                    "output": {"format": {"type": "audio/pcma"}}})
            speech = np.concatenate([silence(300), synthesize("ulaw in"), silence(400)])
            ulaw = g711_encode(resample(speech, 24000, 8000), "audio/pcmu")
            for i in range(0, len(ulaw), 800):
                client.append_bytes(ulaw[i : i + 800])
            events = client.recv_until("response.done")
            assert events[0]["type"] == "input_audio_buffer.speech_started"
            out = b"".join(base64.b64decode(e["delta"]) for e in events
                           if e["type"] == "response.output_audio.delta")
            assert events[-1]["response"]["audio"]["output"]["format"] == {"type": "audio/pcma"}
            pcm = resample(g711_decode(out, "audio/pcma"), 8000, 24000)
            assert decode(pcm) == "ok ulaw in"


def test_g711_codec_round_trip_is_close() -> None:
    x = (np.sin(np.arange(800) / 7) * 12000).astype(np.int16)
    for fmt in ("audio/pcmu", "audio/pcma"):
        y = g711_decode(g711_encode(x, fmt), fmt)
        assert np.max(np.abs(y.astype(int) - x)) <= 400
