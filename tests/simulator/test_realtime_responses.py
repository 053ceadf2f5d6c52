"""Responses of the scripted model: GA event order, audio, function calls, cancel, conflicts."""

from __future__ import annotations

import base64
import json
import queue
from typing import Any

import pytest

from realtime_actors.simulator import ReplyContext, Scenario, Simulator
from realtime_actors.simulator.speech_codec import decode
from tests.simulator.realtime_client import RtClient, connect_session, types

LONG = "This is a rather long answer that keeps the simulated speaker busy for a while."


def _text_client(sim: Simulator) -> RtClient:
    client = connect_session(sim.ws_url)
    client.configure(output_modalities=["text"], audio={"input": {"turn_detection": None}})
    return client


def test_text_turn_follows_ga_order() -> None:
    with Simulator() as sim, _text_client(sim) as client:
        user = client.user_text("hi")[0]["item"]
        client.send({"type": "response.create"})
        events = client.recv_until("rate_limits.updated")
        kinds = types(events)
        n = kinds.count("response.output_text.delta")
        assert n >= 1
        assert kinds == [
            "response.created", "response.output_item.added", "conversation.item.added",
            "response.content_part.added", *["response.output_text.delta"] * n,
            "response.output_text.done", "response.content_part.done",
            "response.output_item.done", "conversation.item.done", "response.done",
            "rate_limits.updated",
        ]
        created = events[0]["response"]
        assert created["status"] == "in_progress" and created["output"] == []
        assert created["status_details"] is None and created["usage"] is None
        assert created["id"].startswith("resp_") and created["conversation_id"].startswith("conv_")
        assert events[2]["previous_item_id"] == user["id"]
        assert events[3]["part"] == {"type": "text", "text": ""}
        deltas = [e for e in events if e["type"] == "response.output_text.delta"]
        assert all(e["obfuscation"] for e in deltas)
        assert "".join(e["delta"] for e in deltas) == "You said: hi"
        assert events[n + 4]["text"] == "You said: hi"
        item = events[-3]["item"]
        assert item["status"] == "completed"
        assert item["content"] == [{"type": "output_text", "text": "You said: hi"}]
        done = events[-2]["response"]
        assert done["status"] == "completed" and done["output"] == [item]
        usage = done["usage"]
        assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0
        limits = {r["name"]: r for r in events[-1]["rate_limits"]}
        assert limits["requests"]["remaining"] == limits["requests"]["limit"] - 1


def _audio_turn(seed: int) -> list[dict[str, Any]]:
    with Simulator(Scenario(seed=seed, reply=lambda ctx: LONG)) as sim:
        with connect_session(sim.ws_url) as client:
            client.configure(audio={"input": {"turn_detection": None}})
            client.user_text("talk to me")
            client.send({"type": "response.create"})
            return client.recv_until("rate_limits.updated")


def test_audio_turn_order_interleaving_and_content() -> None:
    events = _audio_turn(seed=1)
    kinds = types(events)
    assert kinds[:4] == ["response.created", "response.output_item.added",
                         "conversation.item.added", "response.content_part.added"]
    assert kinds[-7:] == [
        "response.output_audio.done", "response.output_audio_transcript.done",
        "response.content_part.done", "response.output_item.done", "conversation.item.done",
        "response.done", "rate_limits.updated",
    ]
    middle = set(kinds[4:-7])
    assert middle == {"response.output_audio.delta", "response.output_audio_transcript.delta"}
    first_audio = kinds.index("response.output_audio.delta")
    assert "response.output_audio_transcript.delta" in kinds[first_audio:-7]  # interleaved
    assert events[3]["part"] == {"type": "audio", "transcript": ""}
    assert events[0]["response"]["audio"]["output"] == {
        "format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy"}
    audio_deltas = [e for e in events if e["type"] == "response.output_audio.delta"]
    sizes = [len(base64.b64decode(e["delta"])) for e in audio_deltas]
    assert len(set(sizes[:-1])) > 1, "delta sizes must vary"
    assert all(20 * 48 <= s <= 200 * 48 for s in sizes[:-1])
    assert all(e["obfuscation"] for e in audio_deltas)
    pcm = b"".join(base64.b64decode(e["delta"]) for e in audio_deltas)
    import numpy as np

    assert decode(np.frombuffer(pcm, dtype="<i2")) == LONG
    transcript = "".join(e["delta"] for e in events
                         if e["type"] == "response.output_audio_transcript.delta")
    assert transcript == LONG == events[-6]["transcript"]
    assert events[-5]["part"] == {"type": "audio", "transcript": LONG}
    assert events[-4]["item"]["content"] == [{"type": "output_audio", "transcript": LONG}]
    usage = events[-2]["response"]["usage"]
    assert usage["output_token_details"]["audio_tokens"] > 0


def test_audio_delta_sizes_are_deterministic_per_seed() -> None:
    def sizes(seed: int) -> list[int]:
        return [len(e["delta"]) for e in _audio_turn(seed)
                if e["type"] == "response.output_audio.delta"]

    assert sizes(3) == sizes(3)
    assert sizes(3) != sizes(4)


def test_second_response_conflicts_and_cancel_ends_it() -> None:
    with Simulator(Scenario(reply=lambda ctx: LONG, output_pacing=1.0)) as sim:
        with connect_session(sim.ws_url) as client:
            client.configure(audio={"input": {"turn_detection": None}})
            client.user_text("go")
            client.send({"type": "response.create"})
            first = client.recv_until("response.output_audio.delta")
            resp_id = first[0]["response"]["id"]
            client.send({"type": "response.create", "event_id": "second"})
            error = client.recv_until("error")[-1]["error"]
            assert error["code"] == "conversation_already_has_active_response"
            assert resp_id in error["message"] and error["event_id"] == "second"
            client.send({"type": "response.cancel"})
            rest = client.recv_until("response.done")
            tail = [t for t in types(rest) if not t.endswith(".delta")]
            assert tail == [
                "response.output_audio.done", "response.output_audio_transcript.done",
                "response.content_part.done", "response.output_item.done",
                "conversation.item.done", "response.done",
            ]
            done = rest[-1]["response"]
            assert done["status"] == "cancelled"
            assert done["status_details"] == {"type": "cancelled", "reason": "client_cancelled"}
            assert done["output"][0]["status"] == "incomplete"
            heard = rest[-5]["transcript"]
            assert LONG.startswith(heard) and len(heard) < len(LONG)
            client.expect("rate_limits.updated")
            client.send({"type": "response.cancel", "event_id": "c2"})
            error = client.expect("error")["error"]
            assert error["code"] == "response_cancel_not_active"
            assert error["message"] == "Cancellation failed: no active response found"
            client.send({"type": "response.create", "response": {"output_modalities": ["text"]}})
            assert client.recv_until("response.done")[-1]["response"]["status"] == "completed"


def test_out_of_band_response_runs_alongside_and_is_not_stored() -> None:
    with Simulator(Scenario(reply=lambda ctx: LONG, output_pacing=1.0)) as sim:
        with connect_session(sim.ws_url) as client:
            client.configure(audio={"input": {"turn_detection": None}})
            client.user_text("go")
            client.send({"type": "response.create"})
            in_band = client.recv_until("response.created")[-1]["response"]["id"]
            client.send({"type": "response.create", "response": {
                "conversation": "none", "output_modalities": ["text"],
                "metadata": {"purpose": "summary"}}})
            events = client.recv_until("response.done")
            oob_events = [e for e in events if e.get("response_id") not in (None, in_band)
                          or e.get("response", {}).get("id") not in (None, in_band)]
            done = events[-1]["response"]
            assert done["id"] != in_band, "the out-of-band response finished first"
            assert done["conversation_id"] is None and done["metadata"] == {"purpose": "summary"}
            assert "conversation.item.added" not in types(oob_events)
            client.send({"type": "response.cancel", "response_id": in_band})
            cancelled = client.recv_until("response.done")[-1]["response"]
            assert (cancelled["id"], cancelled["status"]) == (in_band, "cancelled")


def test_response_create_overrides_session_for_one_response() -> None:
    seen: queue.Queue[ReplyContext] = queue.Queue()

    def reply(ctx: ReplyContext) -> str:
        seen.put(ctx)
        return f"[{ctx.instructions}] {ctx.user_text}"

    with Simulator(Scenario(reply=reply)) as sim, connect_session(sim.ws_url) as client:
        client.configure(instructions="session rules", audio={"input": {"turn_detection": None}})
        client.user_text("hello")
        client.send({"type": "response.create", "response": {
            "output_modalities": ["text"], "instructions": "override"}})
        done = client.recv_until("response.done")[-1]["response"]
        assert done["output_modalities"] == ["text"]
        assert done["output"][0]["content"][0]["text"] == "[override] hello"
        client.send({"type": "response.create"})
        done = client.recv_until("response.done")[-1]["response"]
        assert done["output_modalities"] == ["audio"]
        assert done["output"][0]["content"][0]["transcript"] == "[session rules] hello"
        contexts = [seen.get(timeout=1), seen.get(timeout=1)]
        assert contexts[1].user_text == "hello"
        assert contexts[1].instructions == "session rules"


def test_history_holds_earlier_messages() -> None:
    seen: queue.Queue[ReplyContext] = queue.Queue()

    def reply(ctx: ReplyContext) -> str:
        seen.put(ctx)
        return f"re {ctx.user_text}"

    with Simulator(Scenario(reply=reply)) as sim, _text_client(sim) as client:
        for text in ("one", "two"):
            client.user_text(text)
            client.send({"type": "response.create"})
            client.recv_until("rate_limits.updated")
        seen.get(timeout=1)
        ctx = seen.get(timeout=1)
        assert ctx.user_text == "two"
        assert ctx.history == ("one", "re one")


def test_unknown_response_key_and_bad_conversation() -> None:
    with Simulator() as sim, _text_client(sim) as client:
        client.send({"type": "response.create", "response": {"modalities": ["text"]}})
        assert client.expect("error")["error"]["param"] == "response.modalities"
        client.send({"type": "response.create", "response": {"conversation": "conv_x"}})
        assert client.expect("error")["error"]["param"] == "response.conversation"


def test_max_output_tokens_makes_the_response_incomplete() -> None:
    with Simulator(Scenario(reply=lambda ctx: LONG)) as sim, _text_client(sim) as client:
        client.user_text("hi")
        client.send({"type": "response.create", "response": {"max_output_tokens": 2}})
        done = client.recv_until("response.done")[-1]["response"]
        assert done["status"] == "incomplete"
        assert done["status_details"] == {"type": "incomplete", "reason": "max_output_tokens"}
        assert done["output"][0]["content"][0]["text"] == LONG[:8]


WEATHER = {"type": "function", "name": "get_weather", "description": "Weather",
           "parameters": {"type": "object", "properties": {"query": {"type": "string"}}}}


def test_function_call_turn_and_reply_after_tool_output() -> None:
    with Simulator() as sim, _text_client(sim) as client:
        client.configure(tools=[WEATHER])
        client.user_text('Please get weather for "Paris"')
        client.send({"type": "response.create"})
        events = client.recv_until("rate_limits.updated")
        kinds = types(events)
        n = kinds.count("response.function_call_arguments.delta")
        assert n >= 1
        assert kinds == [
            "response.created", "response.output_item.added", "conversation.item.added",
            *["response.function_call_arguments.delta"] * n,
            "response.function_call_arguments.done", "response.output_item.done",
            "conversation.item.done", "response.done", "rate_limits.updated",
        ]
        added = events[1]["item"]
        assert added["type"] == "function_call" and added["status"] == "in_progress"
        assert added["arguments"] == "" and added["call_id"].startswith("call_")
        deltas = [e for e in events if e["type"] == "response.function_call_arguments.delta"]
        assert all(d["call_id"] == added["call_id"] for d in deltas)
        args_done = events[3 + n]
        assert args_done["name"] == "get_weather"
        assert json.loads(args_done["arguments"]) == {"query": "Paris"}
        assert "".join(d["delta"] for d in deltas) == args_done["arguments"]
        output = events[-2]["response"]["output"]
        assert output[0]["status"] == "completed"
        assert output[0]["arguments"] == args_done["arguments"]
        client.send({"type": "conversation.item.create", "item": {
            "type": "function_call_output", "call_id": added["call_id"], "output": "21C"}})
        client.recv_until("conversation.item.done")
        client.send({"type": "response.create"})
        done = client.recv_until("response.done")[-1]["response"]
        assert done["output"][0]["type"] == "message"
        assert done["output"][0]["content"][0]["text"] == "The tool returned: 21C"


def test_tool_choice_none_and_forced() -> None:
    with Simulator() as sim, _text_client(sim) as client:
        client.configure(tools=[WEATHER], tool_choice="none")
        client.user_text("get weather")
        client.send({"type": "response.create"})
        assert client.recv_until("response.done")[-1]["response"]["output"][0]["type"] == "message"
        client.send({"type": "response.create", "response": {
            "tool_choice": {"type": "function", "name": "get_weather"}}})
        out = client.recv_until("response.done")[-1]["response"]["output"][0]
        assert out["type"] == "function_call"


@pytest.mark.parametrize(
    "text", ["I need tech support", "techsupport please", "TECH_SUPPORT", "transfer me to tech",
             "call transfer_to_tech_support"],
)
def test_transfer_tools_match_agent_names(text: str) -> None:
    tool = {"type": "function", "name": "transfer_to_tech_support"}
    with Simulator() as sim, _text_client(sim) as client:
        client.configure(tools=[tool, WEATHER])
        client.user_text(text)
        client.send({"type": "response.create"})
        out = client.recv_until("response.done")[-1]["response"]["output"][0]
        assert (out["type"], out["name"]) == ("function_call", "transfer_to_tech_support")
