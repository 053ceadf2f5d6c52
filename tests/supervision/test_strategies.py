"""Strategies, restart types, Address behaviour and stop order, with real actors."""

from __future__ import annotations

from typing import Any

import pykka
import pytest

from realtime_actors.supervision import (
    BackoffPolicy,
    ChildRestartingError,
    ChildSpec,
    ChildState,
    ChildStoppedError,
    Exited,
    Healthy,
    Strategy,
    SupervisionConfigError,
    SupervisorHandle,
    UnknownChildError,
)
from tests.supervision.support import TIMEOUT, Recorder, Worker, crash_and_wait_restart, worker_spec


def _start_abc(recorder: Recorder, strategy: Strategy, **options: Any) -> SupervisorHandle:
    specs = [worker_spec(n, recorder) for n in ("a", "b", "c")]
    handle = SupervisorHandle.start(specs, strategy=strategy, max_restarts=10, **options)
    for name in ("a", "b", "c"):
        recorder.wait_for(("started", name, 1))
    return handle


def _generations(handle: SupervisorHandle) -> dict[str, int]:
    return {info.id: info.generation for info in handle.which_children(timeout=TIMEOUT)}


def test_one_for_one_restarts_only_the_crashed_child() -> None:
    rec = Recorder()
    handle = _start_abc(rec, Strategy.ONE_FOR_ONE)
    try:
        crash_and_wait_restart(handle.address("b"), rec, "b")
        assert _generations(handle) == {"a": 1, "b": 2, "c": 1}
        assert ("stopped", "a", 1) not in rec.events
        assert ("stopped", "c", 1) not in rec.events
        assert handle.address("b").ask("ping", timeout=TIMEOUT) == 2
    finally:
        handle.stop()


def test_one_for_all_restarts_everyone_stopping_others_in_reverse() -> None:
    rec = Recorder()
    handle = _start_abc(rec, Strategy.ONE_FOR_ALL)
    try:
        crash_and_wait_restart(handle.address("b"), rec, "b")
        for name in ("a", "c"):
            handle.address(name).wait_running(timeout=TIMEOUT, after_generation=1)
        assert _generations(handle) == {"a": 2, "b": 2, "c": 2}
        stops = [e for e in rec.of_kind("stopped") if e[2] == 1]
        assert stops.index(("stopped", "c", 1)) < stops.index(("stopped", "a", 1))
        starts = [e[1] for e in rec.of_kind("started") if e[2] == 2]
        assert starts == ["a", "b", "c"]
    finally:
        handle.stop()


def test_rest_for_one_restarts_crashed_and_later_children() -> None:
    rec = Recorder()
    handle = _start_abc(rec, Strategy.REST_FOR_ONE)
    try:
        crash_and_wait_restart(handle.address("b"), rec, "b")
        handle.address("c").wait_running(timeout=TIMEOUT, after_generation=1)
        assert _generations(handle) == {"a": 1, "b": 2, "c": 2}
        assert ("stopped", "a", 1) not in rec.events
    finally:
        handle.stop()


def test_transient_restarts_after_crash_but_not_after_normal_exit() -> None:
    rec = Recorder()
    handle = SupervisorHandle.start([worker_spec("t", rec, restart="transient")])
    try:
        address = handle.address("t")
        rec.wait_for(("started", "t", 1))
        address.wait_running(timeout=TIMEOUT)
        crash_and_wait_restart(address, rec, "t")
        address.tell("exit_normal")
        address.wait_state(ChildState.STOPPED, timeout=TIMEOUT)
        [info] = handle.which_children(timeout=TIMEOUT)
        assert (info.state, info.generation, info.ref) == (ChildState.STOPPED, 2, None)
        with pytest.raises(ChildStoppedError):
            address.tell("ping")
    finally:
        handle.stop()


def test_temporary_is_never_restarted_and_is_removed() -> None:
    rec = Recorder()
    handle = SupervisorHandle.start(
        [worker_spec("tmp", rec, restart="temporary"), worker_spec("p", rec)]
    )
    try:
        address = handle.address("tmp")
        rec.wait_for(("started", "tmp", 1))
        address.tell("crash")
        address.wait_state(ChildState.STOPPED, timeout=TIMEOUT)
        assert [i.id for i in handle.which_children(timeout=TIMEOUT)] == ["p"]
        assert ("started", "tmp", 2) not in rec.events
        with pytest.raises(pykka.ActorDeadError):  # ChildStoppedError is an ActorDeadError
            address.tell("ping")
    finally:
        handle.stop()


def test_address_follows_restarts_for_a_publisher() -> None:
    """A publisher holding an Address keeps reaching the subscriber after it restarts."""
    rec = Recorder()
    handle = SupervisorHandle.start([worker_spec("sub", rec)])
    publisher = _Publisher.start(target=handle.address("sub"))
    try:
        rec.wait_for(("started", "sub", 1))
        publisher.ask(("publish", "one"), timeout=TIMEOUT)
        rec.wait_for(("got", "sub", 1, "one"))
        crash_and_wait_restart(handle.address("sub"), rec, "sub")
        publisher.ask(("publish", "two"), timeout=TIMEOUT)
        rec.wait_for(("got", "sub", 2, "two"))
    finally:
        publisher.stop(timeout=TIMEOUT)
        handle.stop()


class _Publisher(pykka.ThreadingActor):
    def __init__(self, *, target: Any) -> None:
        super().__init__()
        self._target = target

    def on_receive(self, message: Any) -> Any:
        self._target.tell(("record", message[1]))


def test_restarting_child_raises_typed_error_and_stop_cancels_timer() -> None:
    rec = Recorder()
    handle = SupervisorHandle.start(
        [worker_spec("slow", rec)], backoff=BackoffPolicy(base_s=60.0, cap_s=60.0)
    )
    address = handle.address("slow")
    rec.wait_for(("started", "slow", 1))
    address.tell("crash")
    address.wait_state(ChildState.RESTARTING, timeout=TIMEOUT)
    with pytest.raises(ChildRestartingError) as info:
        address.tell("ping")
    assert isinstance(info.value, pykka.ActorDeadError)
    assert handle.which_children(timeout=TIMEOUT)[0].state is ChildState.RESTARTING
    assert handle.stop(timeout=TIMEOUT)  # cancels the 60 s timer; conftest checks threads
    assert address.state is ChildState.STOPPED


def test_backoff_timer_restarts_child() -> None:
    rec = Recorder()
    handle = SupervisorHandle.start(
        [worker_spec("w", rec)], backoff=BackoffPolicy(base_s=0.01, cap_s=0.02)
    )
    try:
        rec.wait_for(("started", "w", 1))
        assert crash_and_wait_restart(handle.address("w"), rec, "w") == 2
        assert handle.address("w").ask("ping", timeout=TIMEOUT) == 2
    finally:
        handle.stop()


def test_stop_stops_children_in_reverse_order() -> None:
    rec = Recorder()
    handle = _start_abc(rec, Strategy.ONE_FOR_ONE)
    addresses = [handle.address(n) for n in ("a", "b", "c")]
    refs = [a.current() for a in addresses]
    assert handle.stop(timeout=TIMEOUT)
    assert [e[1] for e in rec.of_kind("stopped")] == ["c", "b", "a"]
    assert not any(r.is_alive() for r in refs)
    assert all(a.state is ChildState.STOPPED for a in addresses)


def test_dynamic_children_and_validation() -> None:
    rec = Recorder()
    handle = SupervisorHandle.start()
    try:
        address = handle.start_child(worker_spec("x", rec))
        assert address.ask("ping", timeout=TIMEOUT) == 1
        with pytest.raises(SupervisionConfigError):
            handle.start_child(worker_spec("x", rec))
        with pytest.raises(UnknownChildError):
            handle.address("nope")
        handle.terminate_child("x")
        assert ("stopped", "x", 1) in rec.events
        assert handle.which_children(timeout=TIMEOUT) == []
        with pytest.raises(ChildStoppedError):
            address.tell("ping")
    finally:
        handle.stop()
    with pytest.raises(SupervisionConfigError):
        ChildSpec(id="bad", actor_class=Worker, start=lambda link: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(SupervisionConfigError):
        ChildSpec(id="bad", actor_class=Worker, restart="sometimes")


def test_stale_and_unknown_exit_reports_are_ignored() -> None:
    rec = Recorder()
    handle = SupervisorHandle.start([worker_spec("s", rec)])
    try:
        address = handle.address("s")
        rec.wait_for(("started", "s", 1))
        crash_and_wait_restart(address, rec, "s")
        current = address.current()
        for report in (
            Exited(child_id="s", generation=1, abnormal=True, reason="old incarnation"),
            Exited(child_id="ghost", generation=2, abnormal=True, reason="unknown child"),
        ):
            handle.ref.tell(report)
        [info] = handle.which_children(timeout=TIMEOUT)  # queued after the reports
        assert (info.generation, info.ref) == (2, current)
        assert address.current() is current and current.is_alive()
        # The same kind of report for the current generation is acted upon: the reported
        # incarnation is stopped and replaced.
        handle.ref.tell(Exited(child_id="s", generation=2, abnormal=True, reason="current"))
        address.wait_running(timeout=TIMEOUT, after_generation=2)
        assert handle.which_children(timeout=TIMEOUT)[0].generation == 3
        assert ("stopped", "s", 2) in rec.events and not current.is_alive()
    finally:
        handle.stop()


def test_report_healthy_resets_the_backoff_attempts_of_that_incarnation_only() -> None:
    rec = Recorder()
    handle = SupervisorHandle.start([worker_spec("w", rec)], max_restarts=10, max_seconds=60)
    try:
        address = handle.address("w")

        def attempts() -> int:
            return next(c.attempts for c in handle.which_children() if c.id == "w")

        crash_and_wait_restart(address, rec, "w")
        crash_and_wait_restart(address, rec, "w")
        assert attempts() == 2  # two restarts in a row: the backoff grows
        stale = Healthy(child_id="w", generation=1)  # from a dead incarnation: ignored
        handle.ref.tell(stale)
        assert attempts() == 2
        address.ask("healthy", timeout=TIMEOUT)  # the current incarnation reports
        assert attempts() == 0
        crash_and_wait_restart(address, rec, "w")
        assert attempts() == 1  # counting starts again
    finally:
        handle.stop()
