"""Single-turn voice runs against the simulator's REST endpoints over real sockets."""

from __future__ import annotations

import threading

import numpy as np

import voice_actors as va
from realtime_actors.audio.pcm import pcm16_from_bytes
from realtime_actors.simulator import Simulator
from realtime_actors.simulator.speech_codec import decode, synthesize
from tests.voice.conftest import StartPipeline
from tests.voice.support import audio_bytes, collect, kinds, speech_wav


def _echo(transcript: str) -> list[str]:
    return [f"You said: {transcript}"]


def test_single_turn_events_in_order_and_audio_decodes_to_reply(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    pipeline = start_pipeline(va.SimpleWorkflow(_echo))
    events = collect(pipeline.run(va.AudioInput.from_wav(speech_wav("hello there"))))
    assert kinds(events) == ["turn_started", "audio", "turn_ended", "session_ended"]
    audio = audio_bytes(events)
    assert decode(pcm16_from_bytes(audio)) == "You said: hello there"
    first = next(e for e in events if isinstance(e, va.VoiceStreamEventAudio))
    assert first.pcm.dtype == np.dtype("<i2")


def test_greeting_is_the_first_turn_of_the_first_run_only(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    pipeline = start_pipeline(va.SimpleWorkflow(_echo, greeting="Hello! I am listening."))
    first = collect(pipeline.run(va.AudioInput.from_wav(speech_wav("one"))))
    second = collect(pipeline.run(va.AudioInput.from_wav(speech_wav("two"))))
    turn = ["turn_started", "audio", "turn_ended"]
    assert kinds(first) == [*turn, *turn, "session_ended"]
    assert kinds(second) == [*turn, "session_ended"]
    marks = [k for k, e in enumerate(first) if isinstance(e, va.VoiceStreamEventLifecycle)]
    greeting_end = marks[1]
    assert decode(pcm16_from_bytes(audio_bytes(first[:greeting_end]))) == "Hello! I am listening."
    assert decode(pcm16_from_bytes(audio_bytes(first[greeting_end:]))) == "You said: one"
    assert decode(pcm16_from_bytes(audio_bytes(second))) == "You said: two"


def test_requests_carry_settings_and_a_single_wav_upload(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    pipeline = start_pipeline(
        va.SimpleWorkflow(_echo),
        stt_settings=va.STTSettings(
            model="gpt-4o-transcribe", language="en", prompt="greetings", temperature=0.25
        ),
        tts_settings=va.TTSSettings(model="gpt-4o-mini-tts", voice="nova", speed=1.5),
    )
    # 48 kHz stereo input: converted to 24 kHz mono before the upload.
    mono = synthesize("stereo in", 48000)
    wav = va.AudioInput.from_numpy(np.stack([mono, mono], axis=1), rate=48000)
    events = collect(pipeline.run(wav))
    assert kinds(events)[-1] == "session_ended"
    stt, tts = sim.rest.requests
    assert stt.endpoint == "transcriptions" and stt.status == 200
    assert stt.file is not None and stt.file.looks_like_wav and not stt.file.nested_wav
    assert dict(stt.form) == {
        "model": "gpt-4o-transcribe", "language": "en", "prompt": "greetings",
        "temperature": "0.25",
    }  # fmt: skip
    assert tts.json_body is not None
    assert tts.json_body["input"] == "You said: stereo in"
    assert tts.json_body["voice"] == "nova" and tts.json_body["speed"] == 1.5
    assert tts.json_body["response_format"] == "pcm"
    assert tts.headers["authorization"].startswith("Bearer ")
    assert "0123456789abcdef" not in tts.headers["authorization"]


def test_sentences_are_synthesised_separately_and_played_in_order(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    sentences = ["The first sentence is here.", "Then comes a second one!", "Short one.", "Last?"]

    def reply(_t: str) -> list[str]:
        return [" ".join(sentences)]

    pipeline = start_pipeline(va.SimpleWorkflow(reply), tts_concurrency=3)
    events = collect(pipeline.run(va.AudioInput.from_wav(speech_wav("go"))))
    assert kinds(events) == ["turn_started", "audio", "turn_ended", "session_ended"]
    tts_inputs = sorted(r.json_body["input"] for r in sim.rest.requests if r.json_body)
    # "Short one." is under min_sentence_chars, so it is sent with the next sentence.
    assert tts_inputs == sorted([*sentences[:2], "Short one. Last?"])
    assert decode(pcm16_from_bytes(audio_bytes(events))) == " ".join(sentences)


def test_first_audio_arrives_before_the_workflow_yields_its_last_sentence(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    gate = threading.Event()

    def reply(_t: str):
        yield "This first sentence is spoken at once."
        # Blocks until the test has seen audio: only sentence streaming lets it through.
        gate.wait(timeout=20)
        yield " Only then the last one."

    pipeline = start_pipeline(va.SimpleWorkflow(reply))
    result = pipeline.run(va.AudioInput.from_wav(speech_wav("stream")))
    stream = result.stream(timeout=30)
    seen: list[va.VoiceStreamEvent] = []
    for event in stream:
        seen.append(event)
        if isinstance(event, va.VoiceStreamEventAudio):
            break
    assert not gate.is_set()
    speech_requests = [r for r in sim.rest.requests if r.endpoint == "speech"]
    assert [r.json_body["input"] for r in speech_requests if r.json_body] == [
        "This first sentence is spoken at once."
    ]
    gate.set()
    seen.extend(stream)
    assert kinds(seen) == ["turn_started", "audio", "turn_ended", "session_ended"]
    assert decode(pcm16_from_bytes(audio_bytes(seen))) == (
        "This first sentence is spoken at once. Only then the last one."
    )


def test_custom_workflow_class_and_empty_reply(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    class Silent(va.VoiceWorkflowBase):
        def run(self, transcript: str) -> list[str]:
            return ["", "   "]

    pipeline = start_pipeline(Silent())
    events = collect(pipeline.run(va.AudioInput.from_wav(speech_wav("hush"))))
    assert kinds(events) == ["turn_started", "turn_ended", "session_ended"]
    assert all(r.endpoint == "transcriptions" for r in sim.rest.requests)


def test_workflow_error_ends_the_stream_with_an_error_then_session_ended(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    def broken(_t: str) -> list[str]:
        raise RuntimeError("boom")

    pipeline = start_pipeline(va.SimpleWorkflow(broken))
    events = collect(pipeline.run(va.AudioInput.from_wav(speech_wav("x"))))
    assert kinds(events) == ["turn_started", "error:WorkflowError", "session_ended"]


def test_stop_ends_an_unfinished_run_and_leaves_no_thread(
    sim: Simulator, start_pipeline: StartPipeline
) -> None:
    gate = threading.Event()
    started = threading.Event()

    def reply(_t: str):
        started.set()
        gate.wait(timeout=20)
        yield "late"

    pipeline = start_pipeline(va.SimpleWorkflow(reply))
    result = pipeline.run(va.AudioInput.from_wav(speech_wav("wait")))
    assert started.wait(timeout=10)
    stopper = threading.Thread(target=pipeline.stop)
    stopper.start()
    events = collect(result)
    gate.set()
    stopper.join(timeout=20)
    assert not stopper.is_alive()
    assert kinds(events) == ["turn_started", "error:PipelineStoppedError", "session_ended"]
    assert not pipeline.is_alive


def test_stream_timeout_ends_with_an_error(sim: Simulator, start_pipeline: StartPipeline) -> None:
    gate = threading.Event()

    def reply(_t: str):
        gate.wait(timeout=20)
        yield "never spoken"

    pipeline = start_pipeline(va.SimpleWorkflow(reply))
    result = pipeline.run(va.AudioInput.from_wav(speech_wav("slow")))
    events = collect(result, timeout=0.5)
    gate.set()
    assert kinds(events) == ["turn_started", "error:StreamTimeoutError", "session_ended"]
