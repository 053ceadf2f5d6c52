"""Reconnect with session restore: every fault the simulator injects, a cut TCP proxy, queued
calls, interrupted responses, fatal failures and the restart intensity."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any

import pykka
import pytest

import realtime_actors as rt
from realtime_actors.simulator import FaultPlan, ReplyContext, Scenario
from tests.chaos.proxy import ChaosProxy
from tests.realtime.support import WAIT_S, Harness, frames_of, of_type, text_settings, until

FAST = rt.ReconnectPolicy(initial_delay_s=0.02, max_delay_s=0.1)


def remembering_reply(ctx: ReplyContext) -> str:
    """A model that says what it remembers, so a test can see the restored context."""
    return f"You said: {ctx.user_text} | memory: {' / '.join(ctx.history)}"


def first_connection(plan: FaultPlan) -> Callable[[int], FaultPlan | None]:
    """Faults on the first connection only."""
    return lambda index: plan if index == 0 else None


def status_is(status: str) -> Callable[[Any], bool]:
    """Matches a ConnectionEvent with that status."""
    return lambda e: isinstance(e, rt.ConnectionEvent) and e.status == status


def answered(text: str) -> Callable[[Any], bool]:
    """Matches the completed assistant transcript answering ``text``."""
    return lambda e: (isinstance(e, rt.TranscriptCompletedEvent) and e.role == "assistant"
                      and f"You said: {text}" in e.transcript)


def start(harness: Harness, plan: FaultPlan | Callable[[int], FaultPlan | None] | None,
          **run: Any) -> rt.Session:
    harness.start_sim(Scenario(faults=plan, reply=remembering_reply))
    run.setdefault("reconnect", FAST)
    return harness.run(rt.agent("Echo"), model_settings=text_settings(), **run)


@pytest.mark.parametrize(
    "plan",
    [
        pytest.param(FaultPlan(drop_after_events=12), id="dropped-tcp"),
        pytest.param(FaultPlan(close_code=1011, close_after_events=12), id="close-1011"),
        pytest.param(FaultPlan(close_code=1012, close_after_events=12), id="close-1012"),
        pytest.param(FaultPlan(close_code=1013, close_after_events=12), id="close-1013"),
        pytest.param(FaultPlan(expire_after_events=12), id="session-expired"),
    ],
)
def test_session_recovers_with_its_context_after_each_fault(
    harness: Harness, plan: FaultPlan
) -> None:
    listener = harness.listener()
    session = start(harness, lambda i: plan if i == 0 else None, subscribers=(listener.ref,))
    session.send_message("my name is Ada")
    # the fault fires on the first connection during or after the first turn
    events = until(session, answered("my name is Ada"))
    if not any(status_is("connected")(e) for e in events):
        events += until(session, status_is("connected"))
    reconnecting = [e for e in of_type(events, rt.ConnectionEvent) if e.status == "reconnecting"]
    assert [e.attempt for e in reconnecting] == [1]
    assert [e.attempt for e in of_type(events, rt.ConnectionEvent)
            if e.status == "connected"] == [1]
    if plan.expire_after_events:
        assert reconnecting[0].reason == "session_expired"
        assert not of_type(events, rt.ErrorEvent)  # the rollover is transparent
    session.send_message("what is my name?")
    reply = until(session, answered("what is my name?"))[-1]
    # the new connection's model was given the earlier turn
    assert "my name is Ada" in reply.transcript
    assert len(harness.sim.connections) == 2
    # the subscriber, subscribed once, saw it all without doing anything
    seen = listener.drain_until_marker()
    assert any(status_is("reconnecting")(m) for m in seen)
    assert any(answered("what is my name?")(m) for m in seen)
    assert len([e for e in session.history() if e.role == "user"]) == 2


def test_messages_sent_while_disconnected_are_delivered_in_order(harness: Harness) -> None:
    slow = rt.ReconnectPolicy(initial_delay_s=0.4, max_delay_s=0.4)
    session = start(harness, None, reconnect=slow)
    session.send_message("first")
    until(session, answered("first"))
    assert harness.sim.drop_connections() == 1
    until(session, status_is("reconnecting"))
    for text in ("second", "third", "fourth"):
        session.send_message(text)  # queued: the new connection is 0.2-0.4 s away
    until(session, status_is("connected"))
    until(session, answered("fourth"))
    user_texts = [f["item"]["content"][0]["text"]
                  for f in frames_of(harness.sim, "conversation.item.create")
                  if f["item"].get("role") == "user"]
    # first (original), first (restored), then the queued ones, once each, in order
    assert user_texts == ["first", "first", "second", "third", "fourth"]


def test_response_cut_off_by_a_drop_is_reported_interrupted_then_redone(
    harness: Harness
) -> None:
    session = start(harness, first_connection(FaultPlan(drop_mid_response=True)))
    session.send_message("tell me a story")
    events = until(session, answered("tell me a story"))
    ends = of_type(events, rt.AgentEndEvent)
    assert ends and ends[0].status == "interrupted"
    assert of_type(events, rt.ConnectionEvent)[-1].status == "connected"
    creates = frames_of(harness.sim, "response.create")
    assert len(creates) == 2  # the original and the one redoing it
    # the cut-off partial answer was not restored as if it were complete
    restored = [f["item"] for f in frames_of(harness.sim, "conversation.item.create")
                if f["item"].get("role") == "assistant"]
    assert restored == []


def test_tcp_proxy_cut_mid_stream_recovers(harness: Harness) -> None:
    slow_first = first_connection(FaultPlan(event_delay_s=0.05))
    sim = harness.start_sim(Scenario(reply=remembering_reply, faults=slow_first,
                                     text_delta_chars=(2, 3)))
    proxy, url = ChaosProxy.for_ws_url(sim.ws_url)
    try:
        session = rt.run(rt.agent("Echo"),
                         config=rt.RunConfig(model_settings=text_settings(), reconnect=FAST,
                                             raw_events=False),
                         model_config=rt.ModelConfig(url=url, api_key="sk-proxy-test"))
        harness.sessions.append(session)
        session.wait_for(status_is("connected"), WAIT_S)
        session.send_message("a long answer please, with many words in it")
        session.wait_for(lambda e: isinstance(e, rt.TextDeltaEvent), WAIT_S)
        assert proxy.cut() == 1
        events = until(session, answered("a long answer please, with many words in it"))
        statuses = [e.status for e in of_type(events, rt.ConnectionEvent)]
        assert statuses == ["reconnecting", "connected"]
        assert of_type(events, rt.AgentEndEvent)[0].status == "interrupted"
        assert proxy.accepted == 2
        session.close()
    finally:
        proxy.stop()


def test_tool_finishing_during_a_drop_gets_its_output_delivered(harness: Harness) -> None:
    release = threading.Event()

    @rt.function_tool
    def slow_lookup(query: str = "") -> str:
        """Looks something up, slowly."""
        release.wait(WAIT_S)
        return "found it"

    proxy_sim = harness.start_sim(Scenario(reply=remembering_reply))
    proxy, url = ChaosProxy.for_ws_url(proxy_sim.ws_url)
    try:
        session = rt.run(rt.agent("Looker", tools=[slow_lookup]),
                         config=rt.RunConfig(model_settings=text_settings(tool_choice="required"),
                                             reconnect=FAST, raw_events=False),
                         model_config=rt.ModelConfig(url=url, api_key="sk-proxy-test"))
        harness.sessions.append(session)
        session.wait_for(status_is("connected"), WAIT_S)
        session.send_message("look it up")
        session.wait_for(lambda e: isinstance(e, rt.ToolStartEvent), WAIT_S)
        session.wait_for(lambda e: isinstance(e, rt.AgentEndEvent), WAIT_S)
        proxy.cut()
        session.wait_for(status_is("reconnecting"), WAIT_S)
        release.set()  # the tool ends while the session is (probably) still disconnected
        events = until(session, status_is("connected"))
        if not of_type(events, rt.ToolEndEvent):
            events += until(session, rt.ToolEndEvent)
        end = of_type(events, rt.ToolEndEvent)[0]
        assert end.ok and end.output == "found it"
        until(session, answered("look it up"))  # the follow-up response after the output
        outputs = [f["item"] for f in frames_of(proxy_sim, "conversation.item.create")
                   if f["item"]["type"] == "function_call_output"]
        assert [o["output"] for o in outputs] == ["found it"]
        calls = [f["item"] for f in frames_of(proxy_sim, "conversation.item.create")
                 if f["item"]["type"] == "function_call"]
        assert len(calls) == 1  # the call was restored before its output
        session.close()
    finally:
        release.set()
        proxy.stop()


@pytest.mark.parametrize(
    ("plan", "code"),
    [
        pytest.param(FaultPlan(handshake_status=401), "http_401", id="handshake-401"),
        pytest.param(FaultPlan(handshake_status=403), "http_403", id="handshake-403"),
        pytest.param(FaultPlan(close_code=4000, close_after_events=2), "close_4000",
                     id="close-4000"),
    ],
)
def test_non_recoverable_failures_end_the_session_cleanly(
    harness: Harness, plan: FaultPlan, code: str
) -> None:
    # handshake faults hit the second connection (the first works, then drops); 4000 the first
    def by_index(index: int) -> FaultPlan | None:
        if plan.handshake_status and index == 0:
            return FaultPlan(drop_after_events=2)
        return plan

    session = start(harness, by_index, wait_connected=False)
    events = until(session, rt.SessionEndedEvent)
    errors = [e for e in of_type(events, rt.ErrorEvent) if not e.recoverable]
    assert [(e.source, e.code) for e in errors] == [("connection", code)]
    assert of_type(events, rt.ConnectionEvent)[-1].status == "disconnected"
    assert len(harness.sim.connections) == (2 if plan.handshake_status else 1)
    assert session.wait_ended(WAIT_S)
    assert not session.is_alive()
    assert pykka.ActorRegistry.get_all() == []
    with pytest.raises(rt.SessionClosedError):
        session.send_message("anyone?")


def test_repeated_failure_past_the_intensity_gives_up(harness: Harness) -> None:
    policy = rt.ReconnectPolicy(max_attempts=2, initial_delay_s=0.01, max_delay_s=0.02)
    session = start(harness, FaultPlan(drop_after_events=1), reconnect=policy,
                    wait_connected=False)
    events = until(session, rt.SessionEndedEvent)
    # each connection opens, then drops at once: two reconnects are allowed, the third is not
    reconnects = [e for e in of_type(events, rt.ConnectionEvent) if e.status == "reconnecting"]
    assert len(reconnects) == 3
    final = [e for e in of_type(events, rt.ErrorEvent) if not e.recoverable]
    assert [e.code for e in final] == ["reconnect_failed"]
    assert events[-1].reason.startswith("gave up")
    assert len(harness.sim.connections) == 3  # the first and two reconnects
    assert session.wait_ended(WAIT_S)
    assert pykka.ActorRegistry.get_all() == []


def test_connect_refused_at_start_is_retried_then_gives_up(harness: Harness) -> None:
    policy = rt.ReconnectPolicy(max_attempts=1, initial_delay_s=0.01, max_delay_s=0.02)
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    session = rt.run(rt.agent("Nobody"), config=rt.RunConfig(reconnect=policy),
                     model_config=rt.ModelConfig(url=f"ws://127.0.0.1:{port}",
                                                 api_key="sk-refused"))
    harness.sessions.append(session)
    events = until(session, rt.SessionEndedEvent)
    assert [e.attempt for e in of_type(events, rt.ConnectionEvent)
            if e.status == "reconnecting"] == [1, 2]
    assert [e.code for e in of_type(events, rt.ErrorEvent)] == ["reconnect_failed"]


def test_queue_overflow_while_disconnected_is_a_clear_error(harness: Harness) -> None:
    slow = rt.ReconnectPolicy(initial_delay_s=5.0, max_delay_s=5.0)
    # the drop comes after session.updated: the session.update has left, the queue is empty
    session = start(harness, FaultPlan(drop_after_events=2), reconnect=slow,
                    pending_limit=3)
    until(session, status_is("reconnecting"))
    session.send_message("one")  # item + response.create
    session.send_message("two")
    with pytest.raises(rt.QueueFullError, match="queue is full"):
        session.send_message("three")
    errors = of_type(until(session, rt.ErrorEvent), rt.ErrorEvent)
    assert errors[-1].code == "queue_full"


def test_update_session_before_connect_sends_one_session_update(harness: Harness) -> None:
    session = start(harness, None, wait_connected=False)
    session.update_session(rt.SessionModelSettings(instructions="Be brief."))
    until(session, status_is("connected"))
    session.send_message("hi")
    until(session, answered("hi"))
    updates = frames_of(harness.sim, "session.update")
    assert len(updates) == 1
    assert updates[0]["session"]["instructions"] == "Be brief."


def test_session_actor_crash_is_restarted_with_the_conversation(harness: Harness) -> None:
    calls = {"n": 0}

    def instructions(_ctx: Any, _agent: Any) -> str:
        calls["n"] += 1
        if calls["n"] == 2:  # the second session.update (a reconnect) blows up once
            raise RuntimeError("instructions provider failed")
        return "Be helpful."

    harness.start_sim(Scenario(reply=remembering_reply))
    session = harness.run(rt.agent("Echo", instructions=instructions),
                          model_settings=text_settings(), reconnect=FAST,
                          wait_connected=False)
    session.send_message("remember me")
    events = until(session, answered("remember me"))
    assert not of_type(events, rt.ErrorEvent)
    harness.sim.drop_connections()  # the reconnect's session.update makes the actor crash
    events = until(session, lambda e: isinstance(e, rt.ErrorEvent)
                   and e.code == "session_restarted")
    assert "internal_error" in [e.code for e in of_type(events, rt.ErrorEvent)]
    until(session, status_is("connected"))
    session.send_message("still there?")
    reply = until(session, answered("still there?"))[-1]
    assert "remember me" in reply.transcript
