"""User code (dynamic instructions, tools, guardrails, handoff callbacks and lazy targets,
``is_enabled``, subscriber actors) never runs on the caller's thread nor on the reactor thread,
even where those threads handle the session's messages themselves (``send_audio`` on an idle
session, audio deltas read by the reactor). (A subscriber that opts in does run on the reactor:
tests/unit/test_reactor.py.)"""

from __future__ import annotations

import threading
from typing import Any

import pykka

import realtime_actors as rt
from realtime_actors.simulator import Scenario
from realtime_actors.simulator.speech_codec import synthesize
from tests.realtime.support import Harness, until

ran_on: list[tuple[str, str]] = []
lock = threading.Lock()


def note(what: str) -> None:
    with lock:
        ran_on.append((what, threading.current_thread().name))


class PooledSubscriber(rt.PooledActor):
    """A subscriber on the shared pool, not opted in to running elsewhere."""

    def on_receive(self, message: Any) -> None:
        note(f"pooled subscriber {type(message).__name__}")


class ThreadSubscriber(pykka.ThreadingActor):
    """A subscriber with a thread of its own."""

    def on_receive(self, message: Any) -> None:
        note(f"thread subscriber {type(message).__name__}")


def test_no_user_callback_runs_on_the_callers_or_the_reactor_thread(harness: Harness) -> None:
    with lock:
        ran_on.clear()

    def instructions(_ctx: Any, agent: rt.RealtimeAgent) -> str:
        note("instructions")
        return f"You are {agent.name}."

    def guard(_data: rt.GuardrailInput) -> bool:
        note("guardrail")
        return False

    @rt.function_tool
    def lookup(city: str) -> str:
        """Look a city up."""
        note("tool")
        return f"found {city}"

    def on_handoff(_ctx: Any) -> None:
        note("handoff")

    def enabled(_ctx: Any, _agent: rt.RealtimeAgent) -> bool:
        note("is_enabled")
        return True

    expert = rt.agent("Expert", instructions=instructions, tools=[lookup])

    def lazy_expert() -> rt.RealtimeAgent:
        note("handoff target")
        return expert

    greeter = rt.agent("Greeter", instructions=instructions, tools=[lookup],
                       handoffs=[rt.handoff(lazy_expert, tool_name="transfer_to_expert",
                                            on_invoke=on_handoff, is_enabled=enabled)],
                       output_guardrails=[guard])
    harness.start_sim(Scenario(reply=lambda ctx: "Words and sound. " * 20,
                               tool_arguments=lambda _n, _t: {"city": "Rome"}))
    # the pooled subscriber is told last, so it is the one a thread running the session
    # would run next if it were allowed to
    subscribers = [ThreadSubscriber.start(), PooledSubscriber.start()]
    session = harness.run(greeter, model_settings=rt.SessionModelSettings(turn_detection=None),
                          guardrail_debounce_chars=10, subscribers=tuple(subscribers))
    caller = threading.current_thread().name
    pcm = synthesize("please use lookup for Rome").tobytes()
    for i in range(0, len(pcm), 4800):  # the session is idle: these run on this thread
        session.send_audio(pcm[i:i + 4800])
    session.send_audio(b"", commit=True)
    until(session, rt.ToolEndEvent)
    until(session, rt.AgentEndEvent)
    session.send_message("transfer me to the expert")
    until(session, rt.HandoffEvent)
    until(session, lambda e: isinstance(e, rt.AgentEndEvent) and e.agent.name == "Expert")
    with lock:
        seen = list(ran_on)
    kinds = {what.split(" ", 2)[0] if "subscriber" in what else what for what, _ in seen}
    assert {"instructions", "guardrail", "tool", "handoff", "handoff target", "is_enabled",
            "pooled", "thread"} <= kinds, sorted(kinds)
    bad = [(what, name) for what, name in seen
           if name == caller or name.startswith("realtime-reactor")]
    assert not bad, f"user code ran on the caller's or the reactor thread: {bad}"
    for subscriber in subscribers:
        subscriber.stop()
