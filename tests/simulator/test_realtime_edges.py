"""Edges of the simulator's servers: plain HTTP on the WebSocket port, a client resetting a
keep-alive REST connection, the server VAD idle timeout, the modalities refusal."""

from __future__ import annotations

import json
import logging
import socket
import struct
import threading

import pytest
import requests

from realtime_actors.simulator import Scenario, Simulator
from realtime_actors.simulator.rest_server import RestServer
from tests.protocol.openai_schema import server_event_problems
from tests.simulator.conftest import KEY
from tests.simulator.realtime_client import connect_session, types


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "HEAD"])
def test_other_methods_on_the_websocket_port_get_an_http_answer(method: str) -> None:
    with Simulator() as sim:
        url = sim.ws_url.replace("ws://", "http://")
        response = requests.request(method, url, json={"session": {}}, timeout=5)
        assert response.status_code == 404
        assert response.headers["Content-Type"] == "application/json"
        if method != "HEAD":
            assert response.json()["error"]["message"] == f"Invalid URL ({method} /v1/realtime)"
        with connect_session(sim.ws_url) as client:  # the port still speaks WebSocket
            assert client.configure(instructions="still here")["type"] == "session.updated"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.closed = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        if "closed the connection" in record.getMessage():
            self.closed.set()


def test_a_client_resetting_a_keep_alive_connection_is_one_log_line(
    server: RestServer, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = _Records()
    rest_logger = logging.getLogger("realtime_actors.simulator.rest_http")
    rest_logger.addHandler(handler)
    old_level = rest_logger.level
    rest_logger.setLevel(logging.INFO)
    try:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        sock.sendall(f"GET /v1/nothing HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n"
                     "Connection: keep-alive\r\n\r\n".encode())
        assert sock.recv(4096).startswith(b"HTTP/1.1 404")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # RST instead of FIN
        assert handler.closed.wait(5)
    finally:
        rest_logger.removeHandler(handler)
        rest_logger.setLevel(old_level)
    resets = [r for r in handler.records if "closed the connection" in r.getMessage()]
    assert len(resets) == 1 and resets[0].levelno == logging.INFO and resets[0].exc_info is None
    assert "Traceback" not in capsys.readouterr().err


def test_idle_timeout_triggers_a_commit_and_a_response() -> None:
    with Simulator(Scenario(idle_timeout_scale=0.01)) as sim:  # 5000 ms -> 50 ms
        with connect_session(sim.ws_url) as client:
            client.configure(output_modalities=["text"], audio={"input": {"turn_detection": {
                "type": "server_vad", "idle_timeout_ms": 5000}}})
            events = client.recv_until("response.done")
            assert types(events)[:5] == [
                "input_audio_buffer.timeout_triggered", "input_audio_buffer.committed",
                "conversation.item.added", "conversation.item.done", "response.created"]
            timeout, committed = events[0], events[1]
            assert timeout["item_id"] == committed["item_id"]
            assert timeout["audio_start_ms"] == timeout["audio_end_ms"] == 0
            assert events[-1]["response"]["status"] == "completed"
            client.recv_until("input_audio_buffer.timeout_triggered")  # re-armed after it
            client.recv_until("rate_limits.updated")
            client.send({"type": "session.update", "session": {"type": "realtime", "audio": {
                "input": {"turn_detection": {"type": "server_vad", "idle_timeout_ms": None}}}}})
            client.recv_until("session.updated")
        assert [p for e in sim.server_events() for p in server_event_problems(e)] == []


def test_idle_timeout_is_not_triggered_without_it() -> None:
    with Simulator(Scenario(idle_timeout_scale=0.01)) as sim:
        with connect_session(sim.ws_url) as client:
            client.configure(output_modalities=["text"])
            client.user_text("hi")
            client.send({"type": "response.create"})
            client.recv_until("rate_limits.updated")
            client.configure(instructions="a round trip after the response")
        kinds = [e["type"] for e in sim.server_events()]
        assert "input_audio_buffer.timeout_triggered" not in kinds


def test_text_and_audio_together_are_refused_with_an_accurate_message() -> None:
    with Simulator() as sim, connect_session(sim.ws_url) as client:
        client.send({"type": "session.update", "session": {
            "type": "realtime", "output_modalities": ["text", "audio"]}})
        error = client.expect("error")["error"]
        assert (error["code"], error["param"]) == ("invalid_value", "session.output_modalities")
        assert "['audio'] or ['text']" in error["message"]
        assert "'audio', 'text'" not in error["message"]
        assert json.dumps(["text", "audio"]).replace('"', "'") in error["message"]
