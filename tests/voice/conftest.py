"""Fixtures of the voice pipeline tests: a simulator and pipelines that are always stopped."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

import voice_actors as va
from realtime_actors.simulator import Simulator
from tests.voice.support import TEST_KEY

StartPipeline = Callable[..., va.Pipeline]


@pytest.fixture
def start_pipeline(sim: Simulator) -> Iterator[StartPipeline]:
    """Start pipelines against the simulator; each is stopped when the test ends."""
    started: list[va.Pipeline] = []

    def start(workflow: va.VoiceWorkflowBase, **config_fields: object) -> va.Pipeline:
        fields: dict[str, object] = {
            "workflow_name": "voice_test",
            "stt_settings": va.STTSettings(model="gpt-4o-transcribe"),
            "tts_settings": va.TTSSettings(model="gpt-4o-mini-tts", voice="nova"),
            "max_retry_wait_s": 1.0,
        }
        fields.update(config_fields)
        config = va.VoicePipelineConfig(**fields)  # type: ignore[arg-type]
        pipeline = va.Pipeline.start(
            workflow=workflow, config=config, base_url=sim.http_url, api_key=TEST_KEY
        )
        started.append(pipeline)
        return pipeline

    yield start
    for pipeline in started:
        pipeline.stop()
