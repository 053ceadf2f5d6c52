"""Function tools through a running session: success, failure, unknown tool, timeout."""

from __future__ import annotations

import json
import threading
from typing import Any

import realtime_actors as rt
from realtime_actors.simulator import Scenario, Simulator
from tests.realtime.support import WAIT_S, Harness, frames_of, of_type, text_settings, until


def _paris(_tool: str, _text: str) -> dict[str, Any]:
    return {"city": "Paris"}


@rt.function_tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"Sunny in {city}"


@rt.function_tool
def broken_lookup(city: str) -> str:
    """A lookup that always fails."""
    raise RuntimeError(f"backend down for {city}")


def _run(harness: Harness, agent: rt.RealtimeAgent, **config: Any) -> rt.Session:
    return harness.run(agent, scenario=Scenario(tool_arguments=_paris),
                       model_settings=text_settings(), **config)


def _outputs_sent(sim: Simulator) -> list[dict[str, Any]]:
    return [{k: v for k, v in f["item"].items() if k != "id"}
            for f in frames_of(sim, "conversation.item.create")
            if f["item"]["type"] == "function_call_output"]


def _follow_up(session: rt.Session, calling: str | None) -> list[rt.SessionEvent]:
    """Events until the response after the tool call (not the ``calling`` one) ended."""
    return until(session, lambda e: isinstance(e, rt.AgentEndEvent)
                 and e.response_id != calling)


def _answered(session: rt.Session, text: str) -> None:
    session.send_message(text)
    events = until(session, rt.AgentEndEvent)
    assert events[-1].status == "completed"
    assert of_type(events, rt.TranscriptCompletedEvent)[-1].transcript == f"You said: {text}"


def test_tool_call_runs_and_output_gets_a_follow_up_response(harness: Harness) -> None:
    session = _run(harness, rt.agent("Weather", tools=[get_weather]))
    session.send_message("what is the get weather today")
    before = until(session, rt.ToolStartEvent)
    calling = of_type(before, rt.AgentStartEvent)[0].response_id
    start = before[-1]
    assert start.tool_name == "get_weather"
    assert json.loads(start.arguments) == {"city": "Paris"}
    end = session.wait_for(rt.ToolEndEvent, WAIT_S)
    assert (end.call_id, end.output, end.ok) == (start.call_id, "Sunny in Paris", True)

    follow_up = _follow_up(session, calling)
    assert follow_up[-1].status == "completed"
    assert [e.response_id for e in of_type(follow_up, rt.AgentStartEvent)] == [
        follow_up[-1].response_id]
    assert of_type(follow_up, rt.TranscriptCompletedEvent)[-1].transcript == (
        "The tool returned: Sunny in Paris")
    sim = harness.sim
    assert _outputs_sent(sim) == [
        {"type": "function_call_output", "call_id": start.call_id, "output": "Sunny in Paris"}
    ]
    assert len(frames_of(sim, "response.create")) == 2
    kinds = [h.type for h in session.history()]
    assert kinds == ["message", "function_call", "function_call_output", "message"]


def test_failing_tool_reports_error_output_and_session_keeps_working(
    harness: Harness,
) -> None:
    session = _run(harness, rt.agent("Weather", tools=[broken_lookup]))
    session.send_message("please broken lookup the forecast")
    end = session.wait_for(rt.ToolEndEvent, WAIT_S)
    assert end.ok is False
    assert end.output.startswith("Error:")
    assert "backend down for Paris" in end.output
    reply = until(session, lambda e: isinstance(e, rt.TranscriptCompletedEvent))[-1]
    assert reply.transcript == f"The tool returned: {end.output}"
    session.wait_for(rt.AgentEndEvent, WAIT_S)
    _answered(session, "are you still there")


def test_unknown_tool_gets_an_error_output(harness: Harness) -> None:
    session = _run(harness, rt.agent("Weather", tools=[get_weather]))
    ghost = rt.ToolDefinition(name="ghost_lookup", description="Not implemented anywhere.",
                              parameters={"type": "object", "properties": {}})
    session.update_session(rt.SessionModelSettings(tools=(ghost,)))
    session.send_message("use the ghost lookup")
    before = until(session, rt.ToolStartEvent)
    calling = of_type(before, rt.AgentStartEvent)[0].response_id
    start = before[-1]
    assert start.tool_name == "ghost_lookup"
    end = session.wait_for(rt.ToolEndEvent, WAIT_S)
    assert end.ok is False
    assert end.output.startswith("Error:") and "ghost_lookup" in end.output
    follow_up = _follow_up(session, calling)
    assert follow_up[-1].status == "completed"
    _answered(session, "hello again")


def test_tool_past_its_timeout_gets_an_error_output(harness: Harness) -> None:
    saw_cancel = threading.Event()

    @rt.function_tool
    def slow_lookup(ctx: rt.ToolContext, city: str) -> str:
        """Waits until cancelled."""
        if ctx.cancelled.wait(WAIT_S):
            saw_cancel.set()
        return "too late"

    session = _run(harness, rt.agent("Slow", tools=[slow_lookup]), tool_timeout_s=0.2)
    session.send_message("run the slow lookup")
    end = session.wait_for(rt.ToolEndEvent, WAIT_S)
    assert end.ok is False
    assert end.output.startswith("Error:") and "timed out" in end.output
    assert saw_cancel.wait(WAIT_S)
    reply = until(session, lambda e: isinstance(e, rt.TranscriptCompletedEvent))[-1]
    assert reply.transcript == f"The tool returned: {end.output}"
    session.wait_for(rt.AgentEndEvent, WAIT_S)
    _answered(session, "anything else")
