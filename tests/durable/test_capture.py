"""capture_snapshot / restore_snapshot on the pure session state (no sockets)."""

from __future__ import annotations

import time

import pytest

import realtime_actors as rt
from realtime_actors.durable import (
    SnapshotError,
    capture_snapshot,
    find_agent,
    restore_snapshot,
    seed_snapshot,
)
from realtime_actors.session.core.session_core import SessionCore
from realtime_actors.session.event_sink import EventSink
from realtime_actors.session.state import SessionState
from realtime_actors.tools.function_tool import ToolContext


def new_state(agent: rt.RealtimeAgent) -> SessionState:
    config = rt.RunConfig()
    core = SessionCore(agent, config, clock=time.monotonic)
    return SessionState(core=core, run_config=config, sink=EventSink(10), session_id="s1")


def item(item_id: str, **fields: object) -> rt.HistoryItem:
    fields.setdefault("type", "message")
    return rt.HistoryItem(item_id=item_id, **fields)  # type: ignore[arg-type]


def test_capture_keeps_complete_items_and_leaves_out_unfinished_work() -> None:
    state = new_state(rt.agent("A"))
    core = state.core
    core.history.upsert(item("u1", role="user", text="hi"))
    core.history.upsert(item("a1", role="assistant", transcript="hello", status="completed"))
    core.history.upsert(item("f1", type="function_call", call_id="done", name="t",
                             arguments="{}"))
    core.history.upsert(item("o1", type="function_call_output", call_id="done", output="x"))
    core.history.upsert(item("f2", type="function_call", call_id="running", name="t",
                             arguments="{}"))
    core.history.upsert(item("a2", role="assistant", transcript="half", status="in_progress"))
    core.tool_calls.handled.update({"done", "running"})
    core.tool_calls.running["running"] = ToolContext(call_id="running", tool_name="t",
                                                agent_name="A")
    core.update_session(rt.SessionModelSettings(voice="verse"))
    snapshot = capture_snapshot(state, "s1", 3)
    assert [i.item_id for i in snapshot.items] == ["u1", "a1", "f1", "o1"]
    assert snapshot.handled_calls == {"done"}
    assert snapshot.response_owed  # the cut answer and the unanswered call are redone
    assert snapshot.settings == {"voice": "verse"}
    assert snapshot.sequence == 3 and snapshot.agent_name == "A"


def test_capture_carries_queued_messages_but_not_audio_or_control_frames() -> None:
    state = new_state(rt.agent("A"))
    effects = state.core.send_message("queued while offline")
    state.outbox.extend(e.frame for e in effects)
    state.outbox.extend(e.frame for e in state.core.send_audio(b"\0\0", commit=True,
                                                               respond=True))
    snapshot = capture_snapshot(state, "s1", 1)
    assert [f["type"] for f in snapshot.pending] == ["conversation.item.create"]
    assert "event_id" not in snapshot.pending[0]
    assert snapshot.pending[0]["item"]["content"][0]["text"] == "queued while offline"
    assert snapshot.response_owed


def test_restore_makes_the_first_connection_restore_the_conversation() -> None:
    support = rt.agent("Support")
    root = rt.agent("Greeter", handoffs=[support])
    source = new_state(root)
    source.core.history.upsert(item("u1", role="user", text="my name is Ada"))
    source.core.agent = support
    source.core.tool_calls.handled.add("c9")
    source.outbox.extend(e.frame for e in source.core.send_message("and I like tea"))
    snapshot = capture_snapshot(source, "s1", 1)

    target = new_state(root)
    restore_snapshot(target, snapshot, root)
    assert target.core.agent is support
    assert "c9" in target.core.tool_calls.handled
    effects = target.core.on_connected(
        queued_item_ids={f["item"]["id"] for f in target.outbox})
    frames = [e.frame for e in effects if hasattr(e, "frame")]
    assert frames[0]["type"] == "session.update"
    created = [f["item"] for f in frames if f["type"] == "conversation.item.create"]
    assert [i["id"] for i in created] == ["u1"]  # restored with its id
    assert [f["type"] for f in target.outbox] == ["conversation.item.create"]
    assert target.core.tool_calls.on_function_call("c9", "t", "{}") == []  # never run twice


def test_restore_refuses_a_started_session_and_an_unknown_agent() -> None:
    state = new_state(rt.agent("A"))
    state.core.on_connected()
    with pytest.raises(SnapshotError, match="before the session connects"):
        restore_snapshot(state, seed_snapshot(rt.agent("A"), [], "s1"), rt.agent("A"))
    with pytest.raises(SnapshotError, match="Ghost"):
        restore_snapshot(new_state(rt.agent("A")),
                         seed_snapshot(rt.agent("Ghost"), [], "s1"), rt.agent("A"))


def test_find_agent_follows_lazy_and_cyclic_handoffs() -> None:
    b_box: list[rt.RealtimeAgent] = []
    a = rt.agent("A", handoffs=[rt.handoff(lambda: b_box[0], tool_name="to_b")])
    b = rt.agent("B", handoffs=[a])
    b_box.append(b)
    assert find_agent(a, "B") is b and find_agent(b, "A") is a


def test_seed_snapshot_takes_items_and_wire_dicts() -> None:
    seeded = seed_snapshot(rt.agent("A"), [
        item("x1", role="user", text="one"),
        {"type": "message", "role": "assistant",
         "content": [{"type": "output_text", "text": "two"}]},
    ], "s1")
    assert [i.content_text for i in seeded.items] == ["one", "two"]
    assert seeded.items[1].item_id.startswith("item_")
    with pytest.raises(rt.ConfigError):
        seed_snapshot(rt.agent("A"), ["text"], "s1")  # type: ignore[list-item]
    with pytest.raises(rt.ConfigError):
        seed_snapshot(rt.agent("A"), [{"role": "user"}], "s1")
