"""A phone call through the telephony bridge: a simulated carrier (Twilio Media Streams over a
real WebSocket) asks a question in μ-law, hears the answer in paced 20 ms frames, talks over a
long answer (the bridge truncates at the marks played and sends ``clear``) and presses a key.
The caller's audio is saved as WAV."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from _common import ExampleFailure, connect, run_example, say, summary

import realtime_actors as rt
from realtime_actors.audio.pcm import resample, ulaw_decode, write_wav
from realtime_actors.simulator import Scenario
from realtime_actors.simulator.scenario import ReplyContext, default_reply
from realtime_actors.telephony import (
    AnswerPlayedEvent,
    BridgeConfig,
    BridgeServer,
    CallClearedEvent,
    CallStartedEvent,
    DtmfEvent,
    SessionAudio,
    SimulatedCarrier,
)
from realtime_actors.telephony.codec import check_session_audio

QUESTION = "When are you open?"
LONG_QUESTION = "Tell me about every plan"
BARGE_IN = "Stop, please"


def _reply(ctx: ReplyContext) -> str:
    if ctx.user_text == LONG_QUESTION:
        return "We have three plans: basic, standard and premium, each with its own price."
    return default_reply(ctx)


class CallLog:
    """The bridge's hook: prints the call's events and counts them."""

    def __init__(self) -> None:
        self.answers = 0
        self.interruptions = 0
        self.digits = ""
        self.answer_played = asyncio.Event()

    def __call__(self, _bridge: Any, event: Any) -> None:
        if isinstance(event, CallStartedEvent):
            say(f"[bridge] call {event.stream_sid} bridged to a new session")
        elif isinstance(event, CallClearedEvent):
            self.interruptions += 1
            say(f"[bridge] barge-in: truncated at {event.heard_ms} ms heard, clear sent, "
                f"{event.dropped_frames} frames never sent")
        elif isinstance(event, DtmfEvent):
            self.digits += event.digit
            say(f"[bridge] caller pressed {event.digit}")
        elif isinstance(event, rt.AgentEndEvent) and event.status == "completed":
            self.answers += 1
        elif isinstance(event, AnswerPlayedEvent):
            self.answer_played.set()


async def _answer(call: SimulatedCarrier, log: CallLog, timeout: float, live: bool) -> str:
    """Offline, the simulator's answer is codec speech: wait until the caller heard all of
    it. Live, wait until the bridge says the caller heard a whole answer."""
    if not live:
        return await call.hear_answer(timeout)
    await asyncio.wait_for(log.answer_played.wait(), timeout)
    log.answer_played.clear()
    return f"{len(call.heard) // 8} ms of audio so far"


async def _call(model_config: rt.ModelConfig, session_audio: SessionAudio, timeout: float,
                live: bool) -> tuple[CallLog, SimulatedCarrier]:
    log = CallLog()
    agent = rt.agent("Receptionist", instructions="Answer callers briefly.")
    async with BridgeServer(agent, model_config=model_config, on_event=log,
                            config=BridgeConfig(session_audio=session_audio)) as server:
        say(f"[bridge] serving {server.url} ({session_audio} session audio)")
        async with SimulatedCarrier.dial(server.url) as call:
            say(f"[caller] says: {QUESTION}")
            call.say(QUESTION)
            say(f"[caller] heard: {await _answer(call, log, timeout, live)}")
            say(f"[caller] says: {LONG_QUESTION}, then talks over the answer")
            call.say(LONG_QUESTION)
            heard_ms = await call.barge_in(BARGE_IN, after_marks=4, timeout=timeout)
            say(f"[caller] heard {heard_ms} ms of it, says: {BARGE_IN}")
            await call.wait_clear(timeout)
            say(f"[caller] heard: {await _answer(call, log, timeout, live)}")
            await call.press("1")
        summaries = await server.wait_calls(1, timeout)
    if summaries[0].ended_by != "stop":
        raise ExampleFailure(f"the call ended by {summaries[0].ended_by}, not the caller")
    return log, call


def main(args: argparse.Namespace) -> int:
    """One simulated call through the bridge; the caller's audio goes to a WAV file."""
    with connect(args, Scenario(reply=_reply)) as target:
        log, call = asyncio.run(_call(target.model_config, check_session_audio(args.session_audio),
                                      target.timeout_s, target.live))
    args.out.mkdir(parents=True, exist_ok=True)
    wav = args.out / "telephony_caller_heard.wav"
    wav.write_bytes(write_wav(resample(ulaw_decode(bytes(call.heard)), 8000), 24000))
    say(f"[caller] {len(call.heard) // 8} ms heard, written to {wav}")
    say(summary(answers=log.answers, interruptions=log.interruptions, digits=log.digits,
                marks=len(call.marks_played)))
    return 0 if log.interruptions == 1 and log.digits == "1" and log.answers >= 2 else 1


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--session-audio", choices=("pcm16", "pcmu"), default="pcmu",
                        help="the session's audio: converted PCM16 or μ-law end to end")


if __name__ == "__main__":
    sys.exit(run_example(main, __doc__ or "", _arguments))
