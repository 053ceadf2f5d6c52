"""Cancelling a run stops its HTTP requests, even one still waiting for its answer's headers."""

from __future__ import annotations

import socket
import threading

import attrs
import pytest
import requests

import voice_actors as va
from realtime_actors.audio.pcm import pcm16_from_bytes
from realtime_actors.simulator import Simulator
from realtime_actors.simulator.speech_codec import decode
from tests.voice.conftest import StartPipeline
from tests.voice.support import collect, kinds, speech_wav

HELD_S = 60.0
"""How long the simulator holds the answer back: far longer than any wait in these tests."""


def _echo(transcript: str) -> list[str]:
    return [f"You said: {transcript}"]


def test_cancel_interrupts_a_transcription_waiting_for_headers(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    received = threading.Event()

    def transcript(pcm: bytes, _turn: int) -> str:
        received.set()  # the server has read the whole upload; the answer is held back next
        return decode(pcm16_from_bytes(pcm))

    sim.scenario = attrs.evolve(sim.scenario, transcript=transcript, stt_latency_s=HELD_S)
    pipeline = start_pipeline(va.SimpleWorkflow(_echo))
    result = pipeline.run(va.AudioInput.from_wav(speech_wav("never answered")))
    assert received.wait(timeout=10)
    result.cancel()
    assert kinds(collect(result)) == ["error:VoiceCancelledError", "session_ended"]
    # The run's worker is blocked in recv() until cancel shuts its socket down.
    assert result.wait_stopped(timeout=10)
    assert sim.rest.responses_completed == 0


def test_cancel_interrupts_a_speech_request_waiting_for_headers(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    sim.scenario = attrs.evolve(sim.scenario, tts_latency_s=HELD_S)
    pipeline = start_pipeline(va.SimpleWorkflow(_echo))
    result = pipeline.run(va.AudioInput.from_wav(speech_wav("hello")))
    # One connection for the transcription, then one for the speech request.
    assert result.token.wait_connections(2, timeout=10)
    result.cancel()
    assert kinds(collect(result)) == ["turn_started", "error:VoiceCancelledError", "session_ended"]
    assert result.wait_stopped(timeout=10)
    assert [(r.endpoint, r.status) for r in sim.rest.requests] == [("transcriptions", 200)]
    assert sim.rest.responses_completed == 1


def test_stream_timeout_interrupts_a_held_request(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    sim.scenario = attrs.evolve(sim.scenario, stt_latency_s=HELD_S)
    pipeline = start_pipeline(va.SimpleWorkflow(_echo))
    result = pipeline.run(va.AudioInput.from_wav(speech_wav("slow")))
    assert result.token.wait_connections(1, timeout=10)
    assert kinds(collect(result, timeout=0.3)) == ["error:StreamTimeoutError", "session_ended"]
    assert result.wait_stopped(timeout=10)


def test_stopping_the_pipeline_interrupts_a_held_request(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    sim.scenario = attrs.evolve(sim.scenario, tts_latency_s=HELD_S)
    pipeline = start_pipeline(va.SimpleWorkflow(_echo))
    result = pipeline.run(va.AudioInput.from_wav(speech_wav("hello")))
    assert result.token.wait_connections(2, timeout=10)
    pipeline.stop()
    assert kinds(collect(result)) == ["turn_started", "error:PipelineStoppedError", "session_ended"]
    assert result.wait_stopped(timeout=0)  # stop() returned after the run's thread ended


def test_a_cancelled_token_shuts_down_a_connection_as_soon_as_it_opens() -> None:
    token = va.CancelToken()
    token.cancel()
    # A listening socket that never answers: without the shutdown the read would time out.
    with socket.create_server(("127.0.0.1", 0)) as server, token.session() as session:
        port = server.getsockname()[1]
        with pytest.raises(requests.ConnectionError):
            session.get(f"http://127.0.0.1:{port}/", timeout=(5, HELD_S))
    assert token.connections_opened == 1
