"""POST /v1/audio/transcriptions of the simulator's REST server, over real sockets."""

from __future__ import annotations

import json
import struct
import threading
from typing import Any

import numpy as np
import numpy.typing as npt
import openai
import pydantic
import pytest
import requests
import soxr
from openai.types.audio import (
    Transcription,
    TranscriptionTextDeltaEvent,
    TranscriptionTextDoneEvent,
)

from realtime_actors.audio.wav import write_wav
from realtime_actors.simulator.rest_server import RestServer
from realtime_actors.simulator.scenario import Scenario
from realtime_actors.simulator.speech_codec import synthesize
from tests.simulator.conftest import AUTH, KEY, Box

TEXT = "Hello from the simulator, 42!"


def _assert_no_extra(model: pydantic.BaseModel) -> None:
    """The wire object had no field the SDK type does not know (recursively)."""
    assert not model.model_extra, f"unknown fields in {type(model).__name__}: {model.model_extra}"
    for name in type(model).model_fields:
        value = getattr(model, name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, pydantic.BaseModel):
                _assert_no_extra(item)


def _riff(fmt: bytes, data: bytes) -> bytes:
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt
    chunks += b"data" + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


_GUID_TAIL = bytes.fromhex("000000001000800000aa00389b71")


def _encode_wav(x: npt.NDArray[np.float64], rate: int, kind: str) -> bytes:
    """WAV bytes of float samples in [-1, 1] of shape (n, channels)."""
    channels = x.shape[1]
    extensible = kind.startswith("ext-")
    kind = kind.removeprefix("ext-")
    if kind == "u8":
        data, bits, tag = np.round(x * 127 + 128).astype(np.uint8).tobytes(), 8, 1
    elif kind == "i16":
        data, bits, tag = np.round(x * 32767).astype("<i2").tobytes(), 16, 1
    elif kind == "i24":
        wide = np.round(x * 8388607).astype("<i4").reshape(-1).view(np.uint8).reshape(-1, 4)
        data, bits, tag = wide[:, :3].tobytes(), 24, 1
    elif kind == "i32":
        data, bits, tag = np.round(x * 2147483647).astype("<i4").tobytes(), 32, 1
    elif kind == "f32":
        data, bits, tag = x.astype("<f4").tobytes(), 32, 3
    else:
        data, bits, tag = x.astype("<f8").tobytes(), 64, 3
    block = channels * bits // 8
    fmt_tag = 0xFFFE if extensible else tag
    fmt = struct.pack("<HHIIHH", fmt_tag, channels, rate, rate * block, block, bits)
    if extensible:
        mask = 0x4 if channels == 1 else 0x3
        fmt += struct.pack("<HHI", 22, bits, mask) + struct.pack("<H", tag) + _GUID_TAIL
    return _riff(fmt, data)


def _speech(text: str = TEXT) -> npt.NDArray[np.int16]:
    return synthesize(text)


def _wav(text: str = TEXT) -> bytes:
    return write_wav(_speech(text), 24000)


def _post(
    server: RestServer,
    file: tuple[str, bytes, str] | None = ("a.wav", b"", "audio/wav"),
    *,
    headers: dict[str, str] | None = None,
    stream_response: bool = False,
    **fields: str,
) -> requests.Response:
    files = {"file": file} if file is not None else None
    data = {"model": "gpt-4o-mini-transcribe", **fields}
    return requests.post(
        f"{server.url}/audio/transcriptions",
        headers=AUTH if headers is None else headers,
        data=data,
        files=files,
        stream=stream_response,
        timeout=10,
    )


def _error(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]


def test_json_transcript_of_synthetic_speech(server: RestServer) -> None:
    response = _post(server, ("speech.wav", _wav(), "audio/wav"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    transcription = Transcription.model_validate(response.json())
    _assert_no_extra(transcription)
    assert transcription.text == TEXT
    usage = response.json()["usage"]
    assert usage["type"] == "tokens"  # gpt-4o-*-transcribe report tokens, whisper-1 seconds
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0
    whisper = _post(server, ("speech.wav", _wav(), "audio/wav"), model="whisper-1")
    assert whisper.json()["usage"] == {"type": "duration", "seconds": 2}


@pytest.mark.parametrize(
    ("rate", "channels", "kind"),
    [
        (44100, 2, "i16"),
        (8000, 1, "u8"),
        (16000, 1, "i24"),
        (48000, 2, "i32"),
        (32000, 1, "f32"),
        (22050, 2, "f64"),
        (24000, 1, "ext-i16"),
        (44100, 2, "ext-f32"),
    ],
)
def test_any_wav_layout_is_decoded(server: RestServer, rate: int, channels: int, kind: str) -> None:
    mono = soxr.resample(_speech().astype(np.float64) / 32768, 24000, rate)
    wav = _encode_wav(np.repeat(mono[:, None], channels, axis=1), rate, kind)
    response = _post(server, ("in.wav", wav, "audio/wav"))
    assert response.status_code == 200, response.text
    assert response.json()["text"] == TEXT


def test_raw_pcm_file_is_24khz_pcm16(server: RestServer) -> None:
    pcm = _speech().astype("<i2").tobytes()
    response = _post(server, ("clip.pcm", pcm, "application/octet-stream"))
    assert response.status_code == 200, response.text
    assert response.json()["text"] == TEXT
    assert server.requests[-1].file is not None
    assert server.requests[-1].file.looks_like_wav is False


def test_odd_length_pcm_is_rejected(server: RestServer) -> None:
    response = _post(server, ("clip.pcm", bytes(4801), "application/octet-stream"))
    assert response.status_code == 400
    assert _error(response)["code"] == "invalid_value"


def test_a_corrupt_compressed_file_is_rejected(server: RestServer) -> None:
    response = _post(server, ("song.mp3", b"ID3" + bytes(5000), "audio/mpeg"))
    assert response.status_code == 400
    error = _error(response)
    assert (error["code"], error["param"]) == ("invalid_value", "file")
    assert "could not decode" in error["message"] and "song.mp3" in error["message"]


def test_an_unsupported_file_type_is_rejected(server: RestServer) -> None:
    for name, data in (("clip.aiff", _wav()), ("notes.txt", b"hello there" * 100)):
        response = _post(server, (name, data, "application/octet-stream"))
        assert response.status_code == 400
        error = _error(response)
        assert (error["code"], error["param"]) == ("invalid_value", "file")
        assert error["message"].startswith("Invalid file format. Supported formats: ['flac',")


def test_nested_wav_header_is_rejected(server: RestServer) -> None:
    inner = _wav("nested")
    outer = _riff(struct.pack("<HHIIHH", 1, 1, 24000, 48000, 2, 16), inner)
    response = _post(server, ("double.wav", outer, "audio/wav"))
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "invalid_value"
    assert "nested WAV header" in error["message"]
    record = server.requests[-1]
    assert record.file is not None
    assert record.file.looks_like_wav and record.file.nested_wav


def test_text_response_format_is_plain_text(server: RestServer) -> None:
    response = _post(server, ("a.wav", _wav(), "audio/wav"), response_format="text")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == TEXT


@pytest.mark.parametrize(
    ("fields", "code", "param"),
    [
        ({"response_format": "srt"}, "unsupported_value", "response_format"),
        ({"response_format": "verbose_json"}, "unsupported_value", "response_format"),
        ({"response_format": "xml"}, "invalid_value", "response_format"),
        ({"model": "gpt-9-ears"}, "invalid_value", "model"),
        ({"temperature": "1.5"}, "invalid_value", "temperature"),
        ({"stream": "maybe"}, "invalid_value", "stream"),
        ({"language": "English"}, "invalid_value", "language"),
        ({"bogus": "1"}, "unknown_parameter", "bogus"),
    ],
)
def test_invalid_fields(server: RestServer, fields: dict[str, str], code: str, param: str) -> None:
    response = _post(server, ("a.wav", _wav(), "audio/wav"), **fields)
    assert response.status_code == 400
    error = _error(response)
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", code, param)


def test_srt_rejection_says_what_the_simulator_supports(server: RestServer) -> None:
    response = _post(server, ("a.wav", _wav(), "audio/wav"), response_format="srt")
    assert "json" in _error(response)["message"] and "text" in _error(response)["message"]


def test_missing_model_and_missing_file(server: RestServer) -> None:
    response = requests.post(
        f"{server.url}/audio/transcriptions",
        headers=AUTH,
        files={"file": ("a.wav", _wav(), "audio/wav")},
        timeout=10,
    )
    assert response.status_code == 400
    assert (_error(response)["code"], _error(response)["param"]) == (
        "missing_required_parameter",
        "model",
    )
    response = _post(server, None)
    assert response.status_code == 400
    assert _error(response)["param"] == "file"


@pytest.mark.parametrize("seconds", [0.0, 0.05])
def test_too_short_audio(server: RestServer, seconds: float) -> None:
    wav = write_wav(np.zeros(round(seconds * 24000), dtype=np.int16), 24000)
    response = _post(server, ("a.wav", wav, "audio/wav"))
    assert response.status_code == 400
    assert _error(response)["code"] == "audio_too_short"


def test_empty_file_is_too_short(server: RestServer) -> None:
    response = _post(server, ("a.wav", b"", "audio/wav"))
    assert response.status_code == 400
    assert _error(response)["code"] == "audio_too_short"


def test_silence_is_inaudible(server: RestServer) -> None:
    wav = write_wav(np.zeros(24000, dtype=np.int16), 24000)
    assert _post(server, ("a.wav", wav, "audio/wav")).json()["text"] == "(inaudible)"


def test_scenario_transcript_gets_pcm_and_turn_index(server: RestServer, box: Box) -> None:
    calls: list[tuple[int, int]] = []

    def transcript(pcm: bytes, turn: int) -> str:
        calls.append((len(pcm), turn))
        return f"turn {turn}"

    box.scenario = Scenario(transcript=transcript)
    pcm = np.zeros(12000, dtype=np.int16)
    texts = [_post(server, ("a.wav", write_wav(pcm, 24000), "audio/wav")).json()["text"]]
    texts.append(_post(server, ("b.pcm", pcm.tobytes(), "audio/pcm")).json()["text"])
    assert texts == ["turn 0", "turn 1"]
    assert calls == [(24000, 0), (24000, 1)]


def test_failing_scenario_transcript_is_a_server_error(server: RestServer, box: Box) -> None:
    def transcript(pcm: bytes, turn: int) -> str:
        raise RuntimeError("scripted failure")

    box.scenario = Scenario(transcript=transcript)
    response = _post(server, ("a.wav", _wav(), "audio/wav"))
    assert response.status_code == 500
    assert _error(response)["type"] == "server_error"


def _events(response: requests.Response) -> list[dict[str, Any]]:
    lines = [line for line in response.iter_lines() if line]
    assert all(line.startswith(b"data: ") for line in lines)
    assert b"data: [DONE]" not in lines
    return [json.loads(line[len(b"data: ") :]) for line in lines]


def test_streamed_transcript_is_sse_deltas_then_done(server: RestServer) -> None:
    response = _post(server, ("a.wav", _wav(), "audio/wav"), stream_response=True, stream="true")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    events = _events(response)
    deltas = [TranscriptionTextDeltaEvent.model_validate(e) for e in events[:-1]]
    done = TranscriptionTextDoneEvent.model_validate(events[-1])
    for event in [*deltas, done]:
        _assert_no_extra(event)
    assert len(deltas) >= 3
    assert "".join(d.delta for d in deltas) == TEXT
    assert done.text == TEXT
    assert done.usage is not None
    assert done.usage.total_tokens == done.usage.input_tokens + done.usage.output_tokens


def test_whisper_ignores_stream(server: RestServer) -> None:
    response = _post(
        server, ("a.wav", _wav(), "audio/wav"), model="whisper-1", stream="true"
    )
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["text"] == TEXT


def test_streamed_transcript_arrives_incrementally(server: RestServer, box: Box) -> None:
    # Pacing 100x real time spreads the deltas over minutes: the first one must be readable
    # while the server is still far from done. Stopping the server ends the stream.
    box.scenario = Scenario(output_pacing=100.0)
    response = _post(server, ("a.wav", _wav(), "audio/wav"), stream_response=True, stream="true")
    lines = response.iter_lines()
    first = next(line for line in lines if line)
    event = TranscriptionTextDeltaEvent.model_validate_json(first[len(b"data: ") :])
    assert event.delta == "Hello"
    assert server.responses_completed == 0
    assert server.requests[-1].status == 200
    response.close()


def test_stt_latency_is_honoured(server: RestServer, box: Box) -> None:
    box.scenario = Scenario(stt_latency_s=60.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(
            f"{server.url}/audio/transcriptions",
            headers=AUTH,
            data={"model": "whisper-1"},
            files={"file": ("a.wav", _wav(), "audio/wav")},
            timeout=(5, 0.3),
        )


def test_request_is_recorded_without_file_bytes_or_key(server: RestServer) -> None:
    wav = _wav()
    _post(server, ("me.wav", wav, "audio/wav"), language="en", prompt="names: Ada")
    (record,) = server.requests
    assert (record.method, record.path, record.endpoint, record.status) == (
        "POST",
        "/v1/audio/transcriptions",
        "transcriptions",
        200,
    )
    assert record.form["model"] == "gpt-4o-mini-transcribe"
    assert record.form["language"] == "en"
    assert record.form["prompt"] == "names: Ada"
    assert record.file is not None
    assert (record.file.filename, record.file.content_type, record.file.size) == (
        "me.wav",
        "audio/wav",
        len(wav),
    )
    assert record.file.looks_like_wav and not record.file.nested_wav
    assert KEY not in repr(record)
    assert record.headers["authorization"].startswith("Bearer sk-te")


def test_openai_sdk_transcribes(server: RestServer) -> None:
    with openai.OpenAI(api_key=KEY, base_url=server.url, max_retries=0) as client:
        result = client.audio.transcriptions.create(
            model="gpt-4o-transcribe", file=("a.wav", _wav(), "audio/wav")
        )
        assert result.text == TEXT
        stream = client.audio.transcriptions.create(
            model="gpt-4o-transcribe", file=("a.wav", _wav(), "audio/wav"), stream=True
        )
        events = list(stream)
    assert [e.type for e in events][-1] == "transcript.text.done"
    assert events[-1].text == TEXT


def test_concurrent_requests_are_served(server: RestServer) -> None:
    texts = [f"caller {i}" for i in range(6)]
    results: dict[int, str] = {}

    def call(i: int) -> None:
        results[i] = _post(server, ("a.wav", _wav(texts[i]), "audio/wav")).json()["text"]

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert [results.get(i) for i in range(len(texts))] == texts
