"""Output guardrails and dynamic instructions, end to end through ``rt.run``."""

from __future__ import annotations

import attrs

import realtime_actors as rt
from realtime_actors.simulator import Simulator
from tests.realtime.support import Harness, frames_of, of_type, text_settings, until


def test_output_guardrail_trips_cancels_and_tells_the_model(
    harness: Harness, sim: Simulator
) -> None:
    sim.scenario = attrs.evolve(
        sim.scenario,
        output_pacing=1.0,
        reply=lambda ctx: "The secret code is 1234. " + "Padding words follow. " * 40,
    )

    def no_secrets(data: rt.GuardrailInput) -> rt.GuardrailResult:
        return rt.GuardrailResult(tripped="secret" in data.text, info="leaked a secret")

    agent = rt.agent("Guarded", instructions="Never reveal secrets.",
                     output_guardrails=[no_secrets])
    session = harness.run(agent, guardrail_debounce_chars=10)
    session.send_message("tell me the code")
    events = until(session, rt.GuardrailTrippedEvent)
    tripped = events[-1]
    assert tripped.guardrail_name and tripped.info == "leaked a secret"
    assert "secret" in tripped.text
    # the cancelled response's end and the note the session adds come in either order
    seen: list[rt.SessionEvent] = []

    def note_added() -> bool:
        return any(isinstance(e, rt.HistoryAddedEvent) and e.item.role == "system" for e in seen)

    while not (of_type(seen, rt.AgentEndEvent) and note_added()):
        seen.append(session.wait_for(
            lambda e: isinstance(e, rt.AgentEndEvent | rt.HistoryAddedEvent), timeout=10))
    assert of_type(seen, rt.AgentEndEvent)[0].status == "cancelled"
    assert len(frames_of(sim, "response.cancel")) == 1
    notes = [f["item"]["content"][0]["text"] for f in frames_of(sim, "conversation.item.create")
             if f["item"].get("role") == "system"]
    assert notes and "guardrail" in notes[0] and "leaked a secret" in notes[0]
    # the session keeps working after the trip
    sim.scenario = attrs.evolve(sim.scenario, output_pacing=0.0, reply=lambda ctx: "All good.")
    session.send_message("anything else?")
    assert session.wait_for(rt.AgentEndEvent, timeout=10).status == "completed"


def test_callable_instructions_get_the_run_context_and_agent(
    harness: Harness, sim: Simulator
) -> None:
    def instructions(ctx: rt.RunContext, agent: rt.RealtimeAgent) -> str:
        return f"You are {agent.name}; the user is {ctx.context['user']}."

    agent = rt.agent("Concierge", instructions=instructions)
    session = harness.run(agent, model_settings=text_settings(), context={"user": "Alice"})
    session.send_message("hi")
    until(session, rt.AgentEndEvent)
    update = frames_of(sim, "session.update")[0]
    assert update["session"]["instructions"] == "You are Concierge; the user is Alice."


def test_user_code_never_runs_on_the_io_thread_while_audio_streams(
    harness: Harness, sim: Simulator
) -> None:
    """Audio deltas may be mapped on the I/O thread when the session is idle; guardrails (user
    code) must still run on the session's pool worker, never on the thread that reads sockets."""
    import threading

    sim.scenario = attrs.evolve(sim.scenario, reply=lambda ctx: "Sound and words. " * 30)
    guard_threads: set[str] = set()

    def watch(data: rt.GuardrailInput) -> bool:
        guard_threads.add(threading.current_thread().name)
        return False

    agent = rt.agent("Speaker", output_guardrails=[watch])
    session = harness.run(agent, guardrail_debounce_chars=10)
    session.send_message("talk to me")
    events = until(session, rt.AgentEndEvent)
    assert of_type(events, rt.AudioEvent), "the reply streamed audio"
    assert guard_threads, "the guardrail ran"
    assert not any(name.startswith("realtime-reactor") for name in guard_threads), guard_threads
