"""The official ``openai`` client against the simulator: every REST audio format, and a
realtime session shaped like the Agents SDK's (audio turn, interrupt, tool, handoff)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import numpy as np
import openai
import pydantic
import pytest
from openai.types.audio import (
    Transcription,
    TranscriptionDiarized,
    TranscriptionTextDeltaEvent,
    TranscriptionTextDoneEvent,
    TranscriptionTextSegmentEvent,
    TranscriptionVerbose,
)

from realtime_actors.simulator import Scenario, Simulator, audio_files
from realtime_actors.simulator.speech_codec import decode, synthesize
from tests.protocol.openai_schema import server_event_problems

TEXT = "Hello there. What is the weather in Rome?"
MAGIC = {"mp3": (b"ID3", b"\xff\xf3", b"\xff\xfb"), "opus": (b"OggS",), "aac": (b"\xff\xf1",),
         "flac": (b"fLaC",), "wav": (b"RIFF",)}


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator() as s:
        yield s


@pytest.fixture
def client(sim: Simulator) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(api_key="sk-client", base_url=sim.http_url, max_retries=0) as c:
        yield c


def _no_extra(model: pydantic.BaseModel, allowed: frozenset[str] = frozenset()) -> None:
    extra = set(model.model_extra or {}) - allowed
    assert not extra, f"{type(model).__name__} has extra {extra}"
    for name in type(model).model_fields:
        value = getattr(model, name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, pydantic.BaseModel):
                _no_extra(item)


def _spoken(data: bytes, response_format: str) -> str | None:
    if response_format == "pcm":
        return decode(np.frombuffer(data, dtype="<i2"))
    return decode(audio_files.decode_file(data))


def test_the_documented_default_speech_call_gives_mp3(client: openai.OpenAI) -> None:
    audio = client.audio.speech.create(model="gpt-4o-mini-tts", voice="alloy", input=TEXT)
    assert audio.content.startswith(MAGIC["mp3"])
    assert _spoken(audio.content, "mp3") == TEXT


@pytest.mark.parametrize("response_format", ["mp3", "opus", "aac", "flac", "wav", "pcm"])
def test_speech_in_every_format(client: openai.OpenAI, response_format: Any) -> None:
    audio = client.audio.speech.create(model="tts-1", voice="nova", input=TEXT,
                                       response_format=response_format)
    assert audio.content.startswith(MAGIC.get(response_format, (b"",)))
    assert _spoken(audio.content, response_format) == TEXT


@pytest.mark.parametrize("response_format", ["mp3", "pcm"])
def test_speech_sse_stream(client: openai.OpenAI, response_format: Any) -> None:
    with client.audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts", voice="alloy", input=TEXT, response_format=response_format,
        stream_format="sse",
    ) as response:
        events = [json.loads(line[6:]) for line in response.iter_lines()
                  if line.startswith("data: ")]
    assert [e["type"] for e in events[-2:]] == ["speech.audio.delta", "speech.audio.done"]
    audio = b"".join(base64.b64decode(e["audio"]) for e in events[:-1])
    assert _spoken(audio, response_format) == TEXT
    usage = events[-1]["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0


@pytest.mark.parametrize("extension", sorted(audio_files.UPLOAD_ENCODINGS))
def test_transcription_of_every_accepted_container(client: openai.OpenAI,
                                                   extension: str) -> None:
    data = audio_files.encode_file(synthesize(TEXT), 24000, extension)
    result = client.audio.transcriptions.create(model="gpt-4o-transcribe",
                                                file=(f"clip.{extension}", data))
    assert isinstance(result, Transcription)
    _no_extra(result)
    assert result.text == TEXT
    assert result.usage is not None and result.usage.type == "tokens"


def _file() -> tuple[str, bytes]:
    return ("clip.mp3", audio_files.encode_file(synthesize(TEXT), 24000, "mp3"))


@pytest.mark.parametrize("response_format", ["text", "srt", "vtt"])
def test_whisper_text_formats(client: openai.OpenAI, response_format: Any) -> None:
    body = client.audio.transcriptions.create(model="whisper-1", file=_file(),
                                              response_format=response_format)
    assert isinstance(body, str)
    if response_format == "text":
        assert body == TEXT
        return
    lines = body.splitlines()
    if response_format == "vtt":
        assert lines[0] == "WEBVTT" and "-->" in lines[2] and "." in lines[2]
        cues = [lines[3], lines[6]]
    else:
        assert lines[0] == "1" and "-->" in lines[1] and "," in lines[1]
        cues = [lines[2], lines[6]]
    assert cues == ["Hello there.", "What is the weather in Rome?"]


def test_whisper_verbose_json_with_words_and_segments(client: openai.OpenAI) -> None:
    result = client.audio.transcriptions.create(
        model="whisper-1", file=_file(), response_format="verbose_json",
        timestamp_granularities=["word", "segment"])
    assert isinstance(result, TranscriptionVerbose)
    _no_extra(result, frozenset({"task"}))  # the service sends "task"; the SDK type lacks it
    assert result.text == TEXT and result.language == "english"
    assert result.words is not None
    assert [w.word for w in result.words] == [w.strip(".?") for w in TEXT.split()]
    assert result.segments is not None and len(result.segments) == 2
    times = [t for w in result.words for t in (w.start, w.end)]
    assert times == sorted(times) and times[-1] <= result.duration
    assert result.usage is not None and result.usage.type == "duration"


def test_diarized_json(client: openai.OpenAI) -> None:
    result = client.audio.transcriptions.create(
        model="gpt-4o-transcribe-diarize", file=_file(), response_format="diarized_json",
        chunking_strategy="auto")
    assert isinstance(result, TranscriptionDiarized)
    _no_extra(result)
    assert " ".join(s.text for s in result.segments) == TEXT
    assert {s.speaker for s in result.segments} == {"A"}


def test_logprobs_in_json_and_in_the_stream(client: openai.OpenAI) -> None:
    result = client.audio.transcriptions.create(model="gpt-4o-mini-transcribe", file=_file(),
                                                include=["logprobs"])
    assert isinstance(result, Transcription)
    _no_extra(result)
    assert result.logprobs and "".join(p.token or "" for p in result.logprobs) == TEXT
    events = list(client.audio.transcriptions.create(
        model="gpt-4o-transcribe", file=_file(), include=["logprobs"], stream=True))
    deltas = [e for e in events if isinstance(e, TranscriptionTextDeltaEvent)]
    assert deltas and all(d.logprobs for d in deltas)
    done = events[-1]
    assert isinstance(done, TranscriptionTextDoneEvent) and done.logprobs
    assert done.text == TEXT


def test_diarize_stream_has_segments(client: openai.OpenAI) -> None:
    events = list(client.audio.transcriptions.create(
        model="gpt-4o-transcribe-diarize", file=_file(), stream=True,
        response_format="diarized_json", chunking_strategy="auto"))
    assert any(isinstance(e, TranscriptionTextSegmentEvent) for e in events)
    assert isinstance(events[-1], TranscriptionTextDoneEvent)


@pytest.mark.parametrize(("model", "fields", "param"), [
    ("gpt-4o-transcribe", {"response_format": "srt"}, "response_format"),
    ("whisper-1", {"response_format": "diarized_json"}, "response_format"),
    ("whisper-1", {"include": ["logprobs"]}, "include"),
    ("gpt-4o-transcribe", {"response_format": "text", "include": ["logprobs"]}, "include"),
    ("whisper-1", {"timestamp_granularities": ["word"]}, "timestamp_granularities"),
])
def test_unsupported_combinations_are_bad_requests(client: openai.OpenAI, model: str,
                                                   fields: dict[str, Any], param: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.transcriptions.create(model=model, file=_file(), **fields)
    assert caught.value.param == param


# -- realtime: the flow the Agents SDK drives, with the official client's connection --------

LONG = "Once upon a time there was a simulated speaker who talked for quite a long while."
WEATHER = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
           "additionalProperties": False}
TOOLS = [
    {"type": "function", "name": "get_weather", "description": "Weather in a city",
     "parameters": WEATHER},
    {"type": "function", "name": "transfer_to_tech_support", "description": "Handoff",
     "parameters": {"type": "object", "properties": {}, "additionalProperties": False}},
]


def _reply(ctx: Any) -> str:
    if ctx.last_tool_output is not None:
        return f"The tool returned: {ctx.last_tool_output}"
    return LONG if "story" in ctx.user_text else f"You said: {ctx.user_text}"


def _until(conn: Any, kind: str) -> list[Any]:
    events = []
    for event in conn:
        events.append(event)
        if event.type == kind:
            return events
    raise AssertionError(f"the connection ended before {kind}")


def _say(conn: Any, text: str) -> None:
    pcm = np.concatenate([synthesize(text), np.zeros(24 * 400, dtype=np.int16)])
    for i in range(0, pcm.size, 2400):  # 100 ms appends, as a microphone sends them
        conn.input_audio_buffer.append(
            audio=base64.b64encode(pcm[i : i + 2400].astype("<i2").tobytes()).decode())


def _answer(conn: Any) -> Any:
    return _until(conn, "response.done")[-1].response


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # raised inside the SDK
def test_agents_sdk_shaped_realtime_flow() -> None:
    with Simulator(Scenario(reply=_reply, output_pacing=0.5)) as sim:
        base = sim.ws_url.rsplit("/realtime", 1)[0]
        client = openai.OpenAI(api_key="sk-sdk", websocket_base_url=base, base_url=sim.http_url)
        with client.realtime.connect(model="gpt-realtime") as conn:
            conn.session.update(session={"type": "realtime", "instructions": "Greeter",
                                         "tools": TOOLS, "audio": {"input": {
                                             "transcription": {"model": "gpt-4o-transcribe"}}}})
            _until(conn, "session.updated")
            # an audio turn, answered
            _say(conn, "hello")
            done = _answer(conn)
            assert done.output[0].content[0].transcript == "You said: hello"
            # interrupted: the user speaks over a long answer, the client truncates it
            _say(conn, "tell me a story")
            delta = _until(conn, "response.output_audio.delta")[-1]
            _say(conn, "stop")
            cancelled = _answer(conn)
            assert cancelled.status_details.reason == "turn_detected"
            conn.conversation.item.truncate(item_id=delta.item_id, content_index=0,
                                            audio_end_ms=len(base64.b64decode(delta.delta)) // 96)
            seen: dict[str, Any] = {}
            for event in conn:  # the answer to "stop" may finish before the truncation
                seen[event.type] = event
                if {"conversation.item.truncated", "response.done"} <= set(seen):
                    break
            answer = seen["response.done"].response
            assert answer.output[0].content[0].transcript == "You said: stop"
            # a tool call whose arguments satisfy the declared schema
            _say(conn, "get weather in Rome")
            call = _answer(conn).output[0]
            assert call.type == "function_call" and call.name == "get_weather"
            arguments = json.loads(call.arguments)
            jsonschema.validate(arguments, WEATHER)
            conn.conversation.item.create(item={"type": "function_call_output",
                                                "call_id": call.call_id,
                                                "output": f"Sunny in {arguments['city']}"})
            conn.response.create()
            assert _answer(conn).output[0].content[0].transcript == (
                "The tool returned: Sunny in Rome")
            # a handoff: the transfer tool, then the new agent's session
            conn.conversation.item.create(item={"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "transfer me to tech support"}]})
            conn.response.create()
            handoff = _answer(conn).output[0]
            assert (handoff.name, json.loads(handoff.arguments)) == (
                "transfer_to_tech_support", {})
            conn.session.update(session={"type": "realtime", "instructions": "TechSupport",
                                         "tools": []})
            _until(conn, "session.updated")
            conn.conversation.item.create(item={"type": "function_call_output",
                                                "call_id": handoff.call_id,
                                                "output": '{"assistant": "TechSupport"}'})
            conn.response.create()
            assert _answer(conn).status == "completed"
        problems = [p for e in sim.server_events() for p in server_event_problems(e)]
        assert problems == []
