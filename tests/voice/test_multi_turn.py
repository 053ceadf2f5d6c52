"""Multi-turn streamed input: the energy VAD cuts turns that are answered in order."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import attrs
import numpy as np

import voice_actors as va
from realtime_actors.audio.pcm import pcm16_from_bytes
from realtime_actors.simulator import Simulator
from realtime_actors.simulator.speech_codec import decode, synthesize
from tests.voice.conftest import StartPipeline
from tests.voice.support import audio_bytes, collect, kinds, speech_wav
from voice_actors.sse import SSEParser

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


def test_three_spoken_turns_overlap_capture_with_the_previous_reply(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    transcribed = [threading.Event() for _ in range(3)]

    def transcript(pcm: bytes, turn: int) -> str:
        text = decode(pcm16_from_bytes(pcm)) or "(inaudible)"
        transcribed[turn].set()
        return text

    sim.scenario = attrs.evolve(sim.scenario, transcript=transcript)
    overlapped: list[bool] = []

    def reply(text: str) -> Iterator[str]:
        yield f"The answer to {text} begins here."
        if text != "three":
            # Hold the rest of this reply until the next turn has been transcribed: only a
            # capture that runs while this reply is spoken gets there.
            overlapped.append(transcribed[len(overlapped) + 1].wait(timeout=10))
        yield f" The answer to {text} ends."

    pipeline = start_pipeline(va.SimpleWorkflow(reply))
    stream = va.StreamedAudioInput(va.VADSettings(silence_ms=300))
    result = pipeline.run(stream)
    _feed(stream, _silence(200) + _speech("one") + _silence(500))
    later = [_speech("two") + _silence(500), _speech("three") + _silence(500)]
    events: list[va.VoiceStreamEvent] = []
    for event in result.stream(timeout=30):
        events.append(event)
        first_audio = isinstance(event, va.VoiceStreamEventAudio) and not isinstance(
            events[-2] if len(events) > 1 else None, va.VoiceStreamEventAudio
        )
        if first_audio and later:  # the previous turn is speaking: the user talks again
            _feed(stream, later.pop(0))
            if not later:
                stream.close()
    turn = ["turn_started", "audio", "turn_ended"]
    assert kinds(events) == [*turn, *turn, *turn, "session_ended"]
    assert _turn_texts(events) == [
        f"The answer to {n} begins here. The answer to {n} ends." for n in ("one", "two", "three")
    ]
    assert overlapped == [True, True]
    uploads = [r for r in sim.rest.requests if r.endpoint == "transcriptions"]
    assert len(uploads) == 3


def test_streamed_transcription_yields_deltas_then_the_turns_transcript(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    pipeline = start_pipeline(
        va.SimpleWorkflow(lambda t: [f"You said: {t}"]),
        stt_settings=va.STTSettings(model="gpt-4o-transcribe", stream=True),
        emit_transcripts=True,
    )
    events = collect(pipeline.run(va.AudioInput.from_wav(speech_wav("bright blue skies"))))
    assert kinds(events) == ["delta", "turn_started", "transcript", "audio", "turn_ended",
                             "session_ended"]  # fmt: skip
    transcripts = [e for e in events if isinstance(e, va.VoiceStreamEventTranscript)]
    deltas = [e.text for e in transcripts if not e.final]
    assert len(deltas) == 3 and "".join(deltas) == "bright blue skies"
    assert [e.text for e in transcripts if e.final] == ["bright blue skies"]
    (upload,) = sim.rest.requests[:1]
    assert upload.form.get("stream") == "true"
    assert decode(pcm16_from_bytes(audio_bytes(events))) == "You said: bright blue skies"


def test_sse_parser_handles_split_lines_comments_and_done() -> None:
    parser = SSEParser()
    assert parser.feed(b': keep-alive\n\ndata: {"type": "a", ') == []
    assert parser.feed(b'"n": 1}\r\n\r\ndata: [DONE]\n\ndata: 5\n\n') == [{"type": "a", "n": 1}]
    assert parser.feed(b'event: x\ndata: {"type":\ndata: "b"}\n\n') == [{"type": "b"}]
