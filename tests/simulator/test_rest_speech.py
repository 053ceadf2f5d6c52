"""POST /v1/audio/speech of the simulator's REST server, over real sockets."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import openai
import pytest
import requests

from realtime_actors.audio.wav import read_wav
from realtime_actors.simulator import audio_files
from realtime_actors.simulator.rest_server import RestServer
from realtime_actors.simulator.scenario import Scenario
from realtime_actors.simulator.speech_codec import decode, synthesize
from tests.simulator.conftest import AUTH, KEY, Box

TEXT = "Speak this, please: 1, 2, 3."


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "gpt-4o-mini-tts",
        "input": TEXT,
        "voice": "coral",
        "response_format": "pcm",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def _post(server: RestServer, body: Any, *, stream: bool = False) -> requests.Response:
    return requests.post(
        f"{server.url}/audio/speech", headers=AUTH, json=body, stream=stream, timeout=10
    )


def _pcm_text(data: bytes) -> str | None:
    return decode(np.frombuffer(data, dtype="<i2").astype(np.int16))


def test_pcm_is_raw_synthetic_speech_of_the_input(server: RestServer) -> None:
    response = _post(server, _body())
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.content == synthesize(TEXT).astype("<i2").tobytes()
    assert _pcm_text(response.content) == TEXT


def test_wav_is_a_24khz_mono_wav(server: RestServer) -> None:
    response = _post(server, _body(response_format="wav", voice={"id": "voice_1234"}))
    assert response.status_code == 200, response.text
    wav = read_wav(response.content)
    assert (wav.rate, wav.channels, wav.sample_width) == (24000, 1, 2)
    assert decode(wav.samples[:, 0]) == TEXT


def test_audio_is_streamed_in_100ms_chunks(server: RestServer) -> None:
    response = _post(server, _body(), stream=True)
    assert response.headers["Transfer-Encoding"] == "chunked"
    chunks = list(response.raw.read_chunked(decode_content=False))
    assert len(chunks) > 5
    assert all(len(c) == 4800 for c in chunks[:-1])
    assert 0 < len(chunks[-1]) <= 4800
    assert _pcm_text(b"".join(chunks)) == TEXT


def test_streamed_audio_arrives_incrementally(server: RestServer, box: Box) -> None:
    # Pacing 100x real time spreads the chunks over minutes: the first one must be readable
    # while the server is still far from done. Stopping the server ends the stream.
    box.scenario = Scenario(output_pacing=100.0)
    response = _post(server, _body(), stream=True)
    first = next(response.raw.read_chunked(decode_content=False))
    assert first == synthesize(TEXT).astype("<i2").tobytes()[:4800]
    assert server.responses_completed == 0
    response.close()


def _sse(response: requests.Response) -> list[dict[str, Any]]:
    lines = [line for line in response.iter_lines() if line]
    assert all(line.startswith(b"data: ") for line in lines)
    return [json.loads(line[len(b"data: ") :]) for line in lines]


def test_sse_stream_format(server: RestServer) -> None:
    response = _post(server, _body(stream_format="sse"), stream=True)
    assert response.headers["Content-Type"].startswith("text/event-stream")
    events = _sse(response)
    assert {e["type"] for e in events[:-1]} == {"speech.audio.delta"}
    assert all(set(e) == {"type", "audio"} for e in events[:-1])
    audio = b"".join(base64.b64decode(e["audio"]) for e in events[:-1])
    assert _pcm_text(audio) == TEXT
    done = events[-1]
    assert done["type"] == "speech.audio.done"
    usage = done["usage"]
    assert set(usage) == {"input_tokens", "output_tokens", "total_tokens"}
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0


def test_tts_latency_is_honoured(server: RestServer, box: Box) -> None:
    box.scenario = Scenario(tts_latency_s=60.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(
            f"{server.url}/audio/speech", headers=AUTH, json=_body(), timeout=(5, 0.3)
        )


@pytest.mark.parametrize(
    ("overrides", "code", "param"),
    [
        ({"model": None}, "missing_required_parameter", "model"),
        ({"model": "tts-9"}, "invalid_value", "model"),
        ({"input": None}, "missing_required_parameter", "input"),
        ({"input": ""}, "string_below_min_length", "input"),
        ({"input": "x" * 4097}, "string_above_max_length", "input"),
        ({"input": 42}, "invalid_type", "input"),
        ({"voice": None}, "missing_required_parameter", "voice"),
        ({"voice": "robot"}, "invalid_value", "voice"),
        ({"voice": {"name": "x"}}, "invalid_value", "voice"),
        ({"speed": 0.1}, "invalid_value", "speed"),
        ({"speed": 4.5}, "invalid_value", "speed"),
        ({"speed": "fast"}, "invalid_value", "speed"),
        ({"response_format": "wave"}, "invalid_value", "response_format"),
        ({"stream_format": "ws"}, "invalid_value", "stream_format"),
        ({"model": "tts-1", "stream_format": "sse"}, "invalid_value", "stream_format"),
        ({"instructions": "y" * 4097}, "string_above_max_length", "instructions"),
        ({"pitch": 2}, "unknown_parameter", "pitch"),
    ],
)
def test_validation_errors(
    server: RestServer, overrides: dict[str, Any], code: str, param: str
) -> None:
    response = _post(server, _body(**overrides))
    assert response.status_code == 400
    body = response.json()
    assert set(body["error"]) == {"message", "type", "param", "code"}
    error = body["error"]
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", code, param)


def test_without_pyav_compressed_formats_are_a_clear_bad_request(
    server: RestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audio_files, "available", lambda: False)  # as if PyAV were absent
    response = _post(server, _body(response_format="opus"))
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("unsupported_value", "response_format")
    assert "realtime-actors[simulator]" in error["message"]
    assert _post(server, _body(response_format="wav")).status_code == 200


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]"])
def test_body_must_be_a_json_object(server: RestServer, raw: bytes) -> None:
    response = requests.post(
        f"{server.url}/audio/speech",
        headers={**AUTH, "Content-Type": "application/json"},
        data=raw,
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_valid_options_are_accepted(server: RestServer) -> None:
    body = _body(model="tts-1-hd", speed=4.0, instructions="cheerful", voice="cedar")
    response = _post(server, body)
    assert response.status_code == 200
    assert _pcm_text(response.content) == TEXT


def test_chunked_request_body_is_read(server: RestServer) -> None:
    payload = json.dumps(_body()).encode()
    response = requests.post(
        f"{server.url}/audio/speech",
        headers={**AUTH, "Content-Type": "application/json"},
        data=iter([payload[:10], payload[10:]]),
        timeout=10,
    )
    assert response.status_code == 200
    assert _pcm_text(response.content) == TEXT


def test_request_is_recorded(server: RestServer) -> None:
    _post(server, _body(instructions="calm"))
    (record,) = server.requests
    assert (record.endpoint, record.status, record.file) == ("speech", 200, None)
    assert record.json_body is not None
    assert dict(record.json_body) == _body(instructions="calm")
    assert KEY not in repr(record)


def test_openai_sdk_speech(server: RestServer) -> None:
    with openai.OpenAI(api_key=KEY, base_url=server.url, max_retries=0) as client:
        result = client.audio.speech.create(
            model="gpt-4o-mini-tts", voice="alloy", input=TEXT, response_format="pcm"
        )
        assert _pcm_text(result.content) == TEXT
        with client.audio.speech.with_streaming_response.create(
            model="gpt-4o-mini-tts", voice="alloy", input=TEXT, response_format="wav"
        ) as streamed:
            data = b"".join(streamed.iter_bytes())
    assert decode(read_wav(data).samples[:, 0]) == TEXT


def test_an_encoder_failure_is_a_500_server_error(
    server: RestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> bytes:
        raise audio_files.AudioFileError("cannot encode ogg/libopus: simulated")

    monkeypatch.setattr(audio_files, "encode_speech", broken)  # FFmpeg cannot fail on demand
    response = _post(server, _body(response_format="opus"))
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "server_error"
