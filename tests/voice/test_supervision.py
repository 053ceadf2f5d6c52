"""The pipeline actor under a supervisor: crashes restart it, streams in flight always end,
the user's handle keeps working, and pipelines fit into a user's own supervision tree."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

import voice_actors as va
from realtime_actors.audio.pcm import pcm16_from_bytes
from realtime_actors.errors import ConfigError
from realtime_actors.simulator import Simulator
from realtime_actors.simulator.speech_codec import decode
from realtime_actors.supervision import ChildState, SupervisorHandle
from tests.voice.conftest import StartPipeline
from tests.voice.support import TEST_KEY, audio_bytes, collect, kinds, speech_wav

TURN = ["turn_started", "audio", "turn_ended"]


class GatedWorkflow(va.VoiceWorkflowBase):
    """Echoes; "slow" waits for ``gate``; "boom" raises."""

    def __init__(self, greeting: str | None = None) -> None:
        self.greeting = greeting
        self.slow_started = threading.Event()
        self.gate = threading.Event()
        self.closed = 0

    def on_start(self) -> list[str]:
        return [self.greeting] if self.greeting else []

    def run(self, transcript: str) -> Iterator[str]:
        if transcript == "boom":
            raise RuntimeError("the workflow broke")
        if transcript == "slow":
            self.slow_started.set()
            self.gate.wait(timeout=20)
        yield f"You said: {transcript}"

    def close(self) -> None:
        self.closed += 1


def _speech(text: str) -> va.AudioInput:
    return va.AudioInput.from_wav(speech_wav(text))


def test_a_crash_ends_streams_in_flight_and_the_restarted_actor_serves_the_same_handle(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    workflow = GatedWorkflow(greeting="Hello there, I am listening.")
    pipeline = start_pipeline(workflow, crash_on_workflow_error=True)
    assert pipeline.generation == 1
    in_flight = pipeline.run(_speech("slow"))
    assert workflow.slow_started.wait(timeout=10)

    failing = collect(pipeline.run(_speech("boom")))
    # The failing run ends with its own error, then the actor crashes (on_failure) ...
    assert kinds(failing) == ["turn_started", "error:WorkflowError", "session_ended"]
    # ... which ends the other run's stream instead of leaving it hanging.
    other = collect(in_flight)
    workflow.gate.set()
    assert kinds(other) == [*TURN, "turn_started", "error:PipelineStoppedError", "session_ended"]
    error = next(e.error for e in other if isinstance(e, va.VoiceStreamEventError))
    assert "crashed" in str(error) and "the workflow broke" in str(error)

    pipeline.address.wait_running(timeout=10, after_generation=1)
    assert pipeline.generation == 2 and pipeline.is_alive
    assert workflow.closed == 1  # the crashed incarnation released the workflow's resources
    after = collect(pipeline.run(_speech("again")))
    assert kinds(after) == [*TURN, "session_ended"]  # no second greeting after the restart
    assert decode(pcm16_from_bytes(audio_bytes(after))) == "You said: again"


def test_without_crash_on_workflow_error_a_workflow_error_only_ends_its_run(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    pipeline = start_pipeline(GatedWorkflow())
    assert kinds(collect(pipeline.run(_speech("boom"))))[-2:] == [
        "error:WorkflowError",
        "session_ended",
    ]
    assert kinds(collect(pipeline.run(_speech("fine")))) == [*TURN, "session_ended"]
    assert pipeline.generation == 1


def test_a_workflow_raising_system_exit_is_a_workflow_error(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    def leave(_t: str) -> list[str]:
        raise SystemExit(3)

    pipeline = start_pipeline(va.SimpleWorkflow(leave))
    events = collect(pipeline.run(_speech("x")))
    assert kinds(events) == ["turn_started", "error:WorkflowError", "session_ended"]


def test_an_actor_stopped_behind_the_handles_back_is_restarted(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    workflow = GatedWorkflow()
    pipeline = start_pipeline(workflow)
    in_flight = pipeline.run(_speech("slow"))
    assert workflow.slow_started.wait(timeout=10)
    pipeline.actor_ref.stop(block=False)  # not a crash: a permanent child is restarted anyway
    events = collect(in_flight)
    workflow.gate.set()
    assert kinds(events) == ["turn_started", "error:PipelineStoppedError", "session_ended"]
    result = pipeline.run(_speech("back"), timeout=10)  # waits for the next incarnation
    assert decode(pcm16_from_bytes(audio_bytes(collect(result)))) == "You said: back"
    assert pipeline.generation == 2


def test_too_many_crashes_stop_the_pipeline_for_good(sim: Simulator) -> None:
    workflow = GatedWorkflow()
    config = va.VoicePipelineConfig(crash_on_workflow_error=True)
    pipeline = va.Pipeline.start(
        workflow=workflow, config=config, base_url=sim.http_url, api_key=TEST_KEY, max_restarts=0
    )
    try:
        assert kinds(collect(pipeline.run(_speech("boom"))))[-1] == "session_ended"
        pipeline.address.wait_state(ChildState.STOPPED, timeout=10)
        assert not pipeline.is_alive
        with pytest.raises(va.PipelineStoppedError):
            pipeline.run(_speech("hello"))
    finally:
        pipeline.stop()


def test_pipelines_in_a_users_own_supervision_tree(sim: Simulator) -> None:
    english, french = GatedWorkflow(), va.SimpleWorkflow(lambda t: [f"Vous avez dit: {t}"])
    config = va.VoicePipelineConfig(crash_on_workflow_error=True)
    specs = [
        va.pipeline_child_spec(
            "english", workflow=english, config=config, base_url=sim.http_url, api_key=TEST_KEY
        ),
        va.pipeline_child_spec("french", workflow=french, base_url=sim.http_url, api_key=TEST_KEY),
    ]
    tree = SupervisorHandle.start(specs, strategy="one_for_one", max_restarts=5)
    try:
        en = va.Pipeline.attach(tree.address("english"))
        fr = va.Pipeline.attach(tree.address("french"))
        collect(en.run(_speech("boom")))
        en.address.wait_running(timeout=10, after_generation=1)
        assert (en.generation, fr.generation) == (2, 1)  # one_for_one: french untouched
        assert decode(pcm16_from_bytes(audio_bytes(collect(fr.run(_speech("oui")))))) == (
            "Vous avez dit: oui"
        )
        assert decode(pcm16_from_bytes(audio_bytes(collect(en.run(_speech("yes")))))) == (
            "You said: yes"
        )
        with pytest.raises(ConfigError):
            en.stop()  # the tree owns it
    finally:
        tree.stop()
    assert not en.is_alive and not fr.is_alive
