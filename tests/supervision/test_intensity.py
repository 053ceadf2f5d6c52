"""Restart intensity, give-up and escalation, failed starts, watchdog-supervised actors."""

from __future__ import annotations

import threading
from typing import Any

import pykka
import pytest

from realtime_actors.supervision import (
    ChildSpec,
    ChildState,
    GetAddress,
    Strategy,
    Supervisor,
    SupervisorHandle,
)
from tests.supervision.support import (
    TIMEOUT,
    PlainWorker,
    Recorder,
    Worker,
    crash_and_wait_restart,
    worker_spec,
)


def test_intensity_breach_stops_children_and_gives_up() -> None:
    rec = Recorder()
    reasons: list[str] = []
    handle = SupervisorHandle.start(
        [worker_spec("a", rec), worker_spec("b", rec)],
        max_restarts=2,
        max_seconds=60.0,
        on_give_up=reasons.append,
    )
    rec.wait_for(("started", "a", 1))
    address_b = handle.address("b")
    crash_and_wait_restart(address_b, rec, "b")
    crash_and_wait_restart(address_b, rec, "b")
    assert not handle.gave_up.is_set()
    address_a = handle.address("a")
    ref_a = address_a.current()
    address_b.tell("crash")
    assert handle.gave_up.wait(TIMEOUT)
    assert handle.ref.actor_stopped.wait(TIMEOUT)
    assert len(reasons) == 1 and "more than 2 restarts" in reasons[0]
    assert not ref_a.is_alive()
    assert address_a.state is ChildState.STOPPED and address_b.state is ChildState.STOPPED
    assert ("started", "b", 4) not in rec.events


def test_intensity_window_slides() -> None:
    """Old restarts leave the window: with max 1 in 10 s, crashes 20 s apart never give up."""
    rec = Recorder()
    now = [0.0]
    handle = SupervisorHandle.start(
        [worker_spec("w", rec)], max_restarts=1, max_seconds=10.0, clock=lambda: now[0]
    )
    try:
        address = handle.address("w")
        rec.wait_for(("started", "w", 1))
        for step in range(1, 4):
            now[0] = 20.0 * step
            crash_and_wait_restart(address, rec, "w")
        assert not handle.gave_up.is_set()
        now[0] += 1.0  # second restart within 10 s of the last one
        address.tell("crash")
        assert handle.gave_up.wait(TIMEOUT)
    finally:
        handle.stop(timeout=TIMEOUT)


def _sub_spec(rec: Recorder, sub_gave_up: list[threading.Event]) -> ChildSpec:
    def start(link: Any) -> pykka.ActorRef[Any]:
        event = threading.Event()
        sub_gave_up.append(event)
        return Supervisor.start(
            children=[worker_spec("w", rec)],
            max_restarts=0,
            gave_up=event,
            name="sub",
            link=link,
        )

    return ChildSpec(id="sub", start=start, shutdown_timeout_s=TIMEOUT)


def test_nested_supervisor_escalates_to_parent() -> None:
    rec = Recorder()
    sub_gave_up: list[threading.Event] = []
    parent = SupervisorHandle.start(
        [worker_spec("sibling", rec), _sub_spec(rec, sub_gave_up)],
        strategy=Strategy.ONE_FOR_ONE,
        max_restarts=1,
        max_seconds=60.0,
    )
    rec.wait_for(("started", "w", 1))
    sub_address = parent.address("sub")
    worker = sub_address.ask(GetAddress(child_id="w"), timeout=TIMEOUT)
    worker.wait_running(timeout=TIMEOUT)
    worker.tell("crash")  # sub allows 0 restarts: gives up, parent restarts sub
    assert sub_gave_up[0].wait(TIMEOUT)
    sub_address.wait_running(timeout=TIMEOUT, after_generation=1)
    assert parent.which_children(timeout=TIMEOUT)[1].generation == 2
    worker = sub_address.ask(GetAddress(child_id="w"), timeout=TIMEOUT)
    assert worker.wait_running(timeout=TIMEOUT).ask("ping", timeout=TIMEOUT) == 1
    assert ("started", "w", 1) in rec.events and len(rec.of_kind("started")) == 3
    assert not parent.gave_up.is_set()
    worker.tell("crash")  # second escalation exceeds the parent's intensity
    assert parent.gave_up.wait(TIMEOUT)
    assert parent.ref.actor_stopped.wait(TIMEOUT)
    assert ("stopped", "sibling", 1) in rec.events
    assert pykka.ActorRegistry.get_all() == []


def test_failed_setup_is_reported_and_restarted() -> None:
    rec = Recorder()
    handle = SupervisorHandle.start(
        [worker_spec("f", rec, setup_failures=[2])], max_restarts=5, max_seconds=60.0
    )
    try:
        rec.wait_for(("started", "f", 3))
        address = handle.address("f")
        address.wait_running(timeout=TIMEOUT, after_generation=2)
        assert address.ask("ping", timeout=TIMEOUT) == 3
        assert rec.of_kind("setup_failed") == [("setup_failed", "f", 1), ("setup_failed", "f", 2)]
        # teardown also ran after each failed setup
        assert ("stopped", "f", 1) in rec.events and ("stopped", "f", 2) in rec.events
    finally:
        handle.stop()


def test_plain_actor_crash_is_seen_by_watchdog() -> None:
    rec = Recorder()
    spec = ChildSpec(id="plain", actor_class=PlainWorker, kwargs={"recorder": rec})
    handle = SupervisorHandle.start([spec])
    try:
        address = handle.address("plain")
        first = address.current()
        address.tell("crash")
        second = address.wait_running(timeout=TIMEOUT, after_generation=1)
        assert second is not first and not first.is_alive()
        assert address.ask("ping", timeout=TIMEOUT) == "pong"
        assert len(rec.of_kind("plain_started")) == 2
    finally:
        handle.stop()


def test_restart_whose_constructor_fails_counts_toward_intensity() -> None:
    rec = Recorder()
    attempts: list[int] = []

    def start(link: Any) -> pykka.ActorRef[Any]:
        attempts.append(link.generation)
        if link.generation > 1:
            raise OSError("cannot connect")
        return Worker.start(name="c", recorder=rec, link=link)

    handle = SupervisorHandle.start(
        [ChildSpec(id="c", start=start)], max_restarts=3, max_seconds=60.0
    )
    rec.wait_for(("started", "c", 1))
    handle.address("c").tell("crash")
    assert handle.gave_up.wait(TIMEOUT)
    assert handle.ref.actor_stopped.wait(TIMEOUT)
    assert attempts == [1, 2, 3, 4]


def test_initial_start_failure_raises_in_caller_and_cleans_up() -> None:
    rec = Recorder()

    def broken(link: Any) -> pykka.ActorRef[Any]:
        raise OSError("no such device")

    with pytest.raises(OSError, match="no such device"):
        SupervisorHandle.start([worker_spec("ok", rec), ChildSpec(id="bad", start=broken)])
    rec.wait_for(("stopped", "ok", 1))
    assert pykka.ActorRegistry.get_all() == []


def test_hooks_plus_watchdog_restart_once() -> None:
    """With both reporters on, the second report of one death is stale and ignored."""
    rec = Recorder()
    spec = worker_spec("both", rec, watchdog=True)
    handle = SupervisorHandle.start([spec], max_restarts=10)
    try:
        rec.wait_for(("started", "both", 1))
        crash_and_wait_restart(handle.address("both"), rec, "both")
        [info] = handle.which_children(timeout=TIMEOUT)
        assert info.generation == 2 and info.state is ChildState.RUNNING
        assert ("started", "both", 3) not in rec.events
    finally:
        handle.stop()
