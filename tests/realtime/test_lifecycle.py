"""Closing a session, and authentication (missing key, rejected key, no key leaks)."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import pykka
import pytest

import realtime_actors as rt
from realtime_actors.simulator import Scenario, Simulator
from tests.realtime.support import WAIT_S, Harness, of_type, text_settings, until

SERVER_LOGGERS = ("websockets.",)
SESSION_THREAD_PREFIXES = ("realtime-actors-pool", "realtime-reactor", "realtime-connect",
                           "realtime-tool")


def _client_log(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Log messages of everything but the ``websockets`` server library under the simulator
    (it logs request headers at DEBUG, as a real server's access log might)."""
    return [f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
            if not r.name.startswith(SERVER_LOGGERS)]


def _session_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(SESSION_THREAD_PREFIXES)]


def _threads_left_after_close() -> list[str]:
    """Session threads still alive once each had a bounded join (an actor's thread may
    still be returning from its loop when ``stop(block=True)`` comes back)."""
    threads = _session_threads()
    for thread in threads:
        thread.join(WAIT_S)
    return sorted(t.name for t in threads if t.is_alive())


def test_close_leaves_no_thread_or_actor(harness: Harness) -> None:
    session = harness.run(rt.agent("Echo"), model_settings=text_settings())
    session.send_message("hello")
    until(session, rt.AgentEndEvent)
    running = [t.name for t in _session_threads()]
    # a session without user code runs wholly on the reactor: its actors and its connection
    assert running == ["realtime-reactor"], running
    session.close()
    assert not session.is_alive()
    assert _threads_left_after_close() == []
    assert pykka.ActorRegistry.get_all() == []
    assert repr(session).endswith("ended>")
    ended = until(session, rt.SessionEndedEvent)[-1]
    assert ended.reason == "closed"
    with pytest.raises(rt.SessionClosedError):
        session.send_message("anyone there?")
    session.close()  # closing twice is harmless


def test_close_while_a_tool_is_running_cancels_it(harness: Harness) -> None:
    started, cancelled = threading.Event(), threading.Event()

    @rt.function_tool
    def long_job(ctx: rt.ToolContext) -> str:
        """Runs until cancelled."""
        started.set()
        if ctx.cancelled.wait(WAIT_S):
            cancelled.set()
        return "never delivered"

    session = harness.run(rt.agent("Worker", tools=[long_job]), model_settings=text_settings())
    session.send_message("start the long job")
    assert started.wait(WAIT_S)
    session.close()
    assert cancelled.is_set()  # close() returned after the tool saw the cancellation
    events = list(session.events(timeout=0))
    assert isinstance(events[-1], rt.SessionEndedEvent)
    assert not of_type(events, rt.ToolEndEvent)  # no output after the session closed
    assert _threads_left_after_close() == []
    session.close()


def test_missing_key_raises_auth_error_before_connecting(
    harness: Harness, sim: Simulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("CODEX_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CODEX_HOME", str(tmp_path))
    with pytest.raises(rt.AuthError):
        rt.run(rt.agent("Echo"), model_config=rt.ModelConfig(url=sim.ws_url))
    assert sim.connections == []
    assert _session_threads() == []  # nothing was started


def test_key_from_codex_home_auth_json_is_used(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key = "sk-from-auth-json-0123456789"
    sim = harness.start_sim(Scenario(api_keys=frozenset({key})))
    for name in ("CODEX_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CODEX_HOME", str(tmp_path))
    (tmp_path / "auth.json").write_text(json.dumps({"OPENAI_API_KEY": key}))
    session = harness.run(rt.agent("Echo"), api_key=None, model_settings=text_settings())
    session.send_message("hi")
    assert until(session, rt.AgentEndEvent)[-1].status == "completed"
    assert sim.connections[0].header("Authorization") == f"Bearer {key}"


def test_rejected_key_ends_the_session_without_leaking_it(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    right = "sk-right-key-0123456789abcdef"
    wrong = "sk-wrong-key-9876543210fedcba"
    sim = harness.start_sim(Scenario(api_keys=frozenset({right})))
    with caplog.at_level(logging.DEBUG):
        session = harness.run(rt.agent("Echo"), api_key=wrong, wait_connected=False)
        events = until(session, rt.SessionEndedEvent)
    assert [c.http_status for c in sim.connections] == [401]

    errors = of_type(events, rt.ErrorEvent)
    assert len(errors) == 1
    assert (errors[0].source, errors[0].code, errors[0].recoverable) == (
        "connection", "http_401", False)
    assert "401" in errors[0].message
    assert events.index(errors[0]) < len(events) - 1
    assert not of_type(events, rt.AgentStartEvent)
    assert not session.is_alive()

    texts = [repr(e) for e in events] + [str(e) for e in events] + [repr(session)]
    texts += _client_log(caplog)
    assert any("401" in t for t in texts)
    assert not [t for t in texts if wrong in t]
    assert not [t for t in texts if right in t]


def test_key_never_appears_in_a_normal_session(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    key = "sk-normal-session-key-0123456789"
    with caplog.at_level(logging.DEBUG):
        session = harness.run(rt.agent("Echo"), api_key=key, model_settings=text_settings(),
                              raw_events=True)
        session.send_message("hello")
        events = until(session, rt.AgentEndEvent)
        session.close()
        events += list(session.events(timeout=0))
    assert isinstance(events[-1], rt.SessionEndedEvent)
    texts = [repr(e) for e in events] + [repr(session)]
    texts += _client_log(caplog)
    assert any("realtime_actors" in t for t in texts)
    assert not [t for t in texts if key in t]
