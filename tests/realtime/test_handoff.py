"""Handoffs through a running session: event order, agent switch, reconfiguration."""

from __future__ import annotations

import realtime_actors as rt
from realtime_actors.simulator import Simulator
from tests.realtime.support import WAIT_S, Harness, frames_of, of_type, text_settings, until

SUPPORT_INSTRUCTIONS = "Handle technical troubleshooting."


def _agents() -> tuple[rt.RealtimeAgent, rt.RealtimeAgent]:
    support = rt.agent("TechSupport", instructions=SUPPORT_INSTRUCTIONS)
    greeter = rt.agent("Greeter", instructions="Route technical questions to TechSupport.",
                       handoffs=[support])
    return greeter, support


FLOW = (rt.ToolStartEvent, rt.HandoffEvent, rt.ToolEndEvent, rt.AgentStartEvent)


def test_handoff_switches_agent_and_reconfigures_the_session(
    harness: Harness, sim: Simulator
) -> None:
    greeter, support = _agents()
    session = harness.run(greeter, model_settings=text_settings())
    session.update_session(rt.SessionModelSettings(max_output_tokens=321,
                                                   instructions="Temporary greeter rules."))
    session.send_message("please transfer to tech support")
    events = until(session, lambda e: isinstance(e, rt.AgentEndEvent) and e.agent is support)

    flow = [e for e in events if isinstance(e, FLOW)]
    assert [type(e) for e in flow] == [rt.AgentStartEvent, *FLOW]
    first_start, tool_start, handoff, tool_end, next_start = flow
    assert first_start.agent is greeter
    assert tool_start.tool_name == "transfer_to_tech_support"
    assert handoff.from_agent is greeter and handoff.to_agent is support
    assert tool_end.call_id == tool_start.call_id and tool_end.ok
    assert "TechSupport" in tool_end.output
    assert next_start.agent is support
    assert session.current_agent() is support
    reply = of_type(events, rt.TranscriptCompletedEvent)[-1]
    assert reply.transcript == f"The tool returned: {tool_end.output}"

    updates = [f["session"] for f in frames_of(sim, "session.update")]
    assert len(updates) == 3  # on connect, update_session(), after the handoff
    before, override, after = updates
    assert before["instructions"] == greeter.instructions
    assert [t["name"] for t in before["tools"]] == ["transfer_to_tech_support"]
    assert override["instructions"] == "Temporary greeter rules."
    assert override["max_output_tokens"] == 321
    # agent-scoped overrides (instructions, tools) end with the handoff; the rest persists
    assert after["instructions"] == SUPPORT_INSTRUCTIONS
    assert after["tools"] == []
    assert after["max_output_tokens"] == 321
    assert after["output_modalities"] == ["text"]
    assert "model" not in after  # the model cannot change mid-session

    # the session.update for the new agent goes before the tool output and the new response
    frames = sim.client_frames()
    kinds = [f["type"] for f in frames]
    handoff_update = len(frames) - 1 - kinds[::-1].index("session.update")
    output_index = next(i for i, f in enumerate(frames) if f["type"] == "conversation.item.create"
                        and f["item"]["type"] == "function_call_output")
    assert handoff_update < output_index < len(kinds) - 1 - kinds[::-1].index("response.create")

    # the server applied it: the new agent's instructions are in effect
    session_states = [e["session"] for e in sim.server_events() if e["type"] == "session.updated"]
    assert session_states[-1]["instructions"] == SUPPORT_INSTRUCTIONS
    assert session_states[-1]["max_output_tokens"] == 321


def test_update_session_after_handoff_keeps_the_new_agent(harness: Harness,
                                                          sim: Simulator) -> None:
    greeter, support = _agents()
    session = harness.run(greeter, model_settings=text_settings())
    session.send_message("transfer me to tech support please")
    session.wait_for(rt.HandoffEvent, WAIT_S)
    session.wait_for(lambda e: isinstance(e, rt.AgentEndEvent) and e.agent is support, WAIT_S)
    session.update_session(rt.SessionModelSettings(max_output_tokens=99))
    session.send_message("my screen is blank")
    events = until(session, rt.AgentEndEvent)
    assert of_type(events, rt.AgentStartEvent)[0].agent is support
    last = frames_of(sim, "session.update")[-1]["session"]
    assert last["instructions"] == SUPPORT_INSTRUCTIONS and last["max_output_tokens"] == 99
