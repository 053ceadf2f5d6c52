"""A user's script over the README's public API, type-checked by ``mypy --strict``.

``make typecheck`` checks it in the repository and ``test_installed_package.py`` from a
directory outside it (the installed package must be visible to type checkers). Nothing runs at
import: the functions are what a user would write, checked, not executed. Each line marked
``# type: ignore[<code>]`` must fail to type-check; with ``warn_unused_ignores`` (part of
``--strict``) the check fails the day one of them type-checks.
"""

from __future__ import annotations

import asyncio
from typing import TypeGuard, assert_never, assert_type

import numpy as np
import pykka

import realtime_actors as rt
import voice_actors as va
from realtime_actors.cluster.remote import RemoteSession
from realtime_actors.protocol.session_config import TurnDetectionType
from realtime_actors.session.events import ConnectionStatus, ErrorSource, ResponseStatus
from realtime_actors.simulator import Simulator
from realtime_actors.simulator.speech_codec import synthesize
from realtime_actors.supervision import ChildSpec, Supervised, SupervisorHandle
from realtime_actors.telephony import BridgeConfig


# ---------------------------------------------------------------------------- tools, agents
@rt.function_tool
def get_weather(city: str) -> str:
    """Current weather for a city.

    Args:
        city: The city name.
    """
    return f"Sunny in {city}"


@rt.function_tool(name="add_numbers", timeout=5.0)
def add(a: int, b: int = 1) -> int:
    """Add two numbers."""
    return a + b


def tools_are_callable() -> None:
    assert_type(get_weather("Rome"), str)
    assert_type(add(1, b=2), int)
    assert_type(get_weather.name, str)
    get_weather(42)  # type: ignore[arg-type]
    add(1, c=2)  # type: ignore[call-arg]


def build_agents() -> rt.RealtimeAgent:
    support = rt.agent(name="TechSupport", instructions="Handle technical troubleshooting.")
    greeter = rt.agent(name="Greeter", instructions="Route technical questions to TechSupport.",
                       tools=[get_weather, add], handoffs=[support])
    back = rt.handoff(lambda: greeter, tool_name="transfer_to_greeter")
    rt.agent("Billing", handoffs=[back, greeter], output_guardrails=[lambda data: False])
    rt.agent("Broken", handoffs=["TechSupport"])  # type: ignore[list-item]
    return greeter


# ---------------------------------------------------------------------------- configs
def build_configs() -> rt.RunConfig:
    detection = rt.TurnDetectionConfig(type="semantic_vad", eagerness="medium")
    assert_type(detection.type, TurnDetectionType)
    settings = rt.SessionModelSettings(
        voice="alloy", turn_detection=detection, output_modalities=["text"],
        max_output_tokens="inf", tool_choice="auto", tools=[get_weather])
    rt.SessionModelSettings(turn_detection={"type": "server_vad", "threshold": 0.5})
    rt.SessionModelSettings(voice=123)  # type: ignore[arg-type]
    rt.SessionModelSettings(turn_detection="fast")  # type: ignore[arg-type]
    rt.TurnDetectionConfig(type="fast")  # type: ignore[arg-type]
    rt.SessionModelSettings(output_modalities=["video"])  # type: ignore[list-item]
    return rt.RunConfig(
        model_settings=settings,
        reconnect=rt.ReconnectPolicy(max_attempts=5, window_s=60, initial_delay_s=0.25,
                                     max_delay_s=8, resume_responses=True),
        store=rt.MemoryStore(),
        checkpoint=rt.CheckpointPolicy(interval_s=0.2),
    )


# ---------------------------------------------------------------------------- sessions, events
def is_end(event: rt.SessionEvent) -> TypeGuard[rt.AgentEndEvent]:
    return isinstance(event, rt.AgentEndEvent)


def describe(status: ConnectionStatus) -> str:
    match status:
        case "connecting" | "connected":
            return "up"
        case "reconnecting" | "disconnected":
            return "down"
        case _:
            assert_never(status)


class Listener(rt.PooledActor):
    guest_runs = True

    def on_receive(self, message: object) -> None:
        if isinstance(message, rt.AudioEvent):
            assert_type(message.pcm, np.ndarray)


def run_session(url: str) -> None:
    listener = Listener.start()
    assert_type(listener, pykka.ActorRef[Listener])
    wrong: pykka.ActorRef[Supervised] = Listener.start()  # type: ignore[assignment]
    wrong.stop()
    session = rt.run(build_agents(), config=build_configs(), subscribers=[listener],
                     model_config=rt.ModelConfig(url=url, api_key="sk-local"))
    session.send_message("Hello")
    for event in session.events(timeout=5):
        if isinstance(event, rt.AgentEndEvent):
            assert_type(event.status, ResponseStatus | None)
            if event.status == "done":  # type: ignore[comparison-overlap]
                break
        elif isinstance(event, rt.ErrorEvent):
            assert_type(event.source, ErrorSource)
        elif isinstance(event, rt.ConnectionEvent):
            describe(event.status)
    end = session.wait_for(rt.AgentEndEvent, timeout=5)
    assert_type(end, rt.AgentEndEvent)
    assert_type(session.wait_for(is_end, timeout=5), rt.AgentEndEvent)
    assert_type(session.wait_for(lambda e: True, timeout=5), rt.SessionEvent)
    assert_type(session.history(), tuple[rt.HistoryItem, ...])
    snapshot = session.snapshot()
    resumed = rt.SessionSnapshot.from_json(snapshot.to_json())
    assert_type(resumed, rt.SessionSnapshot)
    session.update_session(rt.SessionModelSettings(voice="marin"))
    session.close()


def run_with_simulator() -> None:
    with Simulator() as sim:
        run_session(sim.ws_url)


def remote_handle(session: RemoteSession) -> None:
    assert_type(session.wait_for(rt.ToolEndEvent, timeout=5), rt.ToolEndEvent)


# ---------------------------------------------------------------------------- asyncio
async def async_session(url: str) -> None:
    agent = rt.agent("Assistant", instructions="Be brief.")
    config = rt.RunConfig(model_settings=rt.SessionModelSettings(output_modalities=["text"]))
    async with rt.arun(agent, config=config,
                       model_config=rt.ModelConfig(url=url, api_key="sk-local")) as session:
        assert_type(session, rt.AsyncSession)
        await session.send_message("Hello")
        async for event in session:
            if isinstance(event, rt.TextDeltaEvent):
                print(event.delta, end="")
        end = await session.wait_for(rt.AgentEndEvent, timeout=10)
        assert_type(end, rt.AgentEndEvent)
        assert_type(await session.history(), tuple[rt.HistoryItem, ...])
        session.send_audio(np.zeros(480, dtype=np.int16))


def run_async() -> None:
    with Simulator() as sim:
        asyncio.run(async_session(sim.ws_url))


# ---------------------------------------------------------------------------- voice pipeline
def voice(http_url: str) -> list[np.ndarray]:
    workflow = va.SimpleWorkflow(lambda transcript: [f"You said: {transcript}"],
                                 greeting="Hello! I am listening.")
    config = va.VoicePipelineConfig(
        workflow_name="voice_demo",
        stt_settings=va.STTSettings(model="gpt-4o-transcribe"),
        tts_settings=va.TTSSettings(model="gpt-4o-mini-tts", voice="nova"))
    question = va.AudioInput.from_numpy(synthesize("What time is it?"), 24000)
    answer: list[np.ndarray] = []
    with va.Pipeline.start(workflow=workflow, config=config, base_url=http_url,
                           api_key="sk-local") as pipeline:
        result = pipeline.run(question)
        for event in result.stream(timeout=30):
            if isinstance(event, va.VoiceStreamEventAudio):
                answer.append(event.pcm)
            elif isinstance(event, va.VoiceStreamEventError):
                print("failed:", event.error)
    va.SimpleWorkflow("not a function")  # type: ignore[arg-type]
    return answer


# ---------------------------------------------------------------------------- supervision
class Worker(rt.PooledActor, Supervised):
    def on_receive(self, message: object) -> str:
        return "done"


def supervise() -> None:
    handle = SupervisorHandle.start([ChildSpec(id="worker", actor_class=Worker,
                                               restart="transient")],
                                    strategy="one_for_one")
    address = handle.address("worker")
    print(address.ask("work", timeout=5))
    ChildSpec(id="bad", actor_class=Worker, restart="sometimes")  # type: ignore[arg-type]
    handle.stop()


def telephony() -> BridgeConfig:
    BridgeConfig(session_audio="pcma")  # type: ignore[arg-type]
    return BridgeConfig(session_audio="pcmu")
