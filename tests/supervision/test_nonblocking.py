"""The supervisor never blocks in its loop: child stops come back as messages, bounded by the
child's shutdown timeout; requests wait their turn; on the reactor, the reactor keeps running."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pykka
import pytest

from realtime_actors.reactor import reactor
from realtime_actors.supervision import (
    BackoffPolicy,
    ChildState,
    StartChild,
    Supervisor,
    SupervisorHandle,
    TerminateChild,
)
from tests.supervision.support import (
    TIMEOUT,
    Recorder,
    crash_and_wait_restart,
    slow_spec,
    worker_spec,
)


def test_supervisor_answers_queries_while_a_child_is_slow_to_stop() -> None:
    rec, release = Recorder(), threading.Event()
    handle = SupervisorHandle.start([worker_spec("a", rec), slow_spec("slow", rec, release)])
    try:
        pending = handle.ref.ask(TerminateChild(child_id="slow"), block=False)
        rec.wait_for(("stopping", "slow", 1))
        states = {i.id: i.state for i in handle.which_children(timeout=TIMEOUT)}
        assert states == {"a": ChildState.RUNNING, "slow": ChildState.STOPPED}
        assert handle.address("a").ask("ping", timeout=TIMEOUT) == 1
        with pytest.raises(pykka.Timeout):
            pending.get(timeout=0)  # answered only once the child has stopped
        release.set()
        assert pending.get(timeout=TIMEOUT) is None
        assert ("stopped", "slow", 1) in rec.events
        assert [i.id for i in handle.which_children(timeout=TIMEOUT)] == ["a"]
    finally:
        release.set()
        handle.stop()


def test_requests_that_change_children_wait_for_the_stop_in_flight() -> None:
    rec, release = Recorder(), threading.Event()
    handle = SupervisorHandle.start([slow_spec("slow", rec, release)])
    try:
        terminated = handle.ref.ask(TerminateChild(child_id="slow"), block=False)
        rec.wait_for(("stopping", "slow", 1))
        started = handle.ref.ask(StartChild(spec=worker_spec("late", rec)), block=False)
        with pytest.raises(pykka.Timeout):
            started.get(timeout=0)
        assert ("started", "late", 1) not in rec.events
        release.set()
        assert started.get(timeout=TIMEOUT).ask("ping", timeout=TIMEOUT) == 1
        terminated.get(timeout=TIMEOUT)
        events = rec.events
        assert events.index(("stopped", "slow", 1)) < events.index(("started", "late", 1))
    finally:
        release.set()
        handle.stop()


def test_stop_waits_for_each_child_in_reverse_order() -> None:
    rec, release = Recorder(), threading.Event()
    handle = SupervisorHandle.start(
        [worker_spec("a", rec), slow_spec("slow", rec, release), worker_spec("c", rec)]
    )
    stopping = handle.ref.stop(block=False)
    rec.wait_for(("stopping", "slow", 1))
    assert ("stopped", "c", 1) in rec.events
    assert ("stopped", "a", 1) not in rec.events  # not before the child after it has stopped
    assert handle.ref.is_alive()
    release.set()
    assert stopping.get(timeout=TIMEOUT) is True
    assert [e[1] for e in rec.of_kind("stopped")] == ["c", "slow", "a"]
    assert not handle.ref.is_alive()


def test_a_child_that_does_not_stop_in_time_is_abandoned(caplog: pytest.LogCaptureFixture) -> None:
    rec, release = Recorder(), threading.Event()
    handle = SupervisorHandle.start(
        [worker_spec("a", rec), slow_spec("stuck", rec, release, shutdown_timeout_s=0.05)]
    )
    try:
        with caplog.at_level(logging.WARNING, logger="realtime_actors.supervision"):
            handle.terminate_child("stuck", timeout=TIMEOUT)  # answered after the timeout
        assert "child stuck did not stop within 0.1 s; abandoning it" in caplog.text
        assert ("stopped", "stuck", 1) not in rec.events
        assert [i.id for i in handle.which_children(timeout=TIMEOUT)] == ["a"]
        release.set()
        rec.wait_for(("stopped", "stuck", 1))  # its late stop report is stale: ignored
        assert handle.address("a").ask("ping", timeout=TIMEOUT) == 1
    finally:
        release.set()
        handle.stop()


class ReactorSupervisor(Supervisor):
    """A supervisor on the reactor that records the thread of every message it handles."""

    actor_pool = reactor()
    threads: list[str] = []

    def on_receive(self, message: Any) -> Any:
        self.threads.append(threading.current_thread().name)
        return super().on_receive(message)


def _start_on_reactor(children: list[Any], **options: Any) -> SupervisorHandle:
    gave_up = threading.Event()
    ref = ReactorSupervisor.start(children=children, gave_up=gave_up, name="on-reactor",
                                  **options)
    return SupervisorHandle(ref, gave_up)


def _done(future: pykka.Future[Any]) -> bool:
    """Whether ``future`` has its value (without waiting)."""
    try:
        future.get(timeout=0)
    except pykka.Timeout:
        return False
    return True


def test_on_the_reactor_the_reactor_runs_on_while_a_child_is_slow_to_stop() -> None:
    rec, release = Recorder(), threading.Event()
    ReactorSupervisor.threads = []
    handle = _start_on_reactor([worker_spec("a", rec), slow_spec("slow", rec, release)],
                               max_restarts=10)
    try:
        crash_and_wait_restart(handle.address("a"), rec, "a")  # exit report, restart
        stopping = handle.ref.stop(block=False)
        rec.wait_for(("stopping", "slow", 1))
        ran = threading.Event()
        reactor().call_soon(ran.set)
        assert ran.wait(TIMEOUT)  # the reactor is not stuck in the supervisor
        assert len(handle.which_children(timeout=TIMEOUT)) == 2  # answered meanwhile
        assert not _done(stopping)
        release.set()
        assert stopping.get(timeout=TIMEOUT) is True
        assert [e[1:] for e in rec.of_kind("stopped")] == [("a", 1), ("slow", 1), ("a", 2)]
    finally:
        release.set()
        if handle.ref.is_alive():
            handle.stop()
    assert ReactorSupervisor.threads
    assert set(ReactorSupervisor.threads) == {"realtime-reactor"}


def test_on_the_reactor_restart_backoff_uses_the_reactor_timers() -> None:
    rec = Recorder()
    handle = _start_on_reactor([worker_spec("w", rec)],
                               backoff=BackoffPolicy(base_s=60.0, cap_s=60.0))
    address = handle.address("w")
    rec.wait_for(("started", "w", 1))
    address.tell("crash")
    address.wait_state(ChildState.RESTARTING, timeout=TIMEOUT)
    timer_threads = [t.name for t in threading.enumerate() if "-timer-" in t.name]
    assert timer_threads == []  # the 60 s backoff waits in the reactor's timer heap
    assert handle.stop(timeout=TIMEOUT)  # cancels it
    assert address.state is ChildState.STOPPED
    assert ("started", "w", 2) not in rec.events


def test_on_the_shared_pool_restart_backoff_runs_a_timer_thread() -> None:
    rec = Recorder()
    handle = SupervisorHandle.start([worker_spec("w", rec)],
                                    backoff=BackoffPolicy(base_s=60.0, cap_s=60.0), name="pooled")
    address = handle.address("w")
    rec.wait_for(("started", "w", 1))
    address.tell("crash")
    address.wait_state(ChildState.RESTARTING, timeout=TIMEOUT)
    assert [t.name for t in threading.enumerate() if t.name.startswith("pooled-timer-")]
    assert handle.stop(timeout=TIMEOUT)
