"""AgentWorkflow: voice turns answered by a text-mode realtime session with memory."""

from __future__ import annotations

import attrs

import realtime_actors as rt
import voice_actors as va
from realtime_actors.audio.pcm import pcm16_from_bytes
from realtime_actors.simulator import Simulator
from realtime_actors.simulator.scenario import FaultPlan, ReplyContext
from realtime_actors.simulator.speech_codec import decode
from tests.voice.conftest import StartPipeline
from tests.voice.support import TEST_KEY, audio_bytes, collect, kinds, speech_wav


def _reply_with_memory(ctx: ReplyContext) -> str:
    return f"Heard {ctx.user_text}. Earlier: {len(ctx.history)}."


def test_agent_answers_each_turn_in_one_session_with_memory(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    sim.scenario = attrs.evolve(sim.scenario, reply=_reply_with_memory)
    workflow = va.AgentWorkflow(
        rt.RealtimeAgent(name="assistant", instructions="Be brief."),
        model_config=rt.ModelConfig(url=sim.ws_url, api_key=TEST_KEY),
        turn_timeout_s=20,
    )
    pipeline = start_pipeline(workflow)
    first = collect(pipeline.run(va.AudioInput.from_wav(speech_wav("red"))))
    second = collect(pipeline.run(va.AudioInput.from_wav(speech_wav("blue"))))
    assert kinds(first) == ["turn_started", "audio", "turn_ended", "session_ended"]
    assert decode(pcm16_from_bytes(audio_bytes(first))) == "Heard red. Earlier: 0."
    # The second answer sees the first exchange (user + assistant): one session, with memory.
    assert decode(pcm16_from_bytes(audio_bytes(second))) == "Heard blue. Earlier: 2."
    assert len(sim.connections) == 1
    pipeline.stop()
    assert sim.wait_for_close(0, timeout=10) is not None


def test_agent_workflow_calls_a_tool_and_speaks_its_result(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    calls: list[str] = []

    @rt.function_tool
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        calls.append(city)
        return f"sunny in {city}"

    sim.scenario = attrs.evolve(sim.scenario, tool_arguments=lambda name, text: {"city": "Oslo"})
    workflow = va.AgentWorkflow(
        rt.agent(name="assistant", instructions="Use tools.", tools=[get_weather]),
        model_config=rt.ModelConfig(url=sim.ws_url, api_key=TEST_KEY),
        turn_timeout_s=20,
    )
    pipeline = start_pipeline(workflow)
    events = collect(pipeline.run(va.AudioInput.from_wav(speech_wav("get weather please"))))
    assert kinds(events) == ["turn_started", "audio", "turn_ended", "session_ended"]
    assert calls == ["Oslo"]
    assert decode(pcm16_from_bytes(audio_bytes(events))) == "The tool returned: sunny in Oslo"
    pipeline.stop()


def test_a_failed_agent_response_is_a_workflow_error_with_its_code(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    sim.scenario = attrs.evolve(sim.scenario, faults=FaultPlan(fail_responses="insufficient_quota"))
    workflow = va.AgentWorkflow(
        rt.RealtimeAgent(name="assistant", instructions="Be brief."),
        model_config=rt.ModelConfig(url=sim.ws_url, api_key=TEST_KEY),
        turn_timeout_s=20,
    )
    pipeline = start_pipeline(workflow)
    events = collect(pipeline.run(va.AudioInput.from_wav(speech_wav("hello"))))
    assert kinds(events) == ["turn_started", "error:WorkflowError", "session_ended"]
    error = next(e.error for e in events if isinstance(e, va.VoiceStreamEventError))
    assert isinstance(error, va.WorkflowError) and error.code == "insufficient_quota"
