"""Faults on the server side: malformed JSON, invalid UTF-8, unknown event types, a lost
connection."""

from __future__ import annotations

import pykka
import pytest

import realtime_actors as rt
from realtime_actors.protocol.server_events_base import UnknownServerEvent
from realtime_actors.simulator import FaultPlan, Scenario
from tests.realtime.support import WAIT_S, Harness, of_type, text_settings, until


def _is_unknown(event: rt.SessionEvent) -> bool:
    return isinstance(event, rt.RawModelEvent) and isinstance(event.event, UnknownServerEvent)


def test_malformed_and_unknown_frames_are_reported_and_not_fatal(harness: Harness) -> None:
    # right after session.created: one non-JSON frame, one invalid UTF-8 frame, one event
    # of an unknown type (in that order)
    plan = FaultPlan(malformed_after_events=1, non_utf8_after_events=1,
                     unknown_event_after_events=1)
    harness.start_sim(Scenario(faults=plan))
    session = harness.run(rt.agent("Echo"), model_settings=text_settings(), raw_events=True)
    events = until(session, _is_unknown)

    errors = of_type(events, rt.ErrorEvent)
    assert [(e.source, e.code, e.recoverable) for e in errors] == [
        ("protocol", "malformed_frame", True),
        ("protocol", "malformed_frame", True),
    ]
    assert "not JSON" in errors[0].message
    assert "UTF-8" in errors[1].message or "utf-8" in errors[1].message.lower()
    assert events[-1].event.type == "simulator.unknown_event"
    raws = of_type(events, rt.RawModelEvent)
    assert [r.event.type for r in raws] == ["session.created", "simulator.unknown_event"]
    assert not of_type(events, rt.SessionEndedEvent)

    session.send_message("still fine?")
    events = until(session, rt.AgentEndEvent)
    assert events[-1].status == "completed"
    assert of_type(events, rt.TranscriptCompletedEvent)[-1].transcript == "You said: still fine?"
    assert not of_type(events, rt.ErrorEvent)
    assert session.is_alive()


def test_raw_events_carry_every_server_event_once(harness: Harness) -> None:
    session = harness.run(rt.agent("Echo"), model_settings=text_settings(), raw_events=True)
    session.send_message("count me")
    events = until(session, rt.AgentEndEvent)
    # rate_limits.updated follows response.done: wait for it so the counts line up
    events += until(session, lambda e: isinstance(e, rt.RawModelEvent)
                    and e.event.type == "rate_limits.updated")
    raw_ids = [r.event.event_id for r in of_type(events, rt.RawModelEvent)]
    server_ids = [e["event_id"] for e in harness.sim.server_events()]
    assert raw_ids == server_ids


@pytest.mark.parametrize(
    ("plan", "code"),
    [
        pytest.param(FaultPlan(close_code=1011, close_after_events=2), "close_1011",
                     id="server-close-1011"),
        pytest.param(FaultPlan(drop_after_events=2), "close_1006", id="dropped-tcp"),
    ],
)
def test_connection_lost_without_reconnect_ends_the_session_and_releases_everything(
    harness: Harness, plan: FaultPlan, code: str
) -> None:
    harness.start_sim(Scenario(faults=plan))
    session = harness.run(rt.agent("Echo"), model_settings=text_settings(),
                          reconnect=rt.ReconnectPolicy(enabled=False))
    events = until(session, rt.SessionEndedEvent)
    errors = of_type(events, rt.ErrorEvent)
    assert [(e.source, e.code, e.recoverable) for e in errors] == [("connection", code, False)]
    statuses = [e.status for e in of_type(events, rt.ConnectionEvent)]
    assert statuses == ["disconnected"]
    assert not session.is_alive()
    assert session.wait_ended(WAIT_S)  # the supervisor stops once its children have
    # the connection actor is stopped too (the autouse leak check would also catch it)
    assert pykka.ActorRegistry.get_all() == []
    with pytest.raises(rt.SessionClosedError):
        session.send_message("hello?")
