"""End-to-end tests of the raw probe (diagnostics.probe_text_turn) against the simulator and
real sockets on 127.0.0.1: success, handshake rejections, failed responses, error events,
closed, lost and refused connections, and the probe's deadline."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest

from realtime_actors.diagnostics import (
    DEFAULT_PROBE_PROMPT,
    INSUFFICIENT_QUOTA,
    MODEL_UNAVAILABLE,
    ProbeProof,
    format_probe_failure,
    probe_text_turn,
    skip_reason_for_error,
)
from realtime_actors.session.run_config import ModelConfig
from realtime_actors.simulator import FaultPlan, Scenario, Simulator
from tests.protocol.openai_schema import client_event_problems
from tests.realtime.support import API_KEY, WAIT_S, Harness


def _probe(sim: Simulator, timeout: float = WAIT_S, **config: object) -> ProbeProof:
    return probe_text_turn(
        model_config=ModelConfig(url=sim.ws_url, api_key=API_KEY, **config),  # type: ignore[arg-type]
        timeout=timeout,
    )


def _faulty(harness: Harness, **faults: object) -> Simulator:
    return harness.start_sim(Scenario(faults=FaultPlan(**faults)))  # type: ignore[arg-type]


def _created_session_id(sim: Simulator) -> str:
    created = sim.server_events()[0]
    assert created["type"] == "session.created"
    return str(created["session"]["id"])


def _assert_no_secret(proof: ProbeProof) -> None:
    assert API_KEY not in repr(proof)
    assert API_KEY not in format_probe_failure(proof)


def test_successful_probe_gives_a_complete_proof(harness: Harness) -> None:
    sim = harness.sim
    proof = _probe(sim)
    assert proof.ok and proof.error is None
    assert proof.model == "gpt-realtime"
    assert proof.session_id == _created_session_id(sim)
    assert proof.event_types[0] == "session.created"
    assert proof.event_types[-1] == "response.done"
    assert "response.created" in proof.event_types
    assert proof.output_text == f"You said: {DEFAULT_PROBE_PROMPT}"
    assert proof.response_id is not None and proof.response_id.startswith("resp_")
    assert proof.url == f"{sim.ws_url}?model=gpt-realtime"
    assert format_probe_failure(proof).startswith("realtime probe passed: model=gpt-realtime")
    assert skip_reason_for_error(proof) is None
    _assert_no_secret(proof)
    # the socket was closed normally by the probe
    assert sim.wait_for_close(0, WAIT_S) == 1000


def test_probe_sends_one_conformant_out_of_band_request(harness: Harness) -> None:
    sim = harness.sim
    proof = probe_text_turn(
        model_config=ModelConfig(url=sim.ws_url, api_key=API_KEY, model="gpt-realtime-mini",
                                 headers={"OpenAI-Project": "proj_test"}),
        timeout=WAIT_S,
        instructions="Say: probe answered",
    )
    assert proof.ok
    frames = sim.client_frames()
    assert [f["type"] for f in frames] == ["response.create"]
    assert client_event_problems(frames[0]) == []
    response = frames[0]["response"]
    assert response["conversation"] == "none"
    assert response["output_modalities"] == ["text"]
    assert response["input"][0]["content"][0]["text"] == "Say: probe answered"
    record = sim.connections[0]
    assert record.query == {"model": "gpt-realtime-mini"}
    headers = {name.lower(): value for name, value in record.headers.items()}
    assert headers["authorization"] == f"Bearer {API_KEY}"
    assert headers["openai-project"] == "proj_test"
    assert "openai-beta" not in headers


def test_rejected_key_gives_a_401_proof_without_the_key(harness: Harness) -> None:
    sim = harness.start_sim(Scenario(api_keys=frozenset({"sk-test-another-key-000000"})))
    proof = _probe(sim)
    assert not proof.ok
    assert proof.event_types == ()
    assert proof.session_id is None
    assert proof.error is not None
    assert (proof.error.status, proof.error.code) == (401, "invalid_api_key")
    assert "Incorrect API key provided" in proof.error.message
    assert skip_reason_for_error(proof.error) is None
    assert "error=HTTP 401 invalid_api_key" in format_probe_failure(proof)
    _assert_no_secret(proof)


def test_handshake_statuses_are_reported_and_classified(harness: Harness) -> None:
    unauthorized = _probe(_faulty(harness, handshake_status=401))
    assert unauthorized.error is not None and unauthorized.error.status == 401
    assert skip_reason_for_error(unauthorized) is None
    forbidden = _probe(_faulty(harness, handshake_status=403))
    assert forbidden.error is not None and forbidden.error.status == 403
    assert skip_reason_for_error(forbidden) == MODEL_UNAVAILABLE
    unavailable = _probe(_faulty(harness, handshake_status=503))
    assert unavailable.error is not None and unavailable.error.status == 503
    assert skip_reason_for_error(unavailable) == (
        "realtime_upstream_server_error (session_id=unknown)"
    )


def test_failed_response_with_server_error_gives_the_upstream_skip_reason(
    harness: Harness,
) -> None:
    sim = _faulty(harness, fail_responses="server_error")
    proof = _probe(sim)
    session_id = _created_session_id(sim)
    assert not proof.ok
    assert proof.session_id == session_id
    assert proof.error is not None
    assert (proof.error.code, proof.error.type) == ("server_error", "server_error")
    assert proof.error.session_id == session_id
    assert proof.error.raw is not None and proof.error.raw["type"] == "response.done"
    assert proof.event_types[0] == "session.created"
    assert proof.event_types[-1] == "response.done"
    assert skip_reason_for_error(proof.error) == (
        f"realtime_upstream_server_error (session_id={session_id})"
    )
    line = format_probe_failure(proof)
    assert line.startswith(f"realtime probe failed: model=gpt-realtime session={session_id} "
                           "error=server_error: The server had an error")


def test_failed_response_for_quota_and_rate_limit(harness: Harness) -> None:
    quota = _probe(_faulty(harness, fail_responses="insufficient_quota"))
    assert quota.error is not None and quota.error.code == "insufficient_quota"
    assert skip_reason_for_error(quota) == INSUFFICIENT_QUOTA
    limited = _probe(_faulty(harness, fail_responses="rate_limit_exceeded"))
    assert limited.error is not None and limited.error.code == "rate_limit_exceeded"
    assert skip_reason_for_error(limited) is None


def test_error_event_ends_the_probe(harness: Harness) -> None:
    sim = _faulty(harness, expire_after_events=1)
    proof = _probe(sim)
    assert not proof.ok
    assert proof.event_types[:2] == ("session.created", "error")
    assert proof.error is not None and proof.error.code == "session_expired"
    assert proof.error.session_id == _created_session_id(sim)
    assert skip_reason_for_error(proof) is None


def test_server_close_1011_is_an_upstream_failure(harness: Harness) -> None:
    sim = _faulty(harness, close_code=1011, close_after_events=1)
    proof = _probe(sim)
    assert proof.event_types == ("session.created",)
    assert proof.error is not None
    assert (proof.error.type, proof.error.close_code) == ("connection_closed", 1011)
    assert skip_reason_for_error(proof) == (
        f"realtime_upstream_server_error (session_id={_created_session_id(sim)})"
    )


def test_dropped_connection_is_reported_as_lost(harness: Harness) -> None:
    proof = _probe(_faulty(harness, drop_after_events=1))
    assert proof.event_types == ("session.created",)
    assert proof.error is not None
    assert (proof.error.type, proof.error.close_code) == ("connection_closed", 1006)
    assert "response.done" in proof.error.message
    assert skip_reason_for_error(proof) is None


@pytest.mark.parametrize("fault", ["malformed_after_events", "non_utf8_after_events"])
def test_undecodable_frame_is_logged_and_the_probe_goes_on(
    harness: Harness, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="realtime_actors.diagnostics.probe")
    proof = _probe(_faulty(harness, **{fault: 1}))
    assert proof.ok
    assert proof.event_types[0] == "session.created"
    assert proof.event_types[-1] == "response.done"
    assert any("not UTF-8 JSON" in r.getMessage() for r in caplog.records)


@pytest.fixture
def unused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound once, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_refused_connection_is_a_proof_not_an_exception(unused_port: int) -> None:
    url = f"ws://127.0.0.1:{unused_port}/v1/realtime"
    proof = probe_text_turn(model_config=ModelConfig(url=url, api_key=API_KEY), timeout=WAIT_S)
    assert not proof.ok
    assert proof.event_types == ()
    assert proof.error is not None and proof.error.type == "connection_error"
    assert "ConnectionRefusedError" in proof.error.message
    assert skip_reason_for_error(proof) is None


@pytest.fixture
def silent_listener() -> Iterator[str]:
    """A TCP listener that never accepts: connections queue in the backlog, no reply comes."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        yield f"ws://127.0.0.1:{sock.getsockname()[1]}/v1/realtime"


def test_handshake_that_never_completes_times_out(silent_listener: str) -> None:
    proof = probe_text_turn(model_config=ModelConfig(url=silent_listener, api_key=API_KEY),
                            timeout=0.3)
    assert not proof.ok
    assert proof.event_types == ()
    assert proof.error is not None and proof.error.type == "probe_timeout"
    assert "WebSocket handshake" in proof.error.message
    assert skip_reason_for_error(proof) is None


def test_slow_server_times_out_before_response_done(harness: Harness) -> None:
    # every server event is delayed 0.4 s: session.created arrives, but the ten-odd events of a
    # text response cannot all arrive within the 2 s deadline
    sim = _faulty(harness, event_delay_s=0.4)
    proof = _probe(sim, timeout=2.0)
    assert not proof.ok
    assert proof.event_types[0] == "session.created"
    assert "response.done" not in proof.event_types
    assert proof.session_id == _created_session_id(sim)
    assert proof.error is not None and proof.error.type == "probe_timeout"
    assert "no response.done" in proof.error.message
