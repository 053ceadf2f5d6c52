"""Conversation items: create, delete, retrieve and truncate."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from realtime_actors.simulator import Scenario, Simulator
from tests.simulator.realtime_client import RtClient, connect_session


@pytest.fixture(scope="module")
def sim():
    with Simulator(Scenario(reply=lambda ctx: "one two three four five six seven eight")) as s:
        yield s


@pytest.fixture
def client(sim: Simulator):
    with connect_session(sim.ws_url) as c:
        c.configure(audio={"input": {"turn_detection": None}})
        yield c


def _create(client: RtClient, text: str, **extra: object) -> list[dict]:
    client.send({"type": "conversation.item.create", **extra, "item": {
        "type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}})
    return [client.expect("conversation.item.added"), client.expect("conversation.item.done")]


def test_create_adds_then_done_with_previous_item_id(client: RtClient) -> None:
    added, done = _create(client, "first")
    item = added["item"]
    assert added["previous_item_id"] is None
    assert item["id"].startswith("item_") and item["object"] == "realtime.item"
    assert item["status"] == "completed" and item["role"] == "user"
    assert item["content"] == [{"type": "input_text", "text": "first"}]
    assert done["item"] == item
    second, _ = _create(client, "second")
    assert second["previous_item_id"] == item["id"]
    root, _ = _create(client, "zeroth", previous_item_id="root")
    assert root["previous_item_id"] is None
    middle, _ = _create(client, "between", previous_item_id=item["id"])
    assert middle["previous_item_id"] == item["id"]


def test_unknown_previous_item_id_is_an_error(client: RtClient) -> None:
    client.send({"type": "conversation.item.create", "event_id": "e1", "previous_item_id": "nope",
                 "item": {"type": "message", "role": "user",
                          "content": [{"type": "input_text", "text": "x"}]}})
    error = client.expect("error")["error"]
    assert error["event_id"] == "e1" and error["param"] == "previous_item_id"


def test_client_provided_id_and_function_items(client: RtClient) -> None:
    client.send({"type": "conversation.item.create", "item": {
        "id": "item_mine", "type": "function_call", "call_id": "call_1", "name": "f",
        "arguments": "{}"}})
    assert client.expect("conversation.item.added")["item"]["id"] == "item_mine"
    client.expect("conversation.item.done")
    client.send({"type": "conversation.item.create", "item": {
        "type": "function_call_output", "call_id": "call_1", "output": "42"}})
    item = client.expect("conversation.item.added")["item"]
    assert item["type"] == "function_call_output"
    assert (item["call_id"], item["output"]) == ("call_1", "42")


def test_assistant_audio_items_cannot_be_created(client: RtClient) -> None:
    client.send({"type": "conversation.item.create", "item": {
        "type": "message", "role": "assistant",
        "content": [{"type": "output_audio", "transcript": "hi"}]}})
    assert client.expect("error")["error"]["param"] == "item.content[0].type"


def test_delete_and_retrieve(client: RtClient) -> None:
    item_id = _create(client, "keep me")[0]["item"]["id"]
    client.send({"type": "conversation.item.retrieve", "item_id": item_id})
    retrieved = client.expect("conversation.item.retrieved")["item"]
    assert retrieved["content"][0]["text"] == "keep me"
    client.send({"type": "conversation.item.delete", "item_id": item_id})
    assert client.expect("conversation.item.deleted")["item_id"] == item_id
    for kind in ("conversation.item.delete", "conversation.item.retrieve"):
        client.send({"type": kind, "item_id": item_id, "event_id": "e9"})
        error = client.expect("error")["error"]
        assert error["event_id"] == "e9" and item_id in error["message"]


def test_retrieve_user_audio_item_includes_audio(client: RtClient) -> None:
    pcm = bytes(range(256)) * 40
    client.append_bytes(pcm)
    client.send({"type": "input_audio_buffer.commit"})
    item_id = client.expect("input_audio_buffer.committed")["item_id"]
    client.send({"type": "conversation.item.retrieve", "item_id": item_id})
    content = client.recv_until("conversation.item.retrieved")[-1]["item"]["content"][0]
    assert content["type"] == "input_audio"
    assert base64.b64decode(content["audio"]) == pcm


def test_truncate_cuts_audio_and_removes_the_transcript(client: RtClient) -> None:
    _create(client, "talk")
    client.send({"type": "response.create"})
    events = client.recv_until("response.done")
    audio = b"".join(base64.b64decode(e["delta"]) for e in events
                     if e["type"] == "response.output_audio.delta")
    total_ms = len(audio) // 48
    item_id = events[-1]["response"]["output"][0]["id"]
    client.send({"type": "conversation.item.truncate", "item_id": item_id, "content_index": 0,
                 "audio_end_ms": total_ms + 50, "event_id": "t1"})
    error = client.recv_until("error")[-1]["error"]
    assert error["event_id"] == "t1" and error["param"] == "audio_end_ms"
    client.send({"type": "conversation.item.truncate", "item_id": item_id, "content_index": 0,
                 "audio_end_ms": total_ms // 2})
    truncated = client.expect("conversation.item.truncated")
    assert (truncated["item_id"], truncated["audio_end_ms"]) == (item_id, total_ms // 2)
    client.send({"type": "conversation.item.retrieve", "item_id": item_id})
    content = client.expect("conversation.item.retrieved")["item"]["content"][0]
    assert content["transcript"] is None  # the service removes the server-side transcript
    assert abs(len(base64.b64decode(content["audio"])) - total_ms // 2 * 48) <= 2


def test_the_model_remembers_only_the_heard_part_of_a_truncated_answer() -> None:
    full = "one two three four five six seven eight"
    memory: list[tuple[str, ...]] = []

    def reply(ctx: Any) -> str:
        memory.append(ctx.history)
        return full

    with Simulator(Scenario(reply=reply)) as sim, connect_session(sim.ws_url) as client:
        client.configure(audio={"input": {"turn_detection": None}})
        _create(client, "talk")
        client.send({"type": "response.create"})
        events = client.recv_until("response.done")
        audio = b"".join(base64.b64decode(e["delta"]) for e in events
                         if e["type"] == "response.output_audio.delta")
        item_id = events[-1]["response"]["output"][0]["id"]
        client.send({"type": "conversation.item.truncate", "item_id": item_id,
                     "content_index": 0, "audio_end_ms": len(audio) // 48 // 2})
        client.recv_until("conversation.item.truncated")
        _create(client, "again")
        client.send({"type": "response.create"})
        client.recv_until("response.done")
    heard = memory[-1][-1]
    assert memory[-1][0] == "talk" and 0 < len(heard) < len(full) and full.startswith(heard)


def test_truncate_rejects_user_items(client: RtClient) -> None:
    item_id = _create(client, "mine")[0]["item"]["id"]
    client.send({"type": "conversation.item.truncate", "item_id": item_id, "content_index": 0,
                 "audio_end_ms": 0})
    assert client.expect("error")["error"]["code"] == "invalid_value"


def test_truncate_while_the_response_is_still_streaming() -> None:
    long = "A long answer that is still being spoken while the user interrupts it."
    with Simulator(Scenario(reply=lambda ctx: long, output_pacing=1.0)) as sim:
        with connect_session(sim.ws_url) as client:
            client.configure(audio={"input": {"turn_detection": None}})
            _create(client, "talk")
            client.send({"type": "response.create"})
            delta = client.recv_until("response.output_audio.delta")[-1]
            played_ms = len(base64.b64decode(delta["delta"])) // 48 // 2
            client.send({"type": "conversation.item.truncate", "item_id": delta["item_id"],
                         "content_index": 0, "audio_end_ms": played_ms})
            assert client.recv_until("conversation.item.truncated")[-1]["item_id"] == (
                delta["item_id"])
            client.send({"type": "response.cancel"})
            client.recv_until("response.done")
            client.send({"type": "conversation.item.retrieve", "item_id": delta["item_id"]})
            item = client.recv_until("conversation.item.retrieved")[-1]["item"]
            assert item["status"] == "incomplete"
            content = item["content"][0]
            assert abs(len(base64.b64decode(content["audio"])) - played_ms * 48) <= 2
            assert content["transcript"] is None
