"""Authentication, scripted REST faults and server lifecycle of the simulator's REST server."""

from __future__ import annotations

import threading
from typing import Any

import openai
import pytest
import requests

from realtime_actors.audio.wav import write_wav
from realtime_actors.simulator.errors import SimulatorError
from realtime_actors.simulator.rest_server import RestServer
from realtime_actors.simulator.scenario import RestFault, Scenario
from realtime_actors.simulator.speech_codec import synthesize
from tests.simulator.conftest import AUTH, KEY, Box

SPEECH = {"model": "gpt-4o-mini-tts", "input": "hi", "voice": "alloy", "response_format": "pcm"}
WAV = write_wav(synthesize("ok"), 24000)


def _speech(server: RestServer, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.post(
        f"{server.url}/audio/speech",
        headers=AUTH if headers is None else headers,
        json=SPEECH,
        timeout=10,
    )


def _transcribe(server: RestServer) -> requests.Response:
    return requests.post(
        f"{server.url}/audio/transcriptions",
        headers=AUTH,
        data={"model": "whisper-1"},
        files={"file": ("a.wav", WAV, "audio/wav")},
        timeout=10,
    )


def _error(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer "}, {"Authorization": f"Basic {KEY}"}],
    ids=["none", "empty", "not-bearer"],
)
def test_missing_bearer_key_is_401(server: RestServer, headers: dict[str, str]) -> None:
    response = _speech(server, headers)
    assert response.status_code == 401
    error = _error(response)
    assert (error["type"], error["code"]) == ("invalid_request_error", "invalid_api_key")


def test_scenario_api_keys_are_checked_and_key_is_masked(server: RestServer, box: Box) -> None:
    box.scenario = Scenario(api_keys=frozenset({"sk-good-key-000000"}))
    assert _speech(server, {"Authorization": "Bearer sk-good-key-000000"}).status_code == 200
    wrong = "sk-abcdefghijklmnopqrstcd"
    response = _speech(server, {"Authorization": f"Bearer {wrong}"})
    assert response.status_code == 401
    error = _error(response)
    assert error["code"] == "invalid_api_key"
    assert "Incorrect API key provided: sk-ab***cd" in error["message"]
    assert wrong not in response.text
    assert wrong not in repr(server.requests)


def test_401_fault_then_success(server: RestServer, box: Box) -> None:
    box.scenario = Scenario(rest_faults=(RestFault(status=401),))
    response = _speech(server)
    assert response.status_code == 401
    assert _error(response)["code"] == "invalid_api_key"
    assert "Incorrect API key provided: sk-te***ef" in _error(response)["message"]
    assert KEY not in response.text
    assert _speech(server).status_code == 200
    assert server.fault_uses() == (1,)
    assert server.faults_consumed == 1
    assert server.requests[0].fault == RestFault(status=401)
    assert server.requests[1].fault is None


def test_insufficient_quota_has_no_retry_after(server: RestServer, box: Box) -> None:
    fault = RestFault(status=429, code="insufficient_quota", retry_after=3.0)
    box.scenario = Scenario(rest_faults=(fault,))
    response = _speech(server)
    assert response.status_code == 429
    error = _error(response)
    assert (error["type"], error["code"]) == ("insufficient_quota", "insufficient_quota")
    assert "Retry-After" not in response.headers
    assert "retry-after-ms" not in response.headers


def test_rate_limit_has_retry_after(server: RestServer, box: Box) -> None:
    box.scenario = Scenario(rest_faults=(RestFault(status=429, retry_after=1.5),))
    response = _speech(server)
    assert response.status_code == 429
    error = _error(response)
    assert (error["type"], error["code"]) == ("requests", "rate_limit_exceeded")
    assert response.headers["Retry-After"] == "1.5"
    assert response.headers["retry-after-ms"] == "1500"


def test_rate_limit_without_retry_after_sends_no_header(server: RestServer, box: Box) -> None:
    box.scenario = Scenario(rest_faults=(RestFault(status=429, code="rate_limit_exceeded"),))
    response = _speech(server)
    assert response.status_code == 429
    assert "Retry-After" not in response.headers


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors(server: RestServer, box: Box, status: int) -> None:
    box.scenario = Scenario(rest_faults=(RestFault(status=status),))
    response = _transcribe(server)
    assert response.status_code == status
    assert _error(response)["type"] == "server_error"
    assert _transcribe(server).json()["text"] == "ok"


def test_faults_are_used_in_order_and_counted(server: RestServer, box: Box) -> None:
    box.scenario = Scenario(
        rest_faults=(RestFault(status=503, times=2), RestFault(status=429, retry_after=1.0))
    )
    statuses = [_speech(server).status_code for _ in range(4)]
    assert statuses == [503, 503, 429, 200]
    assert server.fault_uses() == (2, 1)
    assert server.faults_consumed == 3


def test_fault_endpoint_filter(server: RestServer, box: Box) -> None:
    box.scenario = Scenario(rest_faults=(RestFault(status=500, endpoint="speech"),))
    assert _transcribe(server).status_code == 200
    assert _speech(server).status_code == 500
    assert _speech(server).status_code == 200


def test_new_fault_tuple_restarts_the_counters(server: RestServer, box: Box) -> None:
    box.scenario = Scenario(rest_faults=(RestFault(status=500),))
    assert [_speech(server).status_code for _ in range(2)] == [500, 200]
    box.scenario = Scenario(rest_faults=(RestFault(status=500),))
    assert [_speech(server).status_code for _ in range(2)] == [500, 200]
    assert server.faults_consumed == 2


@pytest.mark.parametrize("endpoint", ["speech", "transcriptions"])
def test_drop_connection_mid_body(server: RestServer, box: Box, endpoint: str) -> None:
    fault = RestFault(status=200, drop_connection=True)
    box.scenario = Scenario(rest_faults=(fault,))
    call = _speech if endpoint == "speech" else _transcribe
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        call(server)
    assert call(server).status_code == 200
    assert [(r.status, r.fault) for r in server.requests] == [(200, fault), (200, None)]


def test_drop_connection_after_headers(server: RestServer, box: Box) -> None:
    box.scenario = Scenario(rest_faults=(RestFault(status=200, drop_connection=True),))
    response = requests.post(
        f"{server.url}/audio/speech", headers=AUTH, json=SPEECH, stream=True, timeout=10
    )
    assert response.status_code == 200
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        response.content  # noqa: B018


def test_fault_counters_are_thread_safe(server: RestServer, box: Box) -> None:
    box.scenario = Scenario(rest_faults=(RestFault(status=503, times=5),))
    statuses: list[int] = []
    lock = threading.Lock()

    def call() -> None:
        for _ in range(3):
            code = _speech(server).status_code
            with lock:
                statuses.append(code)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [200] * 13 + [503] * 5
    assert server.fault_uses() == (5,)


def test_unknown_path_and_method(server: RestServer) -> None:
    response = requests.post(f"{server.url}/audio/translations", headers=AUTH, timeout=10)
    assert response.status_code == 404
    assert "Invalid URL (POST /v1/audio/translations)" in _error(response)["message"]
    response = requests.get(f"{server.url}/audio/speech", headers=AUTH, timeout=10)
    assert response.status_code == 404
    assert [r.endpoint for r in server.requests] == [None, None]


def test_openai_sdk_maps_fault_errors(server: RestServer, box: Box) -> None:
    box.scenario = Scenario(
        rest_faults=(
            RestFault(status=401),
            RestFault(status=429, code="insufficient_quota"),
            RestFault(status=429, retry_after=2.0),
        )
    )
    with openai.OpenAI(api_key=KEY, base_url=server.url, max_retries=0) as client:
        create = client.audio.speech.create
        with pytest.raises(openai.AuthenticationError):
            create(model="tts-1", voice="alloy", input="x", response_format="pcm")
        with pytest.raises(openai.RateLimitError) as quota:
            create(model="tts-1", voice="alloy", input="x", response_format="pcm")
        with pytest.raises(openai.RateLimitError) as limited:
            create(model="tts-1", voice="alloy", input="x", response_format="pcm")
    assert quota.value.code == "insufficient_quota"
    assert limited.value.code == "rate_limit_exceeded"
    assert limited.value.response.headers["retry-after"] == "2"


def test_url_lifecycle_and_idempotent_stop(box: Box) -> None:
    srv = RestServer(lambda: box.scenario)
    with pytest.raises(SimulatorError):
        _ = srv.url
    with srv:
        assert srv.url == f"http://127.0.0.1:{srv.port}/v1"
        assert _speech(srv).status_code == 200
        with pytest.raises(SimulatorError):
            srv.start()
    srv.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        _speech(srv)


def test_stop_with_an_idle_keep_alive_connection(box: Box) -> None:
    srv = RestServer(lambda: box.scenario).start()
    with requests.Session() as session:
        response = session.post(f"{srv.url}/audio/speech", headers=AUTH, json=SPEECH, timeout=10)
        assert response.status_code == 200
        srv.stop()  # the session still holds the connection open; stop must not wait for it
