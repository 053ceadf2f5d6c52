"""Handshake, authentication, beta rejection and the initial session of the simulator."""

from __future__ import annotations

import json
import re
import time

import pytest
import websocket

from realtime_actors.simulator import FaultPlan, Scenario, Simulator
from tests.simulator.realtime_client import RtClient, connect_session

ID_RE = r"[0-9A-Za-z]{21}"


def _bad_status(url: str, **kwargs: object) -> websocket.WebSocketBadStatusException:
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        RtClient(url, **kwargs)  # type: ignore[arg-type]
    return info.value


def test_missing_authorization_is_http_401_with_openai_error_body() -> None:
    with Simulator() as sim:
        exc = _bad_status(sim.ws_url, key=None)
        assert exc.status_code == 401
        body = json.loads(exc.resp_body)
        assert body["error"]["type"] == "invalid_request_error"
        assert "API key" in body["error"]["message"]
        assert sim.connections[0].http_status == 401


def test_unknown_key_is_rejected_without_echoing_it() -> None:
    secret = "sk-proj-verysecretvalue1234"
    with Simulator(Scenario(api_keys=frozenset({"sk-good-key-0000"}))) as sim:
        exc = _bad_status(sim.ws_url, key=secret)
        assert exc.status_code == 401
        body = json.loads(exc.resp_body)
        assert body["error"]["code"] == "invalid_api_key"
        assert secret not in exc.resp_body.decode()
        with connect_session(sim.ws_url, key="sk-good-key-0000") as client:
            client.close()
        assert secret not in repr(sim.connections)


def test_key_in_websocket_subprotocol_is_accepted() -> None:
    with Simulator(Scenario(api_keys=frozenset({"ek_browser_key"}))) as sim:
        protocols = ["realtime", "openai-insecure-api-key.ek_browser_key"]
        client = RtClient(sim.ws_url, key=None, subprotocols=protocols)
        with client:
            assert client.ws.subprotocol == "realtime"
            client.expect("session.created")


def test_handshake_fault_answers_with_that_status_then_next_connection_works() -> None:
    plan = lambda i: FaultPlan(handshake_status=503) if i == 0 else None  # noqa: E731
    with Simulator(Scenario(faults=plan)) as sim:
        assert _bad_status(sim.ws_url).status_code == 503
        with connect_session(sim.ws_url):
            pass
        assert [c.http_status for c in sim.connections] == [503, 101]


def test_wrong_path_is_404() -> None:
    with Simulator() as sim:
        exc = _bad_status(sim.ws_url.replace("/v1/realtime", "/v1/other"))
        assert exc.status_code == 404


def test_beta_header_gets_error_then_close_4000() -> None:
    with Simulator() as sim:
        with RtClient(sim.ws_url, headers=["OpenAI-Beta: realtime=v1"]) as client:
            error = client.expect("error")
            assert error["error"]["code"] == "beta_api_shape_disabled"
            assert error["error"]["type"] == "invalid_request_error"
            code, reason = client.recv_close()
            assert code == 4000
            assert reason == "invalid_request_error.beta_api_shape_disabled"


def test_session_created_carries_the_full_default_session() -> None:
    with Simulator(Scenario(session_seconds=600)) as sim:
        before = int(time.time())
        with connect_session(sim.ws_url, query="?model=gpt-realtime-2&call_id=rtc_123") as client:
            client.close()
        created = sim.server_events()[0]
        assert created["type"] == "session.created"
        assert re.fullmatch("event_" + ID_RE, created["event_id"])
        session = created["session"]
        assert re.fullmatch("sess_" + ID_RE, session.pop("id"))
        assert before + 600 <= session.pop("expires_at") <= int(time.time()) + 600
        assert session.pop("instructions").startswith("Your knowledge cutoff is 2023-10.")
        pcm = {"type": "audio/pcm", "rate": 24000}
        assert session == {
            "type": "realtime",
            "object": "realtime.session",
            "model": "gpt-realtime-2",
            "output_modalities": ["audio"],
            "tools": [],
            "tool_choice": "auto",
            "max_output_tokens": "inf",
            "tracing": None,
            "truncation": "auto",
            "prompt": None,
            "include": None,
            "audio": {
                "input": {
                    "format": pcm,
                    "transcription": None,
                    "noise_reduction": None,
                    "turn_detection": {
                        "type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300,
                        "silence_duration_ms": 200, "idle_timeout_ms": None,
                        "create_response": True, "interrupt_response": True,
                    },
                },
                "output": {"format": pcm, "voice": "alloy", "speed": 1.0},
            },
        }
        record = sim.connections[0]
        assert record.path == "/v1/realtime"
        assert record.query == {"model": "gpt-realtime-2", "call_id": "rtc_123"}
        assert record.header("authorization") == "Bearer sk-test"


def test_model_defaults_to_the_scenario_model() -> None:
    with Simulator(Scenario(model="gpt-realtime-mini")) as sim:
        with connect_session(sim.ws_url, query="") as client:
            client.close()
        assert sim.server_events()[0]["session"]["model"] == "gpt-realtime-mini"


def test_ids_are_deterministic_per_seed_and_connection_index() -> None:
    def first_session_ids(seed: int) -> list[str]:
        with Simulator(Scenario(seed=seed)) as sim:
            for _ in range(2):
                with connect_session(sim.ws_url) as client:
                    client.close()
            return [e["session"]["id"] for e in sim.server_events()]

    a = first_session_ids(7)
    assert a == first_session_ids(7)
    assert a[0] != a[1]
    assert a != first_session_ids(8)


def test_many_concurrent_connections_and_records() -> None:
    with Simulator() as sim:
        clients = [connect_session(sim.ws_url) for _ in range(12)]
        sim.wait_for_connections(12, timeout=5)
        assert sum(c.open for c in sim.connections) == 12
        for client in clients:
            client.close()
        assert [c.index for c in sim.connections] == list(range(12))


def test_wait_for_connections_times_out() -> None:
    with Simulator() as sim, pytest.raises(TimeoutError):
        sim.wait_for_connections(1, timeout=0.05)


def test_stop_is_idempotent_and_closes_open_connections() -> None:
    sim = Simulator().start()
    client = connect_session(sim.ws_url)
    sim.stop()
    sim.stop()
    code, _ = client.recv_close()
    assert code == 1001
    client.close()


def test_busy_port_restart_and_unstarted_use_raise_simulator_error() -> None:
    from realtime_actors.simulator.errors import SimulatorError

    with Simulator() as sim:
        port = int(sim.ws_url.split(":")[2].split("/")[0])
        with pytest.raises(SimulatorError):
            Simulator(port=port).start()
    with pytest.raises(SimulatorError):
        sim.start()
    with pytest.raises(SimulatorError):
        _ = Simulator().ws_url
