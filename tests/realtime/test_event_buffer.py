"""The ``Session.events()`` buffer end to end, with the default ``RunConfig``: bounded in bytes
while nobody reads it, complete for a reader from the start, and every gap reported."""

from __future__ import annotations

import logging
import time

import pytest

import realtime_actors as rt
from realtime_actors.session.event_sink import DEFAULT_UNREAD_BYTES
from realtime_actors.simulator import Scenario
from tests.realtime.support import WAIT_S, Harness, Listener, until

REPLY = "The quick brown fox jumps over the lazy dog. " * 4
"""About 8 s of output audio (390 KB of PCM16) and some 30 transcript deltas per turn."""


def long_replies() -> Scenario:
    return Scenario(reply=lambda ctx: REPLY)


def turn(session: rt.Session, listener: Listener, n: int) -> list[rt.SessionEvent]:
    """Send a message; every event the subscriber got until the response ended."""
    session.send_message(f"message {n}")
    seen: list[rt.SessionEvent] = []
    seen.append(listener.wait_for(rt.AgentEndEvent, collect=seen))
    return seen


def not_audio(events: list[rt.SessionEvent]) -> list[rt.SessionEvent]:
    return [e for e in events if not isinstance(e, (rt.AudioEvent, rt.EventsDroppedEvent))]


def audio_bytes(events: list[rt.SessionEvent]) -> int:
    return sum(len(e.data) for e in events if isinstance(e, rt.AudioEvent))


def test_an_unread_buffer_stays_within_its_bytes_through_minutes_of_audio(
    harness: Harness,
) -> None:
    """A server-style session (a subscriber takes the events, nobody calls ``events()``)
    with the default RunConfig: over 24 turns, 200 s of output audio, the buffer never holds
    more than 16 KiB, and the dropped events are counted."""
    listener = harness.listener()
    session = harness.run(rt.agent("Talker"), scenario=long_replies(),
                          subscribers=(listener.ref,), wait_connected=False)
    sink = session._tree.state.sink  # white box: what the buffer holds now
    total_audio = 0
    for n in range(24):
        total_audio += audio_bytes(turn(session, listener, n))
        assert sink.held_bytes <= DEFAULT_UNREAD_BYTES
    assert total_audio > 9_000_000  # well over 500 times the budget went through
    assert session.dropped_events > 24 * 60


def test_a_late_reader_gets_every_other_event_in_order_and_a_count_of_the_audio(
    harness: Harness,
) -> None:
    """Nobody reads during a turn; the first read afterwards yields every event that is not
    audio, in order (the very objects the subscriber got), and in place of the audio (none
    is kept before the first read) markers whose counts add up to it."""
    listener = harness.listener()
    session = harness.run(rt.agent("Talker"), scenario=long_replies(),
                          subscribers=(listener.ref,), wait_connected=False)
    told = turn(session, listener, 0)  # from the session's first event on
    read = until(session, rt.AgentEndEvent)
    assert not_audio(read) == not_audio(told)
    assert all(a is b for a, b in zip(not_audio(read), not_audio(told), strict=True))
    gaps = [e for e in read if isinstance(e, rt.EventsDroppedEvent)]
    assert not [e for e in read if isinstance(e, rt.AudioEvent)]
    all_audio = [e for e in told if isinstance(e, rt.AudioEvent)]
    assert gaps and session.dropped_events >= sum(g.count for g in gaps)
    assert sum(g.count for g in gaps) == sum(g.audio for g in gaps)  # only audio went
    assert sum(g.audio for g in gaps) == len(all_audio)
    assert sum(g.audio_bytes for g in gaps) == audio_bytes(all_audio)


def test_unread_bytes_none_keeps_the_audio_for_a_late_reader(harness: Harness) -> None:
    listener = harness.listener()
    session = harness.run(rt.agent("Talker"), scenario=long_replies(),
                          subscribers=(listener.ref,), wait_connected=False,
                          event_buffer_unread_bytes=None)
    told = turn(session, listener, 0)
    read = until(session, rt.AgentEndEvent)
    assert read == told and session.dropped_events == 0


def after_connected(events: list[rt.SessionEvent]) -> list[rt.SessionEvent]:
    """The events after the first ``connected`` one (the harness read those up to it)."""
    for i, event in enumerate(events):
        if isinstance(event, rt.ConnectionEvent) and event.status == "connected":
            return events[i + 1:]
    raise AssertionError("never connected")


def test_a_reader_from_the_start_gets_every_event_of_a_turn_larger_than_the_unread_budget(
    harness: Harness,
) -> None:
    """``events()`` used right after ``rt.run`` (the harness waits for the connection with
    ``wait_for``): a whole turn of audio, 20 times the unread budget, waits in the buffer
    and comes out complete."""
    listener = harness.listener()
    session = harness.run(rt.agent("Talker"), scenario=long_replies(),
                          subscribers=(listener.ref,))
    told = after_connected(turn(session, listener, 0))  # the turn is over before we read
    assert audio_bytes(told) > 20 * DEFAULT_UNREAD_BYTES
    read = until(session, rt.AgentEndEvent)
    assert read == told
    assert all(a is b for a, b in zip(read, told, strict=True))
    assert session.dropped_events == 0


def test_a_reader_that_falls_behind_the_byte_bound_loses_audio_first_and_is_told(
    harness: Harness, caplog: pytest.LogCaptureFixture,
) -> None:
    """With ``event_buffer_bytes=64 KiB``, a reader that waits out a whole turn: the oldest
    audio was dropped (a warning says so, an ``EventsDroppedEvent`` marks where), every other
    event is still there in order."""
    listener = harness.listener()
    with caplog.at_level(logging.WARNING, logger="realtime_actors.session.event_sink"):
        session = harness.run(rt.agent("Talker"), scenario=long_replies(),
                              subscribers=(listener.ref,), event_buffer_bytes=64 * 1024)
        told = after_connected(turn(session, listener, 0))
        read = until(session, rt.AgentEndEvent)
    assert not_audio(read) == not_audio(told)
    gaps = [e for e in read if isinstance(e, rt.EventsDroppedEvent)]
    assert gaps and all(g.audio == g.count for g in gaps)  # only audio went
    assert audio_bytes(read) + sum(g.audio_bytes for g in gaps) == audio_bytes(told)
    assert audio_bytes(read) <= 64 * 1024
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "buffer full" in warnings[0]


def answered(session: rt.Session, turns: int) -> bool:
    """Whether ``turns`` assistant answers are complete (asked of the session, not read from
    its events)."""
    done = [i for i in session.history() if i.role == "assistant" and i.status == "completed"]
    return len(done) >= turns


def wait_answered(session: rt.Session, turns: int = 1) -> None:
    deadline = time.monotonic() + WAIT_S
    while not answered(session, turns):
        assert time.monotonic() < deadline, "no answer"
        session.wait_ended(0.02)  # a short pause that also notices a session that ended


def test_without_subscribers_a_script_that_reads_late_misses_nothing(harness: Harness) -> None:
    """The script pattern: ``rt.run``, send, read later. With no subscriber the buffer is the
    only source of events, so it keeps the audio from the start."""
    session = harness.run(rt.agent("Talker"), scenario=long_replies(), wait_connected=False)
    session.send_message("hello")
    wait_answered(session)
    read = until(session, rt.AgentEndEvent)
    assert audio_bytes(read) > 20 * DEFAULT_UNREAD_BYTES
    assert not [e for e in read if isinstance(e, rt.EventsDroppedEvent)]
    assert session.dropped_events == 0


def test_subscribing_later_makes_the_unread_buffer_lean(harness: Harness) -> None:
    listener = harness.listener()
    session = harness.run(rt.agent("Talker"), scenario=long_replies(), wait_connected=False)
    session.subscribe(listener.ref)
    told = turn(session, listener, 0)
    read = until(session, rt.AgentEndEvent)
    assert not [e for e in read if isinstance(e, rt.AudioEvent)]
    gaps = [e for e in read if isinstance(e, rt.EventsDroppedEvent)]
    assert sum(g.audio_bytes for g in gaps) == audio_bytes(told)
    assert not_audio(read)[-len(not_audio(told)):] == not_audio(told)
