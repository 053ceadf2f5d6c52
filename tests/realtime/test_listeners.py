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


def test_a_pooled_subscriber_gets_every_event_of_an_audio_reply_in_order(harness: Harness) -> None:
    """A ``PooledActor`` subscriber may be run by the I/O thread (audio deltas) or by a pool
    worker (everything else); either way it gets the session's events once each, in the
    order a thread-backed subscriber of the same session gets them."""
    import queue

    got: queue.Queue[object] = queue.Queue()

    class PooledListener(rt.PooledActor):
        def on_receive(self, message: object) -> None:
            got.put(message)

    pooled = PooledListener.start()
    threaded = harness.listener()
    session = harness.run(rt.agent("Speaker"), subscribers=(pooled, threaded.ref))
    for text in ("first", "second"):
        session.send_message(text)
        until(session, rt.AgentEndEvent)
    session.close()
    assert session.wait_ended(10)
    seen: list[object] = []
    while not seen or not isinstance(seen[-1], rt.SessionEndedEvent):
        seen.append(got.get(timeout=10))
    reference: list[object] = []
    reference.append(threaded.wait_for(rt.SessionEndedEvent, collect=reference))
    assert of_type(seen, rt.AudioEvent) and len(of_type(seen, rt.AgentEndEvent)) == 2
    assert [id(e) for e in seen] == [id(e) for e in reference]
    pooled.stop(block=True, timeout=10)
