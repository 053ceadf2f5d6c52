"""A hostile byte stream through a running session: frames the server must not send, an
oversize message, a half-open stall and a slow trickle. Each violation is a protocol error
(``ErrorEvent(source="protocol")``, the connection closed with its code), then the reconnect
rules; the conversation goes on."""

from __future__ import annotations

import struct
from typing import Any

import pytest

import realtime_actors as rt
from realtime_actors.simulator import Scenario
from tests.chaos.proxy import ChaosProxy, ConnectionPlan, Fault, Trickle, event_is
from tests.realtime.support import Harness, of_type, text_settings, until

FAST = rt.ReconnectPolicy(initial_delay_s=0.02, max_delay_s=0.1)


def frame(payload: bytes, opcode: int = 0x1, *, mask: bytes | None = None) -> bytes:
    """A server frame (masked if ``mask`` is given: servers must not do that)."""
    n = len(payload)
    header = bytes([0x80 | opcode])
    bit = 0x80 if mask else 0
    if n < 126:
        header += bytes([bit | n])
    elif n < 65536:
        header += bytes([bit | 126]) + struct.pack("!H", n)
    else:
        header += bytes([bit | 127]) + struct.pack("!Q", n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        header += mask
    return header + payload


def _session(harness: Harness, chaos: list[ChaosProxy], first: ConnectionPlan,
             **model: Any) -> rt.Session:
    sim = harness.start_sim(Scenario())
    proxy, url = ChaosProxy.for_ws_url(sim.ws_url, lambda i: first if i == 0 else None)
    chaos.append(proxy)
    config = rt.RunConfig(model_settings=text_settings(), reconnect=FAST, raw_events=False)
    session = rt.run(rt.agent("Echo"), config=config,
                     model_config=rt.ModelConfig(url=url, api_key="sk-hostile", **model))
    harness.sessions.append(session)
    return session


def _answered(text: str) -> Any:
    return lambda e: (isinstance(e, rt.TranscriptCompletedEvent) and e.role == "assistant"
                      and f"You said: {text}" in e.transcript)


@pytest.mark.parametrize(
    ("wire", "code", "close_code"),
    [
        pytest.param(frame(b'{"type":"x"}', mask=b"\x01\x02\x03\x04"), "protocol_violation",
                     1002, id="masked-frame"),
        pytest.param(frame(b"\x03\xed", opcode=0x8), "protocol_violation", 1002,
                     id="close-1005"),
        pytest.param(frame(b"\x03\xee", opcode=0x8), "protocol_violation", 1002,
                     id="close-1006"),
        pytest.param(frame(b"\x03\xf7", opcode=0x8), "protocol_violation", 1002,
                     id="close-1015"),
        pytest.param(frame(b"\x03\xe8\xc3\x28", opcode=0x8), "protocol_violation", 1007,
                     id="close-reason-not-utf8"),
        pytest.param(frame(b'{"type":"x","pad":"' + b"y" * 70_000 + b'"}'), "message_too_big",
                     1009, id="oversize"),
    ],
)
def test_a_protocol_violation_is_an_error_event_then_a_reconnect(
    harness: Harness, chaos: list[ChaosProxy], wire: bytes, code: str, close_code: int
) -> None:
    hostile = Fault("down", event_is("session.updated"), action="inject", inject=wire)
    session = _session(harness, chaos, ConnectionPlan(faults=(hostile,)),
                       max_message_bytes=64 * 1024)
    events = until(session, lambda e: isinstance(e, rt.ConnectionEvent)
                   and e.status == "connected" and e.attempt == 1)
    [error] = [e for e in of_type(events, rt.ErrorEvent) if e.source == "protocol"]
    assert error.code == code and error.recoverable
    assert [e.status for e in of_type(events, rt.ConnectionEvent)] == [
        "connecting", "connected", "reconnecting", "connected"]
    assert f"code {close_code}" in error.message  # the close frame we sent carried it
    session.send_message("still there?")
    until(session, _answered("still there?"))


def test_a_half_open_stall_is_noticed_by_the_keepalive_and_the_turn_answered(
    harness: Harness, chaos: list[ChaosProxy]
) -> None:
    """The connection goes silent mid-answer with both sockets open (no RST, no FIN): the
    keepalive gives it up, and the redone answer arrives on a new connection."""
    stall = Fault("down", event_is("response.output_text.delta"), action="stall")
    session = _session(harness, chaos, ConnectionPlan(faults=(stall,)),
                       ping_interval_s=0.1, ping_timeout_s=0.3)
    session.wait_for(lambda e: isinstance(e, rt.ConnectionEvent) and e.status == "connected",
                     10)
    session.send_message("are you there")
    events = until(session, _answered("are you there"))
    events += until(session, rt.AgentEndEvent)
    reconnecting = [e for e in of_type(events, rt.ConnectionEvent) if e.status == "reconnecting"]
    assert len(reconnecting) == 1 and "keepalive" in (reconnecting[0].reason or "")
    assert [e.status for e in of_type(events, rt.AgentEndEvent)] == ["interrupted", "completed"]


def test_a_slow_trickle_delivers_everything(harness: Harness, chaos: list[ChaosProxy]) -> None:
    """Server bytes arrive a few at a time (frames split at every offset): nothing is lost,
    nothing is reported as an error."""
    session = _session(harness, chaos, ConnectionPlan(trickle=Trickle("down", chunk=5)))
    session.wait_for(lambda e: isinstance(e, rt.ConnectionEvent) and e.status == "connected",
                     10)
    session.send_message("slowly now")
    events = until(session, _answered("slowly now"), timeout=30)
    assert not of_type(events, rt.ErrorEvent)
    text = "".join(e.delta for e in of_type(events, rt.TextDeltaEvent))
    assert text == "You said: slowly now"
