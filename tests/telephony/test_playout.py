"""Playout: 20 ms frames, marks, real-time release and the heard position (sans-I/O)."""

from __future__ import annotations

import pytest

from realtime_actors import ConfigError
from realtime_actors.telephony import FrameOut, Heard, MarkOut, Playout


def _kinds(out: list[FrameOut | MarkOut]) -> list[str]:
    return [f"F{len(x.payload)}" if isinstance(x, FrameOut) else x.name for x in out]


def test_audio_is_cut_in_160_byte_frames_with_a_mark_every_n_and_at_the_end() -> None:
    playout = Playout(mark_every=2, lead_ms=10_000)
    playout.add("item_1", 0, b"\xff" * 100)
    playout.add("item_1", 0, b"\xff" * 400)  # 500 bytes: three frames and 20 left over
    assert _kinds(playout.due(0.0)) == ["F160", "F160", "m1", "F160"]
    playout.end_item()
    assert _kinds(playout.due(0.0)) == ["F20", "m2"]
    assert playout.next_due(0.0) is None


def test_frames_are_released_in_real_time_ahead_by_the_lead() -> None:
    playout = Playout(mark_every=100, lead_ms=40)
    playout.add("item_1", 0, b"\xff" * 160 * 10)
    assert len(playout.due(0.0)) == 3  # 0-20, 20-40, 40-60 ms: up to 40 ms ahead
    assert playout.next_due(0.0) == pytest.approx(0.02)
    assert playout.due(0.01) == []
    assert len(playout.due(0.02)) == 1
    # after a gap (the carrier drained its buffer), the release restarts from the new time
    assert len(playout.due(1.0)) == 3
    assert len(playout.due(5.0)) == 3


def test_marks_played_report_what_was_heard_per_item_in_order() -> None:
    playout = Playout(mark_every=1, lead_ms=10_000)
    playout.add("item_1", 0, b"\xff" * 160)
    playout.add("item_2", 1, b"\xff" * 80)  # a new item ends the previous one
    playout.end_item()
    # the mark after an item's last frame closes it (done)
    assert _kinds(playout.due(0.0)) == ["F160", "m1", "F80", "m2"]
    assert playout.on_mark("m2") == [
        Heard(item_id="item_1", content_index=0, ms=20.0, done=True),
        Heard(item_id="item_2", content_index=1, ms=10.0, done=True)]
    assert playout.on_mark("m1") == []  # already reported
    assert playout.marks_heard == 2 and playout.pending_marks == 0


def test_an_item_ending_after_its_last_mark_was_sent_gets_an_empty_closing_mark() -> None:
    playout = Playout(mark_every=1, lead_ms=10_000)
    playout.add("item_1", 0, b"\xff" * 160)
    assert _kinds(playout.due(0.0)) == ["F160", "m1"]
    playout.end_item()
    assert _kinds(playout.due(0.0)) == ["m2"]
    assert playout.on_mark("m2") == [Heard(item_id="item_1", content_index=0, ms=20.0),
                                     Heard(item_id="item_1", content_index=0, ms=0.0,
                                           done=True)]


def test_clear_drops_queued_frames_and_forgets_marks_the_carrier_echoes() -> None:
    playout = Playout(mark_every=1, lead_ms=20)
    playout.add("item_1", 0, b"\xff" * 160 * 5)
    sent = playout.due(0.0)
    assert _kinds(sent) == ["F160", "m1", "F160", "m2"]
    assert playout.on_mark("m1") == [Heard(item_id="item_1", content_index=0, ms=20.0)]
    assert playout.clear(0.03) == 3
    assert playout.on_mark("m2") == []  # echoed by the carrier's clear: not heard
    assert playout.due(1.0) == []
    playout.add("item_2", 0, b"\xff" * 160)
    assert _kinds(playout.due(0.03)) == ["F160", "m6"]


@pytest.mark.parametrize("kwargs", [{"mark_every": 0}, {"mark_every": True},
                                    {"lead_ms": -1}])
def test_bad_settings_raise_config_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        Playout(**kwargs)  # type: ignore[arg-type]


def test_memory_is_bounded() -> None:
    playout = Playout(max_buffer_ms=100)
    playout.add("item_1", 0, b"\xff" * 800)
    with pytest.raises(ConfigError, match="not keeping up"):
        playout.add("item_1", 0, b"\xff" * 160)
