"""The checkpoint writer: debounced, newest wins, deletes on end, reports failures."""

from __future__ import annotations

import threading

import pytest

import realtime_actors as rt
from realtime_actors.durable import Checkpoint, Checkpointer, SessionSnapshot
from realtime_actors.session.event_sink import EventSink


def snap(sequence: int) -> SessionSnapshot:
    return SessionSnapshot(session_id="s1", agent_name="A", sequence=sequence)


class CountingStore(rt.MemoryStore):
    """Counts saves; can be told to fail."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.saves = 0
        self.fail = fail

    def save(self, snapshot: SessionSnapshot, *, fence: rt.durable.Fence | None = None) -> None:
        if self.fail:
            raise rt.StoreError("disk on fire")
        self.saves += 1
        super().save(snapshot, fence=fence)


def test_a_burst_of_changes_is_saved_debounced_and_the_newest_wins() -> None:
    writer, store = Checkpointer(), CountingStore()
    checkpoint = Checkpoint(writer, store, "s1", rt.CheckpointPolicy(interval_s=0.5))
    for n in range(1, 51):
        checkpoint.changed(snap(n))
    assert checkpoint.flush(10)
    assert store.load("s1").sequence == 50
    assert store.saves < 50  # coalesced: one pending snapshot per session
    assert writer.stats.saves == store.saves and writer.stats.failures == 0


def test_an_older_snapshot_never_overwrites_a_newer_one() -> None:
    store = CountingStore()
    checkpoint = Checkpoint(Checkpointer(), store, "s1", rt.CheckpointPolicy())
    checkpoint.save_now(snap(5))
    checkpoint.save_now(snap(3))
    assert store.load("s1").sequence == 5 and store.saves == 1


def test_the_end_deletes_the_record_unless_detached() -> None:
    writer, store = Checkpointer(), CountingStore()
    ending = Checkpoint(writer, store, "s1", rt.CheckpointPolicy(interval_s=0))
    ending.changed(snap(1))
    assert ending.flush(10) and store.load("s1") is not None
    writer.end(ending)
    assert ending.flush(10) and store.load("s1") is None
    kept = Checkpoint(writer, store, "s1", rt.CheckpointPolicy(interval_s=0))
    kept.save_now(snap(2))
    kept.detach()
    writer.end(kept)
    kept.changed(snap(3))
    assert kept.flush(10) and store.load("s1").sequence == 2


def test_a_failing_store_is_reported_not_swallowed(caplog: pytest.LogCaptureFixture) -> None:
    writer, failed = Checkpointer(), threading.Event()
    checkpoint = Checkpoint(writer, CountingStore(fail=True), "s1",
                            rt.CheckpointPolicy(interval_s=0))
    errors: list[BaseException] = []
    checkpoint.on_error = lambda exc: (errors.append(exc), failed.set())
    checkpoint.changed(snap(1))
    assert failed.wait(10)
    assert isinstance(errors[0], rt.StoreError) and writer.stats.failures == 1
    assert "disk on fire" in caplog.text


def test_the_writer_thread_runs_only_while_there_is_work() -> None:
    writer = Checkpointer()
    checkpoint = Checkpoint(writer, CountingStore(), "s1", rt.CheckpointPolicy(interval_s=0))
    assert writer._thread is None
    checkpoint.changed(snap(1))
    thread = writer._thread
    assert thread is not None and checkpoint.flush(10)
    thread.join(10)
    assert not thread.is_alive() and writer._thread is None


def test_get_batch_takes_what_is_buffered() -> None:
    sink = EventSink(100)
    assert sink.get_batch(10, 0.01) == []
    events = [rt.ConnectionEvent(status="connecting") for _ in range(5)]
    for event in events:
        sink.put(event)
    assert sink.get_batch(3, 1) == events[:3]
    assert sink.get_batch(10, 1) == events[3:]


def test_checkpoint_policy_refuses_a_negative_interval() -> None:
    with pytest.raises(rt.ConfigError):
        rt.CheckpointPolicy(interval_s=-1)
