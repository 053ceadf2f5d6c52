"""HTTP failures of the voice pipeline: typed errors, retries, and streams that always end."""

from __future__ import annotations

import socket

import attrs
import pytest

import voice_actors as va
from realtime_actors.audio.pcm import pcm16_from_bytes
from realtime_actors.errors import AuthError, RealtimeError
from realtime_actors.simulator import RestFault, Simulator
from realtime_actors.simulator.speech_codec import decode
from tests.voice.conftest import StartPipeline
from tests.voice.support import TEST_KEY, audio_bytes, collect, kinds, speech_wav


def _echo(transcript: str) -> list[str]:
    return [f"You said: {transcript}"]


def _run(sim: Simulator, start: StartPipeline, *faults: RestFault) -> list[va.VoiceStreamEvent]:
    sim.scenario = attrs.evolve(sim.scenario, rest_faults=faults)
    pipeline = start(va.SimpleWorkflow(_echo))
    return collect(pipeline.run(va.AudioInput.from_wav(speech_wav("hello"))))


def _error(events: list[va.VoiceStreamEvent]) -> Exception:
    (event,) = [e for e in events if isinstance(e, va.VoiceStreamEventError)]
    return event.error


def test_401_is_a_voice_auth_error_without_the_key(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    sim.scenario = attrs.evolve(sim.scenario, api_keys=frozenset({"sk-other-key-000000000000"}))
    pipeline = start_pipeline(va.SimpleWorkflow(_echo))
    events = collect(pipeline.run(va.AudioInput.from_wav(speech_wav("hello"))))
    assert kinds(events) == ["error:VoiceAuthError", "session_ended"]
    error = _error(events)
    assert isinstance(error, AuthError) and isinstance(error, va.VoiceHTTPError)
    assert error.status == 401 and error.code == "invalid_api_key"
    assert TEST_KEY not in str(error) and TEST_KEY not in repr(error)
    assert len(sim.rest.requests) == 1


def test_insufficient_quota_is_not_retried(sim: Simulator, start_pipeline: StartPipeline) -> None:
    events = _run(sim, start_pipeline, RestFault(status=429, code="insufficient_quota", times=5))
    assert kinds(events) == ["error:QuotaExceededError", "session_ended"]
    assert isinstance(_error(events), RealtimeError)
    assert len(sim.rest.requests) == 1


def test_rate_limit_is_retried_after_retry_after_then_succeeds(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    fault = RestFault(status=429, code="rate_limit_exceeded", times=2, retry_after=0.01)
    events = _run(sim, start_pipeline, fault)
    assert kinds(events) == ["turn_started", "audio", "turn_ended", "session_ended"]
    assert decode(pcm16_from_bytes(audio_bytes(events))) == "You said: hello"
    statuses = [(r.endpoint, r.status) for r in sim.rest.requests]
    assert statuses[:3] == [("transcriptions", 429)] * 2 + [("transcriptions", 200)]


def test_rate_limit_gives_up_after_max_attempts(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    fault = RestFault(status=429, code="rate_limit_exceeded", times=10, retry_after=0.01)
    events = _run(sim, start_pipeline, fault)
    assert kinds(events) == ["error:RateLimitError", "session_ended"]
    assert len(sim.rest.requests) == 3  # the default max_attempts


def test_server_error_on_speech_is_retried(sim: Simulator, start_pipeline: StartPipeline) -> None:
    events = _run(sim, start_pipeline, RestFault(status=503, endpoint="speech", times=1))
    assert kinds(events) == ["turn_started", "audio", "turn_ended", "session_ended"]
    assert [r.status for r in sim.rest.requests] == [200, 503, 200]


def test_persistent_server_error_is_a_voice_server_error(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    events = _run(sim, start_pipeline, RestFault(status=500, endpoint="speech", times=10))
    assert kinds(events) == ["turn_started", "error:VoiceServerError", "session_ended"]
    assert _error(events).status == 500  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("transcriptions", ["error:VoiceConnectionError", "session_ended"]),
        ("speech", ["turn_started", "error:VoiceConnectionError", "session_ended"]),
    ],
)
def test_dropped_connection_ends_the_stream_with_an_error(
    sim: Simulator, start_pipeline: StartPipeline, endpoint: str, expected: list[str]
) -> None:
    fault = RestFault(status=200, endpoint=endpoint, drop_connection=True)
    events = _run(sim, start_pipeline, fault)
    # A speech stream may have delivered some audio before the drop.
    assert [k for k in kinds(events) if k != "audio"] == expected


def test_bad_request_is_not_retried(sim: Simulator, start_pipeline: StartPipeline) -> None:
    pipeline = start_pipeline(va.SimpleWorkflow(_echo))
    short = va.AudioInput.from_pcm(bytes(480))  # 10 ms: below the API minimum
    events = collect(pipeline.run(short))
    assert kinds(events) == ["error:VoiceRequestError", "session_ended"]
    error = _error(events)
    assert isinstance(error, va.VoiceRequestError) and error.code == "audio_too_short"
    assert len(sim.rest.requests) == 1


def test_connection_refused_is_a_connection_error() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago and is closed now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pipeline = va.Pipeline.start(
        workflow=va.SimpleWorkflow(_echo), base_url=f"http://127.0.0.1:{port}/v1", api_key=TEST_KEY
    )
    try:
        events = collect(pipeline.run(va.AudioInput.from_wav(speech_wav("x"))))
    finally:
        pipeline.stop()
    assert kinds(events) == ["error:VoiceConnectionError", "session_ended"]


def test_an_answer_slower_than_the_read_timeout_is_a_voice_timeout_error(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    sim.scenario = attrs.evolve(sim.scenario, stt_latency_s=30.0)
    pipeline = start_pipeline(va.SimpleWorkflow(_echo), read_timeout_s=0.2)
    events = collect(pipeline.run(va.AudioInput.from_wav(speech_wav("late"))))
    assert kinds(events) == ["error:VoiceTimeoutError", "session_ended"]
    error = _error(events)
    assert isinstance(error, va.VoiceTimeoutError) and error.endpoint == "transcriptions"
