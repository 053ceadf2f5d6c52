"""Response flow: deferred ``response.create``, interrupts with truncation, failed responses."""

from __future__ import annotations

from typing import Any

import realtime_actors as rt
from realtime_actors.simulator import FaultPlan, Scenario, Simulator
from realtime_actors.simulator.scenario import ReplyContext
from tests.realtime.support import WAIT_S, Harness, frames_of, of_type, text_settings, until

LONG_REPLY = "Once upon a time there was a very patient simulated model."


def _long_first(ctx: ReplyContext) -> str:
    return LONG_REPLY if ctx.user_text == "first question" else f"You said: {ctx.user_text}"


def _server_errors(sim: Simulator) -> list[dict[str, Any]]:
    return [e for e in sim.server_events() if e["type"] == "error"]


def test_messages_during_a_response_defer_exactly_one_create(harness: Harness) -> None:
    # paced output (0.3 s per second of audio): the first response streams for ~0.8 s
    sim = harness.start_sim(Scenario(reply=_long_first, output_pacing=0.3))
    session = harness.run(rt.agent("Echo"))
    session.send_message("first question")
    first_audio = session.wait_for(rt.AudioEvent, WAIT_S)
    for text in ("second", "third", "fourth"):
        session.send_message(text)

    events = until(session, rt.AgentEndEvent)
    assert events[-1].status == "completed"
    assert events[-1].response_id == first_audio.response_id
    assert not of_type(events, rt.AgentStartEvent)  # nothing started while it was active
    events = until(session, rt.AgentEndEvent)
    assert [e.status for e in of_type(events, rt.AgentEndEvent)] == ["completed"]
    assert of_type(events, rt.TranscriptCompletedEvent)[-1].transcript == "You said: fourth"

    session.send_message("fifth")
    events = until(session, rt.AgentEndEvent)
    assert of_type(events, rt.TranscriptCompletedEvent)[-1].transcript == "You said: fifth"

    creates = frames_of(sim, "response.create")
    assert len(creates) == 3  # first, one deferred for the three overlapping, fifth
    assert all(set(f) == {"type", "event_id"} for f in creates)
    assert not _server_errors(sim)
    history = [(h.role, h.content_text) for h in session.history()]
    assert history == [
        ("user", "first question"),
        ("assistant", LONG_REPLY),
        ("user", "second"),
        ("user", "third"),
        ("user", "fourth"),
        ("assistant", "You said: fourth"),
        ("user", "fifth"),
        ("assistant", "You said: fifth"),
    ]


def _interrupt_run(harness: Harness,
                   tracker: rt.PlaybackTracker | None = None) -> tuple[rt.Session, Simulator]:
    sim = harness.start_sim(Scenario(reply=_long_first, output_pacing=1.0))
    return harness.run(rt.agent("Storyteller"), playback_tracker=tracker), sim


def _truncated(event: rt.SessionEvent) -> bool:
    return isinstance(event, rt.HistoryUpdatedEvent) and any(
        h.truncated_at_ms is not None for h in event.history)


def _events_after_interrupt(session: rt.Session, sim: Simulator) -> list[rt.SessionEvent]:
    """Events until the response ended and the history shows the truncation."""
    events = until(session, rt.AgentEndEvent)
    if not any(_truncated(e) for e in events):
        try:
            events += until(session, _truncated)
        except TimeoutError:
            seen = [e["type"] for e in sim.server_events()
                    if e["type"] in ("error", "conversation.item.truncated")]
            sent = [f["type"] for f in sim.client_frames()]
            raise AssertionError(f"no truncation in the history; server sent {seen}, "
                                 f"client sent {sent}") from None
    return events


def test_interrupt_cancels_and_truncates_at_the_delivered_audio(harness: Harness) -> None:
    session, sim = _interrupt_run(harness)
    session.send_message("first question")
    first = session.wait_for(rt.AudioEvent, WAIT_S)
    session.interrupt()
    events = [first, *_events_after_interrupt(session, sim)]

    end = of_type(events, rt.AgentEndEvent)[-1]
    assert end.status == "cancelled" and end.response_id == first.response_id
    interrupted = of_type(events, rt.AudioInterruptedEvent)
    assert len(interrupted) == 1
    cut = interrupted[0]
    assert (cut.item_id, cut.content_index, cut.reason) == (first.item_id, 0, "client")
    delivered_ms = sum(len(a.data) for a in of_type(events, rt.AudioEvent)
                       if a.item_id == first.item_id) // 48
    assert 0 <= cut.audio_end_ms <= delivered_ms

    assert len(frames_of(sim, "response.cancel")) == 1
    truncates = frames_of(sim, "conversation.item.truncate")
    assert [(t["item_id"], t["content_index"], t["audio_end_ms"]) for t in truncates] == [
        (first.item_id, 0, cut.audio_end_ms)
    ]
    assert not _server_errors(sim)
    assistant = next(h for h in session.history() if h.item_id == first.item_id)
    assert assistant.truncated_at_ms == cut.audio_end_ms

    # interrupting again with nothing playing sends nothing more
    session.interrupt()
    session.send_message("second")
    events = until(session, rt.AgentEndEvent)
    assert events[-1].status == "completed"
    assert len(frames_of(sim, "response.cancel")) == 1
    assert len(frames_of(sim, "conversation.item.truncate")) == 1


def test_interrupt_truncates_at_the_playback_tracker_position(harness: Harness) -> None:
    tracker = rt.PlaybackTracker()
    session, sim = _interrupt_run(harness, tracker)
    session.send_message("first question")
    first = session.wait_for(rt.AudioEvent, WAIT_S)
    tracker.on_play_bytes(first.item_id, 0, len(first.data) // 2)  # half the first chunk
    played = tracker.state().played_ms
    assert played > 0
    session.interrupt()
    events = _events_after_interrupt(session, sim)

    cut = of_type(events, rt.AudioInterruptedEvent)[0]
    assert cut.audio_end_ms == played
    truncate = frames_of(sim, "conversation.item.truncate")[0]
    assert (truncate["item_id"], truncate["audio_end_ms"]) == (first.item_id, played)
    assert of_type(events, rt.AgentEndEvent)[-1].status == "cancelled"


def test_failed_response_reports_error_and_session_recovers(harness: Harness) -> None:
    plan = FaultPlan(fail_responses="insufficient_quota", fail_response_count=1)
    harness.start_sim(Scenario(faults=plan))
    session = harness.run(rt.agent("Echo"), model_settings=text_settings())
    session.send_message("hello")
    events = until(session, rt.AgentEndEvent)
    start = of_type(events, rt.AgentStartEvent)[0]
    errors = of_type(events, rt.ErrorEvent)
    assert len(errors) == 1
    error = errors[0]
    assert (error.source, error.code, error.response_id) == (
        "response", "insufficient_quota", start.response_id)
    assert error.recoverable and "quota" in error.message
    assert events[-1].status == "failed"

    session.send_message("hello again")
    events = until(session, rt.AgentEndEvent)
    assert events[-1].status == "completed"
    assert not of_type(events, rt.ErrorEvent)
    assert of_type(events, rt.TranscriptCompletedEvent)[-1].transcript == (
        "You said: hello again")
