"""Tests for realtime_actors.audio.playback: app-reported tracking and delivery-based estimation."""

from __future__ import annotations

import threading

import pytest

from realtime_actors.audio.playback import (
    AudioDeliveryEstimator,
    PlaybackState,
    PlaybackTracker,
    bytes_per_ms,
)
from realtime_actors.errors import ConfigError

T0 = 1000.0  # an arbitrary monotonic-clock origin, in seconds


@pytest.mark.parametrize(
    ("audio_format", "rate"),
    [
        ("audio/pcm", 48),
        ("pcm16", 48),
        ({"type": "audio/pcm", "rate": 24000}, 48),
        ("audio/pcmu", 8),
        ("audio/pcma", 8),
        ("g711_ulaw", 8),
        ("G711_ALAW", 8),
        ({"type": "audio/pcmu"}, 8),
    ],
)
def test_bytes_per_ms_for_every_spelling(audio_format: object, rate: int) -> None:
    assert bytes_per_ms(audio_format) == rate  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["mp3", "", {"type": "audio/pcm", "rate": 16000}, {}, 48])
def test_unknown_format_is_config_error(bad: object) -> None:
    with pytest.raises(ConfigError):
        bytes_per_ms(bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        PlaybackTracker(bad)  # type: ignore[arg-type]


# --- PlaybackTracker --------------------------------------------------------------------------


def test_new_tracker_is_idle() -> None:
    state = PlaybackTracker().state()
    assert state == PlaybackState(item_id=None, content_index=None, played_ms=0)
    assert state.is_idle


def test_bytes_accumulate_for_the_same_part_pcm16() -> None:
    tracker = PlaybackTracker()
    tracker.on_play_bytes("item_1", 0, 4800)  # 100 ms
    tracker.on_play_bytes("item_1", 0, 960)  # 20 ms
    assert tracker.state() == PlaybackState(item_id="item_1", content_index=0, played_ms=120)
    assert not tracker.state().is_idle


def test_g711_byte_rate_after_set_audio_format() -> None:
    tracker = PlaybackTracker()
    tracker.set_audio_format("audio/pcmu")
    tracker.on_play_bytes("item_1", 0, 800)
    assert tracker.state().played_ms == 100


def test_ms_reports_accumulate_and_floor_to_whole_ms() -> None:
    tracker = PlaybackTracker()
    tracker.on_play_ms("item_1", 0, 10.6)
    tracker.on_play_ms("item_1", 0, 10.6)
    assert tracker.state().played_ms == 21


def test_report_for_another_item_or_part_restarts_the_count() -> None:
    tracker = PlaybackTracker()
    tracker.on_play_ms("item_1", 0, 500)
    tracker.on_play_ms("item_2", 0, 40)
    assert tracker.state() == PlaybackState(item_id="item_2", content_index=0, played_ms=40)
    tracker.on_play_ms("item_2", 1, 7)
    assert tracker.state() == PlaybackState(item_id="item_2", content_index=1, played_ms=7)


def test_interrupted_clears_the_state() -> None:
    tracker = PlaybackTracker()
    tracker.on_play_ms("item_1", 0, 500)
    tracker.on_interrupted()
    assert tracker.state().is_idle
    tracker.on_play_ms("item_1", 0, 5)
    assert tracker.state().played_ms == 5


@pytest.mark.parametrize(
    ("item_id", "index", "amount"),
    [("", 0, 1), (None, 0, 1), ("item", -1, 1), ("item", True, 1), ("item", 0, -1)],
)
def test_bad_reports_are_config_errors(item_id: object, index: object, amount: int) -> None:
    tracker = PlaybackTracker()
    with pytest.raises(ConfigError):
        tracker.on_play_bytes(item_id, index, amount)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        tracker.on_play_ms(item_id, index, amount)  # type: ignore[arg-type]
    assert tracker.state().is_idle


@pytest.mark.parametrize("ms", [float("nan"), float("inf"), "5"])
def test_non_finite_or_non_numeric_ms_is_config_error(ms: object) -> None:
    with pytest.raises(ConfigError):
        PlaybackTracker().on_play_ms("item", 0, ms)  # type: ignore[arg-type]


def test_concurrent_reports_from_many_threads_are_all_counted() -> None:
    tracker = PlaybackTracker()
    tracker.on_play_bytes("item_1", 0, 0)
    start = threading.Barrier(4)

    def report() -> None:
        start.wait(timeout=5)
        for _ in range(2500):
            tracker.on_play_bytes("item_1", 0, 48)

    threads = [threading.Thread(target=report, name=f"reporter-{i}") for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert tracker.state().played_ms == 10_000


# --- AudioDeliveryEstimator -------------------------------------------------------------------


def test_estimator_is_bounded_by_wall_time_since_first_delta() -> None:
    estimator = AudioDeliveryEstimator()
    estimator.add_delta("item_1", 0, 48_000, now=T0)  # 1000 ms delivered at once
    assert estimator.played_ms(T0) == 0
    assert estimator.played_ms(T0 + 0.4) == 400
    assert estimator.state(T0 + 0.4) == PlaybackState(
        item_id="item_1", content_index=0, played_ms=400
    )


def test_estimator_is_bounded_by_audio_delivered() -> None:
    estimator = AudioDeliveryEstimator()
    estimator.add_delta("item_1", 0, 4800, now=T0)  # 100 ms
    estimator.add_delta("item_1", 0, 4800, now=T0 + 0.01)  # 200 ms in total
    assert estimator.delivered_ms() == 200
    assert estimator.played_ms(T0 + 5.0) == 200


def test_estimator_g711_rate() -> None:
    estimator = AudioDeliveryEstimator("g711_alaw")
    estimator.add_delta("item_1", 0, 8000, now=T0)
    assert estimator.delivered_ms() == 1000
    assert estimator.played_ms(T0 + 0.25) == 250


def test_estimator_new_item_restarts_clock_and_count() -> None:
    estimator = AudioDeliveryEstimator()
    estimator.add_delta("item_1", 0, 48_000, now=T0)
    estimator.add_delta("item_2", 0, 9600, now=T0 + 3.0)  # 200 ms
    assert estimator.played_ms(T0 + 3.1) == 100
    assert estimator.delivered_ms() == 200
    assert estimator.state(T0 + 3.1).item_id == "item_2"


def test_estimator_idle_and_interrupt() -> None:
    estimator = AudioDeliveryEstimator()
    assert estimator.played_ms(T0) == 0
    assert estimator.state(T0).is_idle
    estimator.add_delta("item_1", 0, 48_000, now=T0)
    estimator.on_interrupted()
    assert estimator.state(T0 + 1).is_idle
    assert estimator.delivered_ms() == 0


def test_estimator_clock_before_first_delta_counts_as_zero() -> None:
    estimator = AudioDeliveryEstimator()
    estimator.add_delta("item_1", 0, 48_000, now=T0)
    assert estimator.played_ms(T0 - 1.0) == 0


@pytest.mark.parametrize("now", [float("nan"), float("inf"), None, True])
def test_estimator_rejects_bad_now(now: object) -> None:
    estimator = AudioDeliveryEstimator()
    with pytest.raises(ConfigError):
        estimator.add_delta("item_1", 0, 10, now=now)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        estimator.played_ms(now)  # type: ignore[arg-type]


@pytest.mark.parametrize(("content_index", "n_bytes", "now"), [
    (True, 960, T0 + 0.1), (0, -1, T0 + 0.1), (0, 960.0, T0 + 0.1), (0, True, T0 + 0.1),
    (0, 960, float("inf")), (0, 960, float("nan")), (0, 960, "later"),
])
def test_a_delta_of_the_current_item_is_still_checked(content_index: object, n_bytes: object,
                                                      now: object) -> None:
    estimator = AudioDeliveryEstimator()
    estimator.add_delta("item_1", 0, 4800, T0)  # the item is current: later deltas take the
    with pytest.raises(ConfigError):            # fast path only when every value is sound
        estimator.add_delta("item_1", content_index, n_bytes, now)  # type: ignore[arg-type]
    estimator.add_delta("item_1", 0, 960, T0 + 0.1)
    assert estimator.delivered_ms() == 120
