"""The ``Session.events()`` buffer on its own: its byte and count bounds, what it drops first,
how a reader learns of a gap, and what it costs while nobody reads."""

from __future__ import annotations

import gc
import logging
import tracemalloc

import pytest

import realtime_actors as rt
from realtime_actors.protocol.parser import parse_server_event
from realtime_actors.session.core.history import HistoryItem
from realtime_actors.session.event_sink import DEFAULT_UNREAD_BYTES, EventSink
from realtime_actors.session.event_size import AUDIO_OVERHEAD, EVENT_OVERHEAD, event_size

PCM = bytes(1920)  # 40 ms of PCM16 at 24 kHz, the size of a typical audio delta


def audio(n: int, pcm: bytes = PCM) -> rt.AudioEvent:
    # ids built at run time, as parsed frames are (literals would be shared constants)
    return rt.AudioEvent(data=bytes(pcm), item_id=f"item_{n:020d}", content_index=0,
                         response_id=f"resp_{n // 100:020d}")


def text(n: int) -> rt.TranscriptDeltaEvent:
    return rt.TranscriptDeltaEvent(item_id=f"item_{n:020d}", delta=f"word{n} ",
                                   role="assistant", response_id=f"resp_{n:020d}")


def drain(sink: EventSink) -> list[rt.SessionEvent]:
    out: list[rt.SessionEvent] = []
    while (event := sink.get(0)) is not None:
        out.append(event)
    return out


def markers(events: list[rt.SessionEvent]) -> list[rt.EventsDroppedEvent]:
    return [e for e in events if isinstance(e, rt.EventsDroppedEvent)]


def test_a_long_audio_stream_nobody_reads_costs_at_most_the_unread_budget() -> None:
    """5,000 audio deltas (9.6 MB of PCM, 200 s at 24 kHz) with a text event every 500, and
    no reader: the memory the buffer keeps, measured by tracemalloc, is the text events'
    (no audio is kept before the first read); a reader arriving afterwards gets every text
    event, in order, with a marker for each run of audio: its count and bytes."""
    sink = EventSink(10_000, subscribed=True)
    texts = []
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        peak_held = 0
        for n in range(5_000):
            if n % 500 == 0:
                texts.append(text(n))
                sink.put(texts[-1])
            sink.put(audio(n))
            peak_held = max(peak_held, sink.held_bytes)
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert peak_held == sum(event_size(t) for t in texts) <= DEFAULT_UNREAD_BYTES
    # + the deques' blocks, counters, the list above (and slack for another thread's bytes)
    assert kept <= peak_held + 8192
    assert sink.dropped == 5_000

    run = rt.EventsDroppedEvent(count=500, audio=500, audio_bytes=500 * 1920)
    assert drain(sink) == [e for t in texts for e in (t, run)]


def test_text_events_nobody_reads_are_held_to_the_unread_budget_newest_kept() -> None:
    sink = EventSink(10_000, subscribed=True)
    texts = [text(n) for n in range(1_000)]
    for event in texts:
        sink.put(event)
    assert sink.held_bytes <= DEFAULT_UNREAD_BYTES
    kept = sink.held_bytes // event_size(texts[-1])
    assert kept > 40  # about 45 transcript deltas fit in 16 KiB
    assert drain(sink) == [rt.EventsDroppedEvent(count=1_000 - kept), *texts[-kept:]]


def test_unread_bytes_none_keeps_audio_from_the_start() -> None:
    sink = EventSink(10_000, unread_bytes=None, subscribed=True)
    sent = [audio(n) for n in range(100)]
    for event in sent:
        sink.put(event)
    assert drain(sink) == sent and sink.dropped == 0


def test_without_subscribers_a_late_reader_gets_every_event() -> None:
    """The buffer is the only source of events: it keeps audio from the start."""
    sink = EventSink(10_000)
    sent = [text(n) if n % 10 == 0 else audio(n) for n in range(1_000)]  # 1.7 MB of PCM
    for event in sent:
        sink.put(event)
    assert drain(sink) == sent and sink.dropped == 0


def test_a_subscriber_added_before_the_first_read_drops_the_audio_held_so_far() -> None:
    sink = EventSink(10_000)
    t0, a1, a2, t3 = text(0), audio(1), audio(2), text(3)
    for event in (t0, a1, a2, t3):
        sink.put(event)
    sink.subscriber_added()
    assert sink.held_bytes == event_size(t0) + event_size(t3)
    sink.put(audio(4))  # not kept either
    assert drain(sink) == [t0, rt.EventsDroppedEvent(count=2, audio=2, audio_bytes=2 * 1920),
                           t3, rt.EventsDroppedEvent(count=1, audio=1, audio_bytes=1920)]


def test_a_subscriber_added_after_the_first_read_changes_nothing() -> None:
    sink = EventSink(10_000)
    sink.get(0)
    sink.subscriber_added()
    sent = [audio(n) for n in range(100)]
    for event in sent:
        sink.put(event)
    assert drain(sink) == sent


def test_a_reader_from_the_start_gets_every_event_beyond_the_unread_budget() -> None:
    sink = EventSink(10_000, subscribed=True)
    assert sink.get(0) is None  # the first read: the larger budget applies from now on
    sent: list[rt.SessionEvent] = []
    for n in range(3_000):  # 5.8 MB of PCM, under the default 8 MiB
        sent.append(text(n) if n % 10 == 0 else audio(n))
        sink.put(sent[-1])
    assert drain(sink) == sent
    assert sink.dropped == 0


def test_over_the_count_bound_the_oldest_audio_goes_before_older_text() -> None:
    sink = EventSink(4)
    sink.get(0)
    t0, a1, a2, t3, t4, t5, t6 = text(0), audio(1), audio(2), text(3), text(4), text(5), text(6)
    for event in (t0, a1, a2, t3, t4):
        sink.put(event)  # 5 > 4: a1 goes, t0 stays
    sink.put(t5)  # a2 goes
    sink.put(t6)  # no audio left: t0 goes
    assert sink.dropped == 3
    assert drain(sink) == [rt.EventsDroppedEvent(count=3, audio=2, audio_bytes=2 * 1920),
                           t3, t4, t5, t6]


def test_each_gap_is_marked_where_it_is_with_its_own_counts() -> None:
    # room for t0 and three audio events, not for a text event more
    sink = EventSink(100, max_bytes=event_size(text(0)) + 3 * event_size(audio(1)) + 100)
    sink.get(0)
    sink.put(t0 := text(0))
    for n in range(1, 6):
        sink.put(audio(n))  # over the budget from the 4th: a1, a2 dropped
    sink.put(t6 := text(6))  # a3 dropped
    small = audio(7, bytes(100))
    sink.put(small)
    events = drain(sink)
    assert events == [t0, rt.EventsDroppedEvent(count=3, audio=3, audio_bytes=3 * 1920),
                      audio(4), audio(5), t6, small]


def test_an_audio_event_larger_than_the_budget_is_dropped_at_once_and_reported() -> None:
    sink = EventSink(100, max_bytes=1000)
    sink.get(0)
    sink.put(audio(0))  # 2,380 bytes > 1,000: dropped at once
    assert sink.held_bytes == 0 and sink.dropped == 1
    # a gap after the last event is reported at once, not only before the next event
    assert drain(sink) == [rt.EventsDroppedEvent(count=1, audio=1, audio_bytes=1920)]
    sink.put(t1 := text(1))
    assert sink.get_batch(10, 0) == [t1]


def test_the_newest_event_that_is_not_audio_is_kept_so_the_end_always_arrives() -> None:
    sink = EventSink(100, unread_bytes=0, subscribed=True)
    sink.put(t0 := text(0))
    assert sink.dropped == 0 and sink.held_bytes == event_size(t0)  # alone, over: kept
    ended = rt.SessionEndedEvent(reason="closed")
    sink.put(ended)
    assert sink.ended
    assert sink.held_bytes == event_size(ended)  # t0 really gone, not just skipped
    assert drain(sink) == [rt.EventsDroppedEvent(count=1), ended]


def test_drops_while_reading_warn_once_per_thousand(caplog: pytest.LogCaptureFixture) -> None:
    sink = EventSink(1)
    sink.get(0)
    with caplog.at_level(logging.DEBUG, logger="realtime_actors.session.event_sink"):
        for n in range(1_502):
            sink.put(text(n))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and all("buffer full" in r.getMessage() for r in warnings)
    assert sink.dropped == 1_501
    assert sink.get_batch(10, 0) == [rt.EventsDroppedEvent(count=1_501), text(1_501)]


def test_drops_before_the_first_read_are_quiet_until_a_reader_finds_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = EventSink(10_000, subscribed=True)
    with caplog.at_level(logging.DEBUG, logger="realtime_actors.session.event_sink"):
        for n in range(100):
            sink.put(audio(n))
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert [r for r in caplog.records if r.levelno == logging.DEBUG]
        first = sink.get(0)
    assert isinstance(first, rt.EventsDroppedEvent) and first.audio == sink.dropped
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert f"{sink.dropped} session events ({sink.dropped} of them audio)" in warnings[0]
    assert "event_buffer_unread_bytes" in warnings[0]


def test_event_size_counts_pcm_text_and_not_what_the_session_shares() -> None:
    assert event_size(audio(0)) == 1920 + AUDIO_OVERHEAD
    delta = text(0)
    assert event_size(delta) == EVENT_OVERHEAD + sum(
        len(s) for s in (delta.item_id, delta.delta, delta.role, delta.response_id or ""))
    items = tuple(HistoryItem(item_id=f"i{n}", type="message", text="x" * 10_000)
                  for n in range(20))
    # a history snapshot shares its items with the session: only the tuple is its own
    assert event_size(rt.HistoryUpdatedEvent(history=items)) == EVENT_OVERHEAD + 8 * 20
    assert event_size(rt.HistoryAddedEvent(item=items[0])) == EVENT_OVERHEAD + 10_000
    frame = parse_server_event({"type": "response.output_audio.delta", "event_id": "e1",
                                "response_id": "r1", "item_id": "i1", "output_index": 0,
                                "content_index": 0, "delta": "A" * 4000})
    assert 4000 < event_size(rt.RawModelEvent(event=frame)) - EVENT_OVERHEAD < 5000


@pytest.mark.parametrize("field,value", [("event_buffer_bytes", -1),
                                         ("event_buffer_bytes", 1.5),
                                         ("event_buffer_unread_bytes", True),
                                         ("event_buffer_unread_bytes", "16k"),
                                         ("event_buffer_bytes", None)])
def test_bad_byte_bounds_are_refused_with_a_config_error(field: str, value: object) -> None:
    with pytest.raises(rt.ConfigError, match=field):
        rt.RunConfig(**{field: value})
    kwargs = {"max_bytes" if field == "event_buffer_bytes" else "unread_bytes": value}
    with pytest.raises(rt.ConfigError, match=field):
        EventSink(10, **kwargs)  # type: ignore[arg-type]


def test_the_unread_budget_may_not_exceed_the_read_budget() -> None:
    with pytest.raises(rt.ConfigError, match="must not exceed"):
        rt.RunConfig(event_buffer_bytes=1000, event_buffer_unread_bytes=2000)
    config = rt.RunConfig(event_buffer_bytes=1000, event_buffer_unread_bytes=1000)
    assert config.event_buffer_unread_bytes == 1000
    assert rt.RunConfig(event_buffer_unread_bytes=None).event_buffer_unread_bytes is None
