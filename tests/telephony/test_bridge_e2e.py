"""The bridge end to end: a simulated carrier dials a BridgeServer over a real WebSocket; the
bridge talks to the simulator over another. Marks are acknowledged in real time."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

import realtime_actors as rt
from realtime_actors.simulator import Scenario, Simulator
from realtime_actors.telephony import (
    AnswerPlayedEvent,
    BridgeConfig,
    BridgeServer,
    CallClearedEvent,
    CallStartedEvent,
    Clear,
    DtmfEvent,
    Mark,
    OutboundMedia,
    SimulatedCarrier,
)

WAIT_S = 15.0
LONG_REPLY = "Here is a rather long answer so that the caller can talk over it."


def _reply(ctx: Any) -> str:
    if ctx.last_tool_output is not None:
        return "Billing here, how can I help?"
    if ctx.user_text.startswith("long"):
        return LONG_REPLY
    return f"You said: {ctx.user_text}"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(Scenario(reply=_reply)) as simulator:
        yield simulator


def _agents() -> rt.RealtimeAgent:
    billing = rt.agent("Billing", instructions="Handle billing.")
    return rt.agent("Front", instructions="Answer callers.", handoffs=[billing])


class Recorder:
    def __init__(self) -> None:
        self.events: list[Any] = []
        self._played = asyncio.Event()  # binds to the loop that first waits on it

    def __call__(self, _bridge: Any, event: Any) -> None:
        self.events.append(event)
        if isinstance(event, AnswerPlayedEvent):
            self._played.set()

    async def answer_played(self, timeout: float) -> None:
        """Wait until an AnswerPlayedEvent came (the carrier played the closing mark)."""
        await asyncio.wait_for(self._played.wait(), timeout)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def _serve(sim: Simulator, recorder: Recorder, session_audio: str = "pcm16") -> BridgeServer:
    return BridgeServer(_agents(), model_config=rt.ModelConfig(url=sim.ws_url, api_key="sk-t"),
                        config=BridgeConfig(session_audio=session_audio), on_event=recorder)


@pytest.mark.parametrize("session_audio", ["pcm16", "pcmu"])
def test_a_spoken_question_gets_a_spoken_answer_in_paced_frames_with_marks(
        sim: Simulator, session_audio: str) -> None:
    recorder = Recorder()

    async def main() -> tuple[str, SimulatedCarrier, Any]:
        async with _serve(sim, recorder, session_audio) as server:
            async with SimulatedCarrier.dial(server.url) as call:
                call.say("what time is it")
                answer = await call.hear_answer(WAIT_S)
                await recorder.answer_played(WAIT_S)
            summaries = await server.wait_calls(1, WAIT_S)
        return answer, call, summaries[0]

    answer, call, summary = asyncio.run(main())
    assert answer == "You said: what time is it"
    media = [m for m in call.received if isinstance(m, OutboundMedia)]
    assert media and all(len(m.payload) == 160 for m in media[:-1])  # 20 ms carrier frames
    marks = [m for m in call.received if isinstance(m, Mark)]
    assert marks and call.marks_played == [m.name for m in marks]
    assert not any(isinstance(m, Clear) for m in call.received)
    assert summary.ended_by == "stop" and summary.stream_sid == call.stream_sid
    assert summary.marks_heard == summary.marks_sent == len(marks)
    played = recorder.of(AnswerPlayedEvent)
    audio_items = {e.item_id for e in recorder.of(rt.AudioEvent)}
    assert [p.item_id for p in played] == sorted(audio_items)
    started = recorder.of(CallStartedEvent)
    assert [s.stream_sid for s in started] == [call.stream_sid]
    assert isinstance(recorder.events[-1], rt.SessionEndedEvent)
    fmt = "audio/pcmu" if session_audio == "pcmu" else "audio/pcm"
    updated = [e["session"] for e in sim.server_events() if e["type"] == "session.updated"]
    assert {u["audio"]["output"]["format"]["type"] for u in updated} == {fmt}
    assert {u["audio"]["input"]["format"]["type"] for u in updated} == {fmt}


@pytest.mark.parametrize("session_audio", ["pcm16", "pcmu"])
def test_barge_in_truncates_at_the_marks_heard_then_clear_and_dtmf(
        sim: Simulator, session_audio: str) -> None:
    recorder = Recorder()

    async def main() -> tuple[int, str, SimulatedCarrier, Any]:
        async with _serve(sim, recorder, session_audio) as server:
            async with SimulatedCarrier.dial(server.url) as call:
                call.say("long question")
                heard_ms = await call.barge_in("stop", after_marks=3, timeout=WAIT_S)
                await call.wait_clear(WAIT_S)
                await call.press("7")
                await call.press("#")
                second = await call.hear_answer(WAIT_S)
            summaries = await server.wait_calls(1, WAIT_S)
        return heard_ms, second, call, summaries[0]

    heard_ms, second, call, summary = asyncio.run(main())
    assert heard_ms == 300  # three marks of five 20 ms frames
    interrupted = recorder.of(rt.AudioInterruptedEvent)
    assert [(e.audio_end_ms, e.reason) for e in interrupted] == [(heard_ms, "user_speech")]
    truncates = [e for e in sim.client_frames() if e["type"] == "conversation.item.truncate"]
    assert [t["audio_end_ms"] for t in truncates] == [heard_ms]
    assert truncates[0]["item_id"] == interrupted[0].item_id
    cleared = recorder.of(CallClearedEvent)
    assert [(c.item_id, c.heard_ms) for c in cleared] == [(interrupted[0].item_id, heard_ms)]
    # clear follows the barge-in: after it, only the next answer's audio
    kinds = [type(m) for m in call.received]
    assert kinds.count(Clear) == 1
    assert second == "You said: stop"
    assert [d.digit for d in recorder.of(DtmfEvent)] == ["7", "#"]
    assert summary.digits == "7#" and summary.clears == 1 and summary.ended_by == "stop"


def test_a_handoff_keeps_mulaw_end_to_end(sim: Simulator) -> None:
    recorder = Recorder()

    async def main() -> tuple[str, SimulatedCarrier]:
        async with _serve(sim, recorder, "pcmu") as server:
            async with SimulatedCarrier.dial(server.url) as call:
                call.say("transfer me to billing")
                answer = await call.hear_answer(WAIT_S)
            await server.wait_calls(1, WAIT_S)
        return answer, call

    answer, _call = asyncio.run(main())
    assert answer == "Billing here, how can I help?"
    handoffs = recorder.of(rt.HandoffEvent)
    assert [h.to_agent.name for h in handoffs] == ["Billing"]
    updated = [e["session"] for e in sim.server_events() if e["type"] == "session.updated"]
    assert "Handle billing." in updated[-1]["instructions"]  # the handoff's update
    for session in updated:
        assert session["audio"]["input"]["format"]["type"] == "audio/pcmu"
        assert session["audio"]["output"]["format"]["type"] == "audio/pcmu"
