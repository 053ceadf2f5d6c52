"""Subscribers (pykka actors) of a session: dead ones are dropped, subscribing is idempotent."""

from __future__ import annotations

import logging

import pytest

import realtime_actors as rt
from tests.realtime.support import Harness, Listener, of_type, text_settings, until


def _turn(session: rt.Session, text: str) -> None:
    session.send_message(text)
    events = until(session, rt.AgentEndEvent)
    assert events[-1].status == "completed"


def _settled(session: rt.Session, listener: Listener) -> list[object]:
    """Everything the session told ``listener`` so far: a call on the session is answered
    after the session actor finished telling the events it had already emitted, and the
    marker then follows them in the collector's inbox."""
    session.history()
    return listener.drain_until_marker()


def test_dead_subscriber_is_dropped_and_the_live_one_keeps_getting_events(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    live, doomed = harness.listener(), harness.listener()
    session = harness.run(rt.agent("Echo"), model_settings=text_settings(),
                          subscribers=(live.ref, doomed.ref))
    _turn(session, "one")
    assert of_type(_settled(session, doomed), rt.AgentEndEvent)
    doomed.stop()

    with caplog.at_level(logging.WARNING, logger="realtime_actors"):
        _turn(session, "two")
        _turn(session, "three")
    assert session.is_alive()
    received = _settled(session, live)
    assert len(of_type(received, rt.AgentEndEvent)) == 3
    transcripts = [e.transcript for e in of_type(received, rt.TranscriptCompletedEvent)]
    assert transcripts == ["You said: one", "You said: two", "You said: three"]
    assert sum("dead subscriber" in r.getMessage() for r in caplog.records) == 1


def test_subscribe_and_unsubscribe_are_idempotent(harness: Harness) -> None:
    listener = harness.listener()
    session = harness.run(rt.agent("Echo"), model_settings=text_settings())
    session.subscribe(listener.ref)
    session.subscribe(listener.ref)
    _turn(session, "once")
    received = _settled(session, listener)
    assert len(of_type(received, rt.AgentStartEvent)) == 1
    assert len(of_type(received, rt.AgentEndEvent)) == 1
    assert len(of_type(received, rt.TranscriptCompletedEvent)) == 1

    session.unsubscribe(listener.ref)
    session.unsubscribe(listener.ref)
    _turn(session, "unheard")
    assert _settled(session, listener) == []

    session.subscribe(listener.ref)
    _turn(session, "heard again")
    received = _settled(session, listener)
    assert [e.transcript for e in of_type(received, rt.TranscriptCompletedEvent)] == [
        "You said: heard again"
    ]


def test_subscribe_rejects_what_is_not_an_actor_ref(harness: Harness) -> None:
    session = harness.run(rt.agent("Echo"), model_settings=text_settings())
    with pytest.raises(rt.ConfigError, match="ActorRef"):
        session.subscribe(object())  # type: ignore[arg-type]
    _turn(session, "still subscribed to nothing")
