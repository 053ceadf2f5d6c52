"""The simulator's WebSocket server never logs the credentials a client sends."""

from __future__ import annotations

import logging

import pytest
import websocket

from realtime_actors.simulator import Simulator

SECRET = "sk-wire-log-secret-0123456789"


def test_debug_wire_logs_mask_the_authorization_header(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG), Simulator() as sim:
        ws = websocket.create_connection(f"{sim.ws_url}?model=gpt-realtime", timeout=5,
                                         header=[f"Authorization: Bearer {SECRET}"])
        try:
            assert '"session.created"' in ws.recv()
        finally:
            ws.close()
    wire = [r.getMessage() for r in caplog.records
            if r.name.startswith("realtime_actors.simulator.wire")]
    assert any("Authorization: [redacted]" in m for m in wire)  # the header was logged, masked
    assert all(SECRET not in r.getMessage() for r in caplog.records)
