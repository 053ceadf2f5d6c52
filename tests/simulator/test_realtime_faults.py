"""Fault injection (FaultPlan), session expiry and dropping connections."""

from __future__ import annotations

import json

import pytest
import websocket

from realtime_actors.simulator import FaultPlan, Scenario, Simulator
from tests.simulator.realtime_client import RtClient, connect_session


def _lost(client: RtClient) -> None:
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        while True:
            client.recv_raw()


def test_drop_after_events_aborts_without_close_frame() -> None:
    with Simulator(Scenario(faults=FaultPlan(drop_after_events=2))) as sim:
        with connect_session(sim.ws_url) as client:
            client.configure()
            _lost(client)
        assert sim.wait_for_close(0, timeout=5) == 1006
        assert [e["type"] for e in sim.server_events()] == ["session.created", "session.updated"]


def test_drop_mid_response_after_first_delta() -> None:
    with Simulator(Scenario(faults=FaultPlan(drop_mid_response=True))) as sim:
        with connect_session(sim.ws_url) as client:
            client.configure(output_modalities=["text"])
            client.user_text("hi")
            client.send({"type": "response.create"})
            events = client.recv_until("response.output_text.delta")
            assert events[0]["type"] == "response.created"
            _lost(client)
        assert sim.wait_for_close(0, timeout=5) == 1006
        assert sim.server_events()[-1]["type"] == "response.output_text.delta"


@pytest.mark.parametrize("code", [1011, 1012])
def test_close_code_after_events(code: int) -> None:
    with Simulator(Scenario(faults=FaultPlan(close_code=code, close_after_events=2))) as sim:
        with connect_session(sim.ws_url) as client:
            client.configure()
            assert client.recv_close()[0] == code
        assert sim.wait_for_close(0, timeout=5) == code


def test_expire_after_events() -> None:
    with Simulator(Scenario(faults=FaultPlan(expire_after_events=1))) as sim:
        with RtClient(sim.ws_url) as client:
            client.expect("session.created")
            error = client.expect("error")["error"]
            assert error["code"] == "session_expired"
            assert error["message"] == "Your session hit the maximum duration of 60 minutes."
            assert client.recv_close() == (1001, error["message"])


def test_session_lifetime_expires_the_session() -> None:
    with Simulator(Scenario(session_seconds=0.2)) as sim:  # type: ignore[arg-type]
        with connect_session(sim.ws_url) as client:
            assert client.expect("error")["error"]["code"] == "session_expired"
            assert client.recv_close()[0] == 1001
        assert sim.wait_for_close(0, timeout=5) == 1001


def test_malformed_non_utf8_and_unknown_frames_then_session_continues() -> None:
    plan = FaultPlan(malformed_after_events=1, non_utf8_after_events=1,
                     unknown_event_after_events=1)
    with Simulator(Scenario(faults=plan)) as sim:
        with RtClient(sim.ws_url) as client:
            client.expect("session.created")
            raw = client.recv_raw()
            with pytest.raises(ValueError):
                json.loads(raw)
            opcode, data = client.ws.recv_data()
            assert opcode == websocket.ABNF.OPCODE_TEXT
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
            assert client.expect("simulator.unknown_event")["event_id"].startswith("event_")
            client.configure()


def test_fail_responses_for_the_first_n_responses() -> None:
    plan = FaultPlan(fail_responses="insufficient_quota", fail_response_count=1)
    with Simulator(Scenario(faults=plan)) as sim, connect_session(sim.ws_url) as client:
        client.configure(output_modalities=["text"])
        client.user_text("hi")
        client.send({"type": "response.create"})
        events = client.recv_until("response.done")
        assert [e["type"] for e in events] == ["response.created", "response.done"]
        done = events[-1]["response"]
        assert done["status"] == "failed" and done["usage"] is None and done["output"] == []
        error = done["status_details"]["error"]
        assert (error["type"], error["code"]) == ("insufficient_quota", "insufficient_quota")
        client.send({"type": "response.create"})
        assert client.recv_until("response.done")[-1]["response"]["status"] == "completed"


def test_fault_rejects_bad_failure_code() -> None:
    with pytest.raises(ValueError):
        FaultPlan(fail_responses="bogus")


def test_event_delay_keeps_order() -> None:
    with Simulator(Scenario(faults=FaultPlan(event_delay_s=0.005))) as sim:
        with connect_session(sim.ws_url) as client:
            client.configure(output_modalities=["text"])
            client.user_text("hi")
            client.send({"type": "response.create"})
            events = client.recv_until("rate_limits.updated")
            assert events[0]["type"] == "response.created"
            assert events[-2]["response"]["status"] == "completed"


def test_faults_per_connection_index_and_drop_connections() -> None:
    plan = lambda i: FaultPlan(close_code=1013) if i == 1 else None  # noqa: E731
    with Simulator(Scenario(faults=plan)) as sim:
        first = connect_session(sim.ws_url)
        second = RtClient(sim.ws_url)
        second.expect("session.created")
        assert second.recv_close()[0] == 1013
        second.close()
        third = connect_session(sim.ws_url)
        sim.wait_for_close(1, timeout=5)
        assert sim.drop_connections() == 2
        for client in (first, third):
            _lost(client)
            client.close()
        assert sim.wait_for_close(0, timeout=5) == 1006
        assert sim.wait_for_close(2, timeout=5) == 1006


def test_new_scenario_applies_to_new_connections() -> None:
    with Simulator(Scenario(reply=lambda ctx: "old")) as sim:
        with connect_session(sim.ws_url) as client:
            client.configure(output_modalities=["text"])
            sim.scenario = Scenario(reply=lambda ctx: "new", faults=FaultPlan(close_code=1011))
            client.user_text("x")
            client.send({"type": "response.create"})
            done = client.recv_until("response.done")[-1]["response"]
            assert done["output"][0]["content"][0]["text"] == "new"
        with RtClient(sim.ws_url) as client:
            client.expect("session.created")
            assert client.recv_close()[0] == 1011
