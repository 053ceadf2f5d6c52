"""Every server event of typical sessions validates against the openai SDK's GA types."""

from __future__ import annotations

import numpy as np

from realtime_actors.simulator import FaultPlan, Scenario, Simulator
from realtime_actors.simulator.speech_codec import synthesize
from tests.protocol.openai_schema import server_event_problems, validate_client_event
from tests.simulator.realtime_client import connect_session, silence

LONG = "This is a rather long answer that keeps the simulated speaker busy for a while."
WEATHER = {"type": "function", "name": "get_weather", "description": "Weather",
           "parameters": {"type": "object", "properties": {"query": {"type": "string"}}}}


def _exercise(sim: Simulator) -> None:
    with connect_session(sim.ws_url) as client:
        # errors of several kinds
        client.send({"type": "session.update", "event_id": "e1", "session": {"voice": "x"}})
        client.send({"type": "input_audio_buffer.appnd"})
        client.send({"type": "input_audio_buffer.commit"})
        client.send({"type": "response.cancel"})
        for _ in range(4):
            client.expect("error")
        # text turn and function call with transcription enabled
        client.configure(output_modalities=["text"], tools=[WEATHER], audio={"input": {
            "transcription": {"model": "gpt-4o-transcribe"}, "turn_detection": None}})
        client.user_text("hello")
        client.send({"type": "response.create"})
        client.recv_until("rate_limits.updated")
        client.user_text('get weather for "Oslo"')
        client.send({"type": "response.create"})
        call = client.recv_until("rate_limits.updated")[-2]["response"]["output"][0]
        client.send({"type": "conversation.item.create", "item": {
            "type": "function_call_output", "call_id": call["call_id"], "output": "sunny"}})
        client.send({"type": "response.create"})
        client.recv_until("rate_limits.updated")
        # committed audio with transcription, retrieve, delete
        client.append_pcm(np.concatenate([silence(100), synthesize("audio words")]))
        client.send({"type": "input_audio_buffer.commit"})
        item_id = client.recv_until(
            "conversation.item.input_audio_transcription.completed")[0]["item_id"]
        client.send({"type": "conversation.item.retrieve", "item_id": item_id})
        client.expect("conversation.item.retrieved")
        client.send({"type": "conversation.item.delete", "item_id": item_id})
        client.expect("conversation.item.deleted")
        client.send({"type": "input_audio_buffer.clear"})
        client.expect("input_audio_buffer.cleared")
        # audio turn with VAD, cancelled by barge-in, then truncated; then an OOB response
        client.configure(output_modalities=["audio"], audio={"input": {
            "turn_detection": {"type": "server_vad"}}})
        client.append_pcm(np.concatenate([synthesize("first"), silence(300)]))
        first = client.recv_until("response.output_audio.delta")[-1]
        client.append_pcm(synthesize("stop"))
        client.recv_until("response.done")
        client.send({"type": "conversation.item.truncate", "item_id": first["item_id"],
                     "content_index": 0, "audio_end_ms": 10})
        client.recv_until("conversation.item.truncated")
        client.append_pcm(silence(300))
        client.recv_until("rate_limits.updated")
        client.send({"type": "response.create", "response": {"conversation": "none"}})
        client.recv_until("rate_limits.updated")
    with connect_session(sim.ws_url) as client:  # a failed response, then expiry
        client.user_text("x")
        client.send({"type": "response.create"})
        client.recv_until("response.done")
        client.recv_close()


def test_every_server_event_is_a_valid_ga_event() -> None:
    plans = {1: FaultPlan(fail_responses="rate_limit_exceeded", expire_after_events=6)}
    scenario = Scenario(reply=lambda ctx: LONG if ctx.user_text == "first" else "fine",
                        output_pacing=1.0, faults=plans.get)
    with Simulator(scenario) as sim:
        _exercise(sim)
        events = sim.server_events()
        frames = sim.client_frames()
    kinds = {e["type"] for e in events}
    for expected in ("response.output_audio.delta", "response.function_call_arguments.done",
                     "input_audio_buffer.speech_started", "conversation.item.truncated",
                     "conversation.item.input_audio_transcription.completed", "error"):
        assert expected in kinds
    problems = {}
    for event in events:
        found = server_event_problems(event)
        if found:
            problems.setdefault(event["type"], found)
    assert problems == {}
    for frame in frames[2:]:  # the first two frames are deliberately invalid
        validate_client_event(frame)
