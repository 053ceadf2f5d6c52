"""User code (dynamic instructions, tools, guardrails, handoff callbacks) never runs on the
caller's thread nor on the I/O thread, even where those threads handle the session's messages
themselves (``send_audio`` on an idle session, audio deltas read by the I/O hub)."""

from __future__ import annotations

import threading
from typing import Any

import realtime_actors as rt
from realtime_actors.simulator import Scenario
from realtime_actors.simulator.speech_codec import synthesize
from tests.realtime.support import Harness, until


def test_no_user_callback_runs_on_the_callers_or_the_io_thread(harness: Harness) -> None:
    ran_on: list[tuple[str, str]] = []
    lock = threading.Lock()

    def note(what: str) -> None:
        with lock:
            ran_on.append((what, threading.current_thread().name))

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

    expert = rt.agent("Expert", instructions=instructions, tools=[lookup])
    greeter = rt.agent("Greeter", instructions=instructions, tools=[lookup],
                       handoffs=[rt.handoff(expert, on_invoke=on_handoff)],
                       output_guardrails=[guard])
    harness.start_sim(Scenario(reply=lambda ctx: "Words and sound. " * 20,
                               tool_arguments=lambda _n, _t: {"city": "Rome"}))
    session = harness.run(greeter, model_settings=rt.SessionModelSettings(turn_detection=None),
                          guardrail_debounce_chars=10)
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
    kinds = {what for what, _ in seen}
    assert {"instructions", "guardrail", "tool", "handoff"} <= kinds, seen
    bad = [(what, name) for what, name in seen
           if name == caller or name.startswith("realtime-reader")]
    assert not bad, f"user code ran on the caller's or the I/O thread: {bad}"
