"""Snapshot, resume, seeded history and checkpoints end to end against the simulator."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import realtime_actors as rt
from realtime_actors.simulator import ReplyContext, Scenario
from tests.realtime.support import API_KEY, WAIT_S, Harness, frames_of, text_settings


def remembering_reply(ctx: ReplyContext) -> str:
    return f"You said: {ctx.user_text} | memory: {' / '.join(ctx.history)}"


def answered(text: str) -> Callable[[Any], bool]:
    return lambda e: (isinstance(e, rt.TranscriptCompletedEvent) and e.role == "assistant"
                      and f"You said: {text}" in e.transcript)


def connected(e: Any) -> bool:
    return isinstance(e, rt.ConnectionEvent) and e.status == "connected"


def eventually(check: Callable[[], Any], timeout: float = WAIT_S) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def turn(session: rt.Session, text: str) -> str:
    """Send ``text`` and wait for the whole response; returns the answer's transcript."""
    session.send_message(text)
    answer = session.wait_for(answered(text), WAIT_S)
    session.wait_for(rt.AgentEndEvent, WAIT_S)
    return answer.transcript


def start(harness: Harness, url: str | None = None, **kwargs: Any) -> rt.Session:
    """A text session on the harness's remembering simulator (rt.run keywords allowed)."""
    if not harness.sims:
        harness.start_sim(Scenario(reply=remembering_reply))
    config = rt.RunConfig(model_settings=text_settings(), **kwargs.pop("config", {}))
    session = rt.run(kwargs.pop("agent", rt.agent("Echo")), config=config,
                     model_config=rt.ModelConfig(url=url or harness.sim.ws_url,
                                                 api_key=API_KEY), **kwargs)
    harness.sessions.append(session)
    return session


def test_a_resumed_session_carries_the_conversation_on(harness: Harness) -> None:
    first = start(harness)
    turn(first, "my name is Ada")
    snapshot = rt.SessionSnapshot.from_json(first.snapshot().to_json())
    first.close()
    assert [i.role for i in snapshot.items] == ["user", "assistant"]

    second = start(harness, resume=snapshot)
    assert second.session_id == snapshot.session_id
    second.wait_for(connected, WAIT_S)
    assert "my name is Ada" in turn(second, "who am I?")  # the model saw the restored history
    restored = [f["item"]["id"] for f in harness.sim.connections[1].client_frames
                if f["type"] == "conversation.item.create"]
    assert restored[:2] == [i.item_id for i in snapshot.items]  # same ids, in order
    assert [i.item_id for i in second.history()][:2] == restored[:2]


def test_history_seeds_a_new_conversation(harness: Harness) -> None:
    session = start(harness, history=[
        {"type": "message", "role": "user",
         "content": [{"type": "input_text", "text": "I like green tea"}]},
        rt.HistoryItem(item_id="seed_2", type="message", role="assistant", text="Noted."),
    ])
    session.send_message("what do I like?")
    answer = session.wait_for(answered("what do I like?"), WAIT_S)
    assert "I like green tea / Noted." in answer.transcript
    with pytest.raises(rt.ConfigError, match="not both"):
        start(harness, history=[], resume=session.snapshot())


def test_a_message_queued_while_offline_is_delivered_by_the_resumed_session(
        harness: Harness) -> None:
    harness.start_sim(Scenario(reply=remembering_reply))
    offline = start(harness, url="ws://127.0.0.1:9/v1/realtime",  # nothing listens there
                    config={"reconnect": rt.ReconnectPolicy(initial_delay_s=5.0)})
    offline.send_message("sent while offline")
    snapshot = offline.snapshot()
    offline.close()
    assert len(snapshot.pending) == 1 and snapshot.response_owed

    resumed = start(harness, resume=snapshot)
    resumed.wait_for(answered("sent while offline"), WAIT_S)
    assert len(frames_of(harness.sim, "response.create")) == 1  # asked for once


@pytest.mark.parametrize("kind", ["memory", "file"])
def test_checkpoints_follow_the_conversation_and_resume_after_a_loss(
        harness: Harness, tmp_path: Path, kind: str) -> None:
    store = rt.MemoryStore() if kind == "memory" else rt.FileStore(tmp_path)
    policy = rt.CheckpointPolicy(interval_s=0.05, delete_on_end=False)
    session = start(harness, config={"store": store, "checkpoint": policy},
                    session_id="call-42")
    session.send_message("remember the number 7")
    session.wait_for(answered("remember the number 7"), WAIT_S)
    saved = eventually(lambda: (s := store.load("call-42")) and len(s.items) == 2 and s)
    assert saved.items[1].content_text.startswith("You said: remember the number 7")
    session.close()  # stands for a lost process: the record stays (delete_on_end=False)

    resumed = start(harness, resume=store.load("call-42"),
                    config={"store": store, "checkpoint": policy})
    resumed.send_message("which number?")
    answer = resumed.wait_for(answered("which number?"), WAIT_S)
    assert "remember the number 7" in answer.transcript
    eventually(lambda: len(store.load("call-42").items) == 4)


def test_a_closed_session_deletes_its_record_by_default(harness: Harness) -> None:
    store = rt.MemoryStore()
    session = start(harness, config={"store": store}, session_id="short")
    turn(session, "hello")
    assert session.checkpoint().session_id == "short"  # saved before returning
    assert store.load("short") is not None
    session.close()
    eventually(lambda: store.load("short") is None)


def test_checkpoint_without_a_store_is_a_config_error(harness: Harness) -> None:
    session = start(harness)
    with pytest.raises(rt.ConfigError, match="store"):
        session.checkpoint()
    # connected before the harness closes it (a close during the handshake leaves the
    # connect thread to finish on its own, which the thread check may see)
    session.wait_for(lambda e: isinstance(e, rt.ConnectionEvent) and e.status == "connected",
                     timeout=10)


def test_resume_with_an_unknown_agent_fails_before_connecting(harness: Harness) -> None:
    snapshot = rt.SessionSnapshot(session_id="s1", agent_name="Nobody")
    with pytest.raises(rt.SnapshotError, match="Nobody"):
        start(harness, resume=snapshot)
    assert harness.sim.connections == []


def test_a_resumed_session_keeps_the_agent_after_a_handoff_and_its_overrides(
        harness: Harness) -> None:
    support = rt.agent("TechSupport", instructions="Handle technical troubleshooting.")
    greeter = rt.agent("Greeter", instructions="Route technical questions.", handoffs=[support])
    first = start(harness, agent=greeter)
    first.update_session(rt.SessionModelSettings(max_output_tokens=321))
    first.send_message("please transfer to tech support")
    first.wait_for(lambda e: isinstance(e, rt.AgentEndEvent) and e.agent is support, WAIT_S)
    snapshot = first.snapshot()
    first.close()
    assert snapshot.agent_name == "TechSupport" and snapshot.settings["max_output_tokens"] == 321
    calls = {i.call_id for i in snapshot.items if i.type == "function_call"}
    assert calls and calls <= snapshot.handled_calls  # the handoff call is not run again

    resumed = start(harness, agent=greeter, resume=rt.SessionSnapshot.from_json(
        snapshot.to_json()))
    resumed.wait_for(connected, WAIT_S)
    assert resumed.current_agent() is support
    update = eventually(lambda: [f for f in harness.sim.connections[1].client_frames
                                 if f["type"] == "session.update"])[0]["session"]
    assert update["instructions"] == support.instructions
    assert update["max_output_tokens"] == 321
