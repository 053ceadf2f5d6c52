"""The session's supervisor runs on the reactor thread: a lost connection and a crashed
session actor are still restarted end to end, and the reactor never blocks on the way."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest

import realtime_actors as rt
from realtime_actors.session.tree import SessionSupervisor
from realtime_actors.simulator import ReplyContext, Scenario
from tests.realtime.support import Harness, of_type, text_settings, until

FAST = rt.ReconnectPolicy(initial_delay_s=0.02, max_delay_s=0.1)


def _remembering_reply(ctx: ReplyContext) -> str:
    return f"You said: {ctx.user_text} | memory: {' / '.join(ctx.history)}"


def _answered(text: str) -> Callable[[Any], bool]:
    return lambda e: (isinstance(e, rt.TranscriptCompletedEvent) and e.role == "assistant"
                      and f"You said: {text}" in e.transcript)


def _connected(e: Any) -> bool:
    return isinstance(e, rt.ConnectionEvent) and e.status == "connected"


@pytest.fixture
def handled(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(thread name, message type) of every message a session supervisor handles."""
    seen: list[tuple[str, str]] = []
    original = SessionSupervisor._handle_envelope

    def recording(self: SessionSupervisor, envelope: Any) -> None:
        seen.append((threading.current_thread().name, type(envelope.message).__name__))
        original(self, envelope)

    monkeypatch.setattr(SessionSupervisor, "_handle_envelope", recording)
    return seen


def test_a_lost_connection_is_replaced_by_the_supervisor_on_the_reactor(
    harness: Harness, handled: list[tuple[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    harness.start_sim(Scenario(reply=_remembering_reply))
    with caplog.at_level(logging.WARNING):
        session = harness.run(rt.agent("Echo"), model_settings=text_settings(), reconnect=FAST)
        session.send_message("remember me")
        until(session, _answered("remember me"))
        harness.sim.drop_connections()
        until(session, _connected)
        session.send_message("still there?")
        reply = until(session, _answered("still there?"))[-1]
        assert "remember me" in reply.transcript
        session.close()
    assert not session.is_alive() and session.wait_ended(0)
    assert {thread for thread, _ in handled} == {"realtime-reactor"}
    kinds = {kind for _, kind in handled}
    # the exit report, the backoff timer's restart, and close(): a stop request whose
    # children's stops came back as messages
    assert {"Exited", "_RestartDue", "_ActorStop", "ChildStopped"} <= kinds
    assert "blocked the reactor thread" not in caplog.text


def test_a_crashed_session_actor_is_restarted_by_the_supervisor_on_the_reactor(
    harness: Harness, handled: list[tuple[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    calls = {"n": 0}

    def instructions(_ctx: Any, _agent: Any) -> str:
        calls["n"] += 1
        if calls["n"] == 2:  # the reconnect's session.update makes the session actor crash
            raise RuntimeError("instructions provider failed")
        return "Be helpful."

    harness.start_sim(Scenario(reply=_remembering_reply))
    with caplog.at_level(logging.WARNING):
        session = harness.run(rt.agent("Echo", instructions=instructions),
                              model_settings=text_settings(), reconnect=FAST)
        session.send_message("remember me")
        until(session, _answered("remember me"))
        harness.sim.drop_connections()
        events = until(session, lambda e: isinstance(e, rt.ErrorEvent)
                       and e.code == "session_restarted")
        assert "internal_error" in [e.code for e in of_type(events, rt.ErrorEvent)]
        until(session, _connected)
        session.send_message("still there?")
        assert "remember me" in until(session, _answered("still there?"))[-1].transcript
    # rest_for_one: the crash restarted the session and stopped its live connection first
    assert [kind for _, kind in handled].count("Exited") >= 2
    assert "ChildStopped" in {kind for _, kind in handled}
    assert {thread for thread, _ in handled} == {"realtime-reactor"}
    assert "blocked the reactor thread" not in caplog.text
