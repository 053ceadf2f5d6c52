"""Nothing lost, nothing done twice: byte-level cuts (RST, FIN) by the chaos proxy at the
points where a tool used to run twice and a spoken turn used to be lost."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import realtime_actors as rt
from realtime_actors.simulator import Scenario, Simulator
from realtime_actors.simulator.speech_codec import synthesize
from tests.chaos.proxy import ChaosProxy, ConnectionPlan, Fault, event_is
from tests.realtime.support import Harness, frames_of, of_type, text_settings, until

FAST = rt.ReconnectPolicy(initial_delay_s=0.02, max_delay_s=0.1)


class Counter:
    """How often each tool ran, by its arguments (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[str] = []

    def tool(self) -> rt.FunctionTool:
        counter = self

        @rt.function_tool
        def transfer_money(amount: int, to: str) -> str:
            """Move money to someone."""
            with counter.lock:
                counter.calls.append(f"{amount}->{to}")
            return f"sent {amount} to {to}"

        return transfer_money


def _money_args(_tool: str, _text: str) -> dict[str, Any]:
    return {"amount": 100, "to": "Ada"}


def _through(harness: Harness, chaos: list[ChaosProxy], sim: Simulator,
             first: ConnectionPlan, agent: rt.RealtimeAgent, seed: int = 1,
             **settings: Any) -> tuple[rt.Session, ChaosProxy]:
    proxy, url = ChaosProxy.for_ws_url(sim.ws_url, lambda i: first if i == 0 else None,
                                       seed=seed)
    chaos.append(proxy)
    session = harness.run(agent, url=url, reconnect=FAST,
                          model_settings=settings.pop("model_settings", text_settings()),
                          **settings)
    return session, proxy


def _connected_again(session: rt.Session) -> list[rt.SessionEvent]:
    return until(session, lambda e: isinstance(e, rt.ConnectionEvent)
                 and e.status == "connected")


@pytest.mark.parametrize("action", ["rst", "fin"])
def test_a_call_complete_before_the_cut_runs_once_and_is_answered_once(
    harness: Harness, chaos: list[ChaosProxy], action: str
) -> None:
    sim = harness.start_sim(Scenario(tool_arguments=_money_args))
    counter = Counter()
    cut = Fault("down", event_is("response.output_item.done", item_type="function_call"),
                action=action, cut="after", label="after function_call done")  # type: ignore[arg-type]
    session, proxy = _through(harness, chaos, sim, ConnectionPlan(faults=(cut,)),
                              rt.agent("Bank", tools=[counter.tool()]))
    session.send_message("please transfer money to Ada")
    events = until(session, lambda e: isinstance(e, rt.TranscriptCompletedEvent)
                   and e.role == "assistant" and "The tool returned" in e.transcript)
    assert [f.label for f in proxy.fired] == ["after function_call done"]
    assert counter.calls == ["100->Ada"]
    assert len(of_type(events, rt.ToolEndEvent)) == 1
    # the new connection got the call and its output restored, and one response request
    second = sim.connections[1]
    created = [f["item"] for f in second.client_frames
               if f.get("type") == "conversation.item.create"]
    assert [i["type"] for i in created if i["type"] != "message"] == [
        "function_call", "function_call_output"]
    assert sum(f.get("type") == "response.create" for f in second.client_frames) == 1
    history = session.history()
    calls = [i for i in history if i.type == "function_call"]
    outputs = [i for i in history if i.type == "function_call_output"]
    assert len(calls) == 1 and len(outputs) == 1
    assert outputs[0].call_id == calls[0].call_id
    # the model did not call the tool again on the new connection
    assert not [f for f in frames_of(sim, "conversation.item.create")
                if f["item"]["type"] == "function_call_output"
                and f["item"]["call_id"] != calls[0].call_id]


def test_a_call_cut_mid_arguments_is_redone_and_runs_once(
    harness: Harness, chaos: list[ChaosProxy]
) -> None:
    sim = harness.start_sim(Scenario(tool_arguments=_money_args))
    counter = Counter()
    cut = Fault("down", event_is("response.function_call_arguments.delta"), action="rst",
                cut="mid", label="mid arguments")
    session, proxy = _through(harness, chaos, sim, ConnectionPlan(faults=(cut,)),
                              rt.agent("Bank", tools=[counter.tool()]))
    session.send_message("please transfer money to Ada")
    until(session, lambda e: isinstance(e, rt.TranscriptCompletedEvent)
          and e.role == "assistant" and "The tool returned" in e.transcript)
    assert len(proxy.fired) == 1
    assert counter.calls == ["100->Ada"]  # the cut call never ran; the redone one ran once
    assert len([i for i in session.history() if i.type == "function_call"]) == 1


def _speech(text: str) -> bytes:
    return synthesize(text).tobytes()


def _user_items(record: Any) -> list[dict[str, Any]]:
    """User items the simulator added to one connection's conversation, in order."""
    return [e["item"] for e in list(record.server_events)
            if e.get("type") == "conversation.item.added" and e["item"].get("role") == "user"]


@pytest.mark.parametrize(
    ("label", "fault"),
    [
        pytest.param("right after the commit", Fault(
            "up", event_is("input_audio_buffer.commit"), action="rst", cut="after"),
            id="rst-after-commit"),
        pytest.param("commit never arrives", Fault(
            "up", event_is("input_audio_buffer.commit"), action="fin", cut="before"),
            id="fin-before-commit"),
        pytest.param("after some appends", Fault(
            "up", event_is("input_audio_buffer.append", nth=3), action="rst", cut="mid"),
            id="rst-mid-append"),
        pytest.param("after committed, before the item", Fault(
            "down", event_is("input_audio_buffer.committed"), action="rst", cut="after"),
            id="rst-after-committed"),
    ],
)
def test_a_spoken_turn_survives_a_cut_and_is_answered_once(
    harness: Harness, chaos: list[ChaosProxy], label: str, fault: Fault
) -> None:
    sim = harness.start_sim(Scenario())
    settings = text_settings(turn_detection=None)
    session, proxy = _through(harness, chaos, sim, ConnectionPlan(faults=(fault,)),
                              rt.agent("Echo"), model_settings=settings)
    pcm = _speech("my name is Ada")
    step = 24000 * 2 // 10  # 100 ms chunks
    chunks = [pcm[i:i + step] for i in range(0, len(pcm), step)]
    for chunk in chunks[:-1]:
        session.send_audio(chunk)
    session.send_audio(chunks[-1], commit=True)
    events = until(session, lambda e: isinstance(e, rt.TranscriptCompletedEvent)
                   and e.role == "assistant" and "my name is Ada" in e.transcript)
    assert len(proxy.fired) == 1, label
    assert any(isinstance(e, rt.ConnectionEvent) and e.status == "reconnecting"
               for e in events)
    # answered once; the user's turn is in the history once
    session.send_message("ping")
    more = until(session, lambda e: isinstance(e, rt.TranscriptCompletedEvent)
                 and e.role == "assistant" and "ping" in e.transcript)
    answers = [e for e in events + more if isinstance(e, rt.TranscriptCompletedEvent)
               and e.role == "assistant"]
    assert [("my name is Ada" in a.transcript) for a in answers] == [True, False]
    users = [i for i in session.history() if i.role == "user"]
    assert len(users) == 2
    # the new connection's conversation holds the spoken turn once, then "ping"
    assert len(_user_items(sim.connections[-1])) == 2


def test_spoken_turn_replay_under_server_vad_sends_audio_once(
    harness: Harness, chaos: list[ChaosProxy]
) -> None:
    """Server VAD ends the turn; the cut comes after speech_stopped and before committed:
    the replay lets the new server's VAD commit and answer it, once."""
    sim = harness.start_sim(Scenario())
    vad = text_settings(turn_detection=rt.TurnDetectionConfig(type="server_vad",
                                                              silence_duration_ms=200))
    fault = Fault("down", event_is("input_audio_buffer.speech_stopped"), action="rst",
                  cut="after")
    session, proxy = _through(harness, chaos, sim, ConnectionPlan(faults=(fault,)),
                              rt.agent("Echo"), model_settings=vad)
    pcm = _speech("hello there") + bytes(24000 * 2 // 2)  # speech then 500 ms silence
    step = 24000 * 2 // 10
    for i in range(0, len(pcm), step):
        session.send_audio(pcm[i:i + step])
    events = until(session, lambda e: isinstance(e, rt.TranscriptCompletedEvent)
                   and e.role == "assistant" and "hello there" in e.transcript)
    assert len(proxy.fired) == 1
    assert of_type(events, rt.ConnectionEvent)[-1].status == "connected"
    assert len(_user_items(sim.connections[-1])) == 1
    assert len([i for i in session.history() if i.role == "user"]) == 1

