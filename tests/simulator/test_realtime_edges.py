"""Edges of the simulator's servers: plain HTTP on the WebSocket port, a client resetting a
keep-alive REST connection, the server VAD idle timeout, the modalities refusal."""

from __future__ import annotations

import json
import logging
import socket
import struct
from collections.abc import Iterator

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

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def sim_logs() -> Iterator[_Records]:
    """Records of the simulator's loggers at INFO and above."""
    handler = _Records()
    sim_logger = logging.getLogger("realtime_actors.simulator")
    old_level = sim_logger.level
    sim_logger.addHandler(handler)
    sim_logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        sim_logger.removeHandler(handler)
        sim_logger.setLevel(old_level)


def _reset(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # RST instead of FIN


@pytest.mark.parametrize("where", ["between requests", "mid-body"])
def test_a_client_resetting_a_keep_alive_connection_logs_no_traceback(
    server: RestServer, sim_logs: _Records, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    head = f"Host: x\r\nAuthorization: Bearer {KEY}\r\nConnection: keep-alive\r\n"
    sock.sendall(f"GET /v1/nothing HTTP/1.1\r\n{head}\r\n".encode())
    assert sock.recv(4096).startswith(b"HTTP/1.1 404")
    if where == "mid-body":
        sock.sendall(f"POST /v1/audio/speech HTTP/1.1\r\n{head}Content-Length: 100\r\n\r\n"
                     "{}".encode())
    _reset(sock)
    server.stop()  # joins the connection's thread: everything it logs is logged now
    assert "Traceback" not in capsys.readouterr().err
    assert [r for r in sim_logs.records if r.levelno > logging.INFO or r.exc_info] == []
    if where == "mid-body":  # a reset or a cut-short body, depending on when the RST lands
        assert [r.getMessage() for r in sim_logs.records if "abandoned" in r.getMessage()]


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


def test_handle_error_is_one_line_for_a_reset_and_a_traceback_otherwise(
    server: RestServer, sim_logs: _Records, capsys: pytest.CaptureFixture[str]
) -> None:
    httpd = server._httpd  # the stdlib calls handle_error inside its own except block
    assert httpd is not None
    for exc in (ConnectionResetError(104, "reset"), ValueError("a bug")):
        try:
            raise exc
        except Exception:
            httpd.handle_error(None, ("127.0.0.1", 9))
    reset, bug = sim_logs.records
    assert (reset.levelno, reset.exc_info) == (logging.INFO, None)
    assert "closed the connection (ConnectionResetError)" in reset.getMessage()
    assert bug.levelno == logging.ERROR and bug.exc_info is not None
    assert "Traceback" not in capsys.readouterr().err  # logged, not printed
