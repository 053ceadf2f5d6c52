"""A first connection that cannot be made: retried by default, one clear end with
``RunConfig(retry_first_connection=False)``; rejected handshakes read without headers."""

from __future__ import annotations

import logging
import socket

import pytest

import realtime_actors as rt
from realtime_actors.simulator import Scenario, Simulator
from realtime_actors.transport.handshake_errors import describe_rejection

WAIT_S = 10.0


def _closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        return placeholder.getsockname()[1]


def _events_until_end(session: rt.Session) -> list[rt.SessionEvent]:
    events = list(session.events(timeout=WAIT_S))
    assert isinstance(events[-1], rt.SessionEndedEvent), events
    return events


def test_a_refused_first_connection_ends_the_session_at_once_when_asked() -> None:
    config = rt.RunConfig(retry_first_connection=False)
    session = rt.run(rt.agent("Nobody"), config=config, model_config=rt.ModelConfig(
        url=f"ws://127.0.0.1:{_closed_port()}/v1/realtime", api_key="sk-local"))
    try:
        events = _events_until_end(session)
    finally:
        session.close()
    assert not [e for e in events if isinstance(e, rt.ConnectionEvent)
                and e.status == "reconnecting"]
    errors = [e for e in events if isinstance(e, rt.ErrorEvent)]
    assert [(e.code, e.recoverable) for e in errors] == [("connect_failed", False)]
    assert errors[0].message.startswith("could not connect: ")
    assert "Connection refused" in errors[0].message
    assert events[-1].reason == errors[0].message
    assert session.wait_ended(WAIT_S)


def test_a_wrong_key_is_one_clean_reason_without_response_headers() -> None:
    with Simulator(Scenario(api_keys=frozenset({"sk-right"}))) as sim:
        session = rt.run(rt.agent("Nobody"),
                         config=rt.RunConfig(retry_first_connection=False),
                         model_config=rt.ModelConfig(url=sim.ws_url, api_key="sk-wrong"))
        try:
            events = _events_until_end(session)
        finally:
            session.close()
    errors = [e for e in events if isinstance(e, rt.ErrorEvent)]
    assert [e.code for e in errors] == ["http_401"]
    closed = [e for e in events if isinstance(e, rt.ConnectionEvent)
              and e.status == "disconnected"]
    assert closed[0].reason is not None
    assert closed[0].reason.startswith("handshake failed: HTTP 401 invalid_api_key: "
                                       "Incorrect API key provided")
    assert "content-type" not in closed[0].reason.lower()


def test_json_and_plain_rejections_read_as_one_line() -> None:
    body = b'{"error": {"message": "Bad key", "type": "invalid_request_error", ' \
           b'"code": "invalid_api_key", "param": null}}'
    rejection = describe_rejection(401, "Unauthorized", body)
    assert rejection.summary() == "HTTP 401 invalid_api_key: Bad key"
    assert (rejection.code, rejection.type, rejection.param) == (
        "invalid_api_key", "invalid_request_error", None)
    plain = describe_rejection(502, "Bad Gateway", b"<html>\n upstream   down </html>")
    assert plain.summary() == ("the WebSocket handshake was answered with HTTP 502 Bad Gateway:"
                               " <html> upstream down </html>")
    assert describe_rejection(403, None, b"x" * 500).message.endswith("x" * 200)


def test_a_failed_probe_is_logged_at_info_only(caplog: pytest.LogCaptureFixture) -> None:
    url = f"ws://127.0.0.1:{_closed_port()}/v1/realtime"
    with caplog.at_level(logging.INFO, logger="realtime_actors.diagnostics.probe"):
        proof = rt.probe_text_turn(model_config=rt.ModelConfig(url=url, api_key="sk-local"),
                                   timeout=5)
    assert not proof.ok and proof.error is not None
    records = [r for r in caplog.records if r.name == "realtime_actors.diagnostics.probe"]
    assert records and all(r.levelno == logging.INFO for r in records)
