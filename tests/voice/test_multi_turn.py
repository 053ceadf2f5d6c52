"""Multi-turn streamed input: the energy VAD cuts turns that are answered in order."""

from __future__ import annotations

import numpy as np

import voice_actors as va
from realtime_actors.protocol.audio import pcm16_from_bytes
from realtime_actors.simulator import Simulator
from realtime_actors.simulator.speech_codec import decode, synthesize
from tests.voice.conftest import StartPipeline
from tests.voice.support import audio_bytes, collect, kinds

_CHUNK = 2400 * 2  # 100 ms


def _silence(ms: int) -> bytes:
    return bytes(48 * ms)


def _speech(text: str) -> bytes:
    return synthesize(text).astype("<i2").tobytes()


def _feed(stream: va.StreamedAudioInput, audio: bytes) -> None:
    for start in range(0, len(audio), _CHUNK):
        stream.add(audio[start : start + _CHUNK])


def _turn_texts(events: list[va.VoiceStreamEvent]) -> list[str | None]:
    texts: list[str | None] = []
    current: list[va.VoiceStreamEvent] = []
    for event in events:
        if isinstance(event, va.VoiceStreamEventLifecycle) and event.event == "turn_ended":
            texts.append(decode(pcm16_from_bytes(audio_bytes(current))))
            current = []
        else:
            current.append(event)
    return texts


def test_two_utterances_become_two_turns_answered_in_order(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    pipeline = start_pipeline(va.SimpleWorkflow(lambda t: [f"You said: {t}"]))
    stream = va.StreamedAudioInput(va.VADSettings(silence_ms=400))
    result = pipeline.run(stream)
    _feed(stream, _silence(300) + _speech("first") + _silence(800) + _speech("second"))
    stream.close()  # the last utterance has no trailing silence: flushed at close
    events = collect(result)
    turn = ["turn_started", "audio", "turn_ended"]
    assert kinds(events) == [*turn, *turn, "session_ended"]
    assert _turn_texts(events) == ["You said: first", "You said: second"]
    uploads = [r for r in sim.rest.requests if r.endpoint == "transcriptions"]
    assert len(uploads) == 2 and all(not r.file.nested_wav for r in uploads if r.file)


def test_greeting_turn_comes_first_and_noise_is_ignored(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    pipeline = start_pipeline(
        va.SimpleWorkflow(lambda t: [f"Echo {t}"], greeting="Hello! I am listening.")
    )
    stream = va.StreamedAudioInput(va.VADSettings(silence_ms=300, min_speech_ms=100))
    result = pipeline.run(stream)
    click = (np.sin(np.arange(960) / 3) * 20000).astype("<i2").tobytes()  # 40 ms burst
    _feed(stream, click + _silence(600) + _speech("only turn") + _silence(600))
    stream.close()
    events = collect(result)
    assert _turn_texts(events) == ["Hello! I am listening.", "Echo only turn"]
    assert kinds(events)[-1] == "session_ended"
    assert len([r for r in sim.rest.requests if r.endpoint == "transcriptions"]) == 1


def test_closed_silent_input_ends_with_session_ended_only(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    pipeline = start_pipeline(va.SimpleWorkflow(lambda t: [t]))
    stream = va.StreamedAudioInput()
    result = pipeline.run(stream)
    _feed(stream, _silence(500))
    stream.close()
    assert kinds(collect(result)) == ["session_ended"]
    assert sim.rest.requests == []


def test_energy_vad_cuts_on_silence() -> None:
    vad = va.EnergyVAD(va.VADSettings(silence_ms=200))
    speech = _speech("abc")
    assert vad.feed(speech) == []
    (utterance,) = vad.feed(_silence(300))
    assert decode(pcm16_from_bytes(utterance)) == "abc"
    assert vad.flush() is None
