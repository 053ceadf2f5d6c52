"""PooledActor and ActorPool: pykka's actor semantics on shared worker threads."""

from __future__ import annotations

import threading
from typing import Any

import pykka
import pytest

import realtime_actors as rt
from realtime_actors.runtime.actor_pool import POOL_THREADS_ENV, pool_threads_from_env
from realtime_actors.supervision import ChildSpec, GetAddress, Restart, Supervised, Supervisor

WAIT_S = 10.0


def _pool_threads(pool: rt.ActorPool) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(pool.name)]


class Recorder(rt.PooledActor):
    """Records what it handles and on which thread; forwards to ``nxt`` when given."""

    def __init__(self, nxt: pykka.ActorRef[Any] | None = None,
                 events: list[str] | None = None) -> None:
        super().__init__()
        self.nxt = nxt
        self.seen: list[Any] = []
        self.threads: set[str] = set()
        self.events = events if events is not None else []

    def on_start(self) -> None:
        self.events.append("start")

    def on_stop(self) -> None:
        self.events.append("stop")

    def on_receive(self, message: Any) -> Any:
        self.threads.add(threading.current_thread().name)
        if message == "seen":
            return list(self.seen)
        if message == "threads":
            return set(self.threads)
        if message == "boom":
            raise ValueError("boom")
        self.seen.append(message)
        if self.nxt is not None:
            self.nxt.tell(message)
        return message

    def double(self, x: int) -> int:
        return 2 * x


def test_messages_are_handled_in_order_on_pool_workers() -> None:
    last = Recorder.start()
    first = Recorder.start(last)
    for i in range(2000):
        first.tell(i)
    assert first.ask("seen", timeout=WAIT_S) == list(range(2000))
    assert last.ask("seen", timeout=WAIT_S) == list(range(2000))
    names = first.ask("threads", timeout=WAIT_S) | last.ask("threads", timeout=WAIT_S)
    assert names and all(n.startswith(rt.default_pool().name) for n in names), names
    first.stop(block=True, timeout=WAIT_S)
    last.stop(block=True, timeout=WAIT_S)


def test_many_actors_share_a_few_threads() -> None:
    pool = rt.ActorPool(threads=2, name="test-pool-share")

    class Small(Recorder):
        actor_pool = pool

    refs = [Small.start() for _ in range(200)]
    assert [r.ask(i, timeout=WAIT_S) for i, r in enumerate(refs)] == list(range(200))
    assert len(_pool_threads(pool)) <= 3  # two workers and the monitor
    assert pool.stats().live_actors == 200
    for ref in refs:
        ref.stop()
    for ref in refs:
        assert ref.actor_stopped.wait(WAIT_S)
    for thread in _pool_threads(pool):
        thread.join(WAIT_S)
    assert _pool_threads(pool) == []
    assert pool.stats().workers == 0


def test_lifecycle_hooks_proxies_and_errors_follow_pykka() -> None:
    events: list[str] = []
    ref = Recorder.start(events=events)
    proxy = ref.proxy()
    assert proxy.double(21).get(timeout=WAIT_S) == 42
    with pytest.raises(ValueError, match="boom"):
        ref.ask("boom", timeout=WAIT_S)
    assert ref.is_alive()  # an ask's exception goes back to the caller; the actor lives on
    assert pykka.ActorRegistry.get_by_urn(ref.actor_urn) is ref
    ref.stop(block=True, timeout=WAIT_S)
    assert events == ["start", "stop"]
    assert pykka.ActorRegistry.get_by_urn(ref.actor_urn) is None
    with pytest.raises(pykka.ActorDeadError):
        ref.tell("late")


def test_a_failing_tell_calls_on_failure_and_stops_the_actor() -> None:
    failed = threading.Event()

    class Fragile(rt.PooledActor):
        def on_receive(self, message: Any) -> None:
            raise RuntimeError("handler failed")

        def on_failure(self, *exc_info: Any) -> None:
            assert isinstance(exc_info[1], RuntimeError)
            failed.set()

    ref = Fragile.start()
    ref.tell("x")
    assert failed.wait(WAIT_S)
    assert ref.actor_stopped.wait(WAIT_S)


def test_queued_asks_fail_with_actor_dead_when_the_actor_stops() -> None:
    gate = threading.Event()

    class Slow(rt.PooledActor):
        def on_receive(self, message: Any) -> Any:
            if message == "wait":
                gate.wait(WAIT_S)
            return message

    ref = Slow.start()
    busy = ref.ask("wait", block=False)
    stop = ref.ask(pykka.messages._ActorStop(), block=False)
    queued = ref.ask("after stop", block=False)
    gate.set()
    assert busy.get(timeout=WAIT_S) == "wait"
    assert stop.get(timeout=WAIT_S) is None
    with pytest.raises(pykka.ActorDeadError):
        queued.get(timeout=WAIT_S)


def test_an_ask_racing_the_stop_is_answered_not_lost() -> None:
    for _ in range(200):
        ref = Recorder.start()
        ref.stop(block=False)
        try:
            future = ref.ask("x", block=False)
        except pykka.ActorDeadError:
            continue  # stopped before the ask: refused up front
        try:
            assert future.get(timeout=WAIT_S) == "x"
        except pykka.ActorDeadError:
            pass  # stopped after the ask was queued: refused, not left waiting
        assert ref.actor_stopped.wait(WAIT_S)


def test_a_chain_of_blocking_asks_deeper_than_the_pool_completes() -> None:
    pool = rt.ActorPool(threads=1, name="test-pool-chain")

    class Asker(rt.PooledActor):
        actor_pool = pool

        def __init__(self, nxt: pykka.ActorRef[Any] | None) -> None:
            super().__init__()
            self.nxt = nxt

        def on_receive(self, message: Any) -> Any:
            if self.nxt is None:
                return [message]
            return [message, *self.nxt.ask(message + 1, timeout=WAIT_S)]

    ref = None
    refs = []
    for _ in range(6):
        ref = Asker.start(ref)
        refs.append(ref)
    assert ref is not None
    assert ref.ask(0, timeout=WAIT_S) == [0, 1, 2, 3, 4, 5]
    assert pool.stats().spares_started >= 5  # one worker per blocked asker
    for r in refs:
        r.stop(block=True, timeout=WAIT_S)
    for thread in _pool_threads(pool):
        thread.join(WAIT_S)
    assert _pool_threads(pool) == []


def test_a_handler_blocked_outside_pykka_does_not_stall_the_others() -> None:
    pool = rt.ActorPool(threads=1, stall_s=0.02, name="test-pool-stall")
    release, blocking = threading.Event(), threading.Event()

    class Blocker(rt.PooledActor):
        actor_pool = pool

        def on_receive(self, message: Any) -> None:
            blocking.set()
            release.wait(WAIT_S)

    class Echo(Recorder):
        actor_pool = pool

    blocker = Blocker.start()
    echo = Echo.start()
    assert echo.ask("started", timeout=WAIT_S) == "started"
    blocker.tell("block the only worker")
    assert blocking.wait(WAIT_S)
    # the monitor sees queued work make no progress and adds a worker
    assert echo.ask("still served", timeout=WAIT_S) == "still served"
    release.set()
    blocker.stop(block=True, timeout=WAIT_S)
    echo.stop(block=True, timeout=WAIT_S)
    for thread in _pool_threads(pool):
        thread.join(WAIT_S)
    assert pool.stats().spares_started >= 1


def test_a_told_actor_runs_on_the_worker_that_told_it() -> None:
    pool = rt.ActorPool(threads=2, name="test-pool-next")

    class Hop(rt.PooledActor):
        actor_pool = pool

        def __init__(self, nxt: pykka.ActorRef[Any] | None) -> None:
            super().__init__()
            self.nxt = nxt
            self.ran_on: list[tuple[int, str]] = []

        def on_receive(self, message: Any) -> Any:
            if message == "ran_on":
                return list(self.ran_on)
            self.ran_on.append((message, threading.current_thread().name))
            if self.nxt is not None:
                self.nxt.tell(message)
            return None

    last = Hop.start(None)
    first = Hop.start(last)
    for i in range(50):
        first.tell(i)
        first.ask("ran_on", timeout=WAIT_S)  # one message at a time through both actors
        last.ask("ran_on", timeout=WAIT_S)
    sent = first.ask("ran_on", timeout=WAIT_S)
    received = last.ask("ran_on", timeout=WAIT_S)
    # no hand-over to another thread: the told actor ran next on the teller's worker
    assert received == sent
    first.stop(block=True, timeout=WAIT_S)
    last.stop(block=True, timeout=WAIT_S)


def test_a_supervised_pooled_child_is_restarted_after_a_crash() -> None:
    class Child(rt.PooledActor, Supervised):
        def on_receive(self, message: Any) -> Any:
            if message == "crash":
                raise RuntimeError("child crashed")
            return (message, self.generation)

    sup = Supervisor.start(children=[ChildSpec(id="c", actor_class=Child,
                                               restart=Restart.PERMANENT, watchdog=False)],
                           max_restarts=3, max_seconds=10)
    address = sup.ask(GetAddress(child_id="c"), timeout=WAIT_S)
    assert address.ask("hi", timeout=WAIT_S) == ("hi", 1)
    address.tell("crash")
    ref = address.wait_running(timeout=WAIT_S, after_generation=1)
    assert ref.ask("again", timeout=WAIT_S) == ("again", 2)
    sup.stop(block=True, timeout=WAIT_S)


def test_pool_configuration_is_checked() -> None:
    with pytest.raises(rt.ConfigError):
        rt.ActorPool(threads=0)
    with pytest.raises(rt.ConfigError):
        rt.ActorPool(threads=4, max_threads=2)
    with pytest.raises(rt.ConfigError):
        rt.ActorPool(stall_s=0)


def test_pool_threads_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(POOL_THREADS_ENV, raising=False)
    assert pool_threads_from_env() == 2
    monkeypatch.setenv(POOL_THREADS_ENV, "3")
    assert pool_threads_from_env() == 3
    for bad in ("0", "-1", "many"):
        monkeypatch.setenv(POOL_THREADS_ENV, bad)
        with pytest.raises(rt.ConfigError, match=POOL_THREADS_ENV):
            pool_threads_from_env()


class Where(rt.PooledActor):
    """Records the thread that handled each message; ``gate`` holds a "hold" message. Opted
    in to running on the thread that tells it (``tell_and_run``) while quick."""

    guest_runs = True

    def __init__(self, gate: threading.Event | None = None) -> None:
        super().__init__()
        self.gate = gate
        self.ran_on: list[tuple[Any, str]] = []

    def on_receive(self, message: Any) -> Any:
        if message == "ran_on":
            return list(self.ran_on)
        self.ran_on.append((message, threading.current_thread().name))
        if message == "hold" and self.gate is not None:
            self.gate.wait(WAIT_S)
        return None


def test_tell_and_run_handles_the_message_on_the_calling_thread_when_idle() -> None:
    ref = Where.start()
    for i in range(50):
        # after an answer the worker may still be finishing its batch (then the message goes
        # to the pool); most rounds find the actor idle and run the message right here
        assert ref.ask(("warm", i), timeout=WAIT_S) is None
        rt.tell_and_run(ref, ("here", i))
    ran_on = ref.ask("ran_on", timeout=WAIT_S)
    assert [m for m, _ in ran_on] == [(k, i) for i in range(50) for k in ("warm", "here")]
    here = [name for (kind, _), name in ran_on if kind == "here"]
    assert threading.current_thread().name in here
    ref.stop(block=True, timeout=WAIT_S)


def test_tell_and_run_keeps_order_behind_a_busy_actor() -> None:
    gate = threading.Event()
    ref = Where.start(gate)
    ref.tell("hold")
    rt.tell_and_run(ref, "after hold")  # the actor is busy: queued, handled by the pool
    gate.set()
    ran_on = ref.ask("ran_on", timeout=WAIT_S)
    assert [m for m, _ in ran_on] == ["hold", "after hold"]
    assert ran_on[1][1].startswith(rt.default_pool().name)
    ref.stop(block=True, timeout=WAIT_S)


def test_tell_and_run_to_a_stopped_or_threading_actor() -> None:
    ref = Where.start()
    ref.stop(block=True, timeout=WAIT_S)
    with pytest.raises(pykka.ActorDeadError):
        rt.tell_and_run(ref, "too late")

    got = threading.Event()

    class Plain(pykka.ThreadingActor):
        def on_receive(self, message: Any) -> None:
            if threading.current_thread() is not threading.main_thread():
                got.set()

    plain = Plain.start()
    rt.tell_and_run(plain, "a plain tell")
    assert got.wait(WAIT_S)
    plain.stop(block=True, timeout=WAIT_S)


class Relay(rt.PooledActor):
    """Forwards every message to ``target`` (what a session does with its subscriber)."""

    guest_runs = True

    def __init__(self, target: pykka.ActorRef[Any]) -> None:
        super().__init__()
        self.target = target

    def on_receive(self, message: Any) -> None:
        self.target.tell(message)


class Busy(Where):
    """Works ``message`` seconds of CPU (a slow handler), then records where it ran."""

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, float):
            import time

            end = time.perf_counter() + message
            while time.perf_counter() < end:
                pass
        return super().on_receive(message)


class PoolOnly(Where):
    guest_runs = False


class ByDefault(rt.PooledActor):
    """Records the thread of each message; ``guest_runs`` left at its default."""

    def __init__(self) -> None:
        super().__init__()
        self.ran_on: list[tuple[Any, str]] = []

    def on_receive(self, message: Any) -> Any:
        if message == "ran_on":
            return list(self.ran_on)
        self.ran_on.append((message, threading.current_thread().name))
        return None


def _until_idle(ref: pykka.ActorRef[Any]) -> None:
    """Ask until the actor is idle after answering (its worker may still be ending a batch)."""
    for _ in range(10_000):
        ref.ask("warm", timeout=WAIT_S)
        if ref.actor_inbox.is_idle():
            return
    raise AssertionError(f"{ref} never went idle")


def test_an_actor_told_during_tell_and_run_runs_on_the_same_thread_while_quick() -> None:
    subscriber = Busy.start()
    relay = Relay.start(subscriber)
    here = threading.current_thread().name
    for i in range(30):
        _until_idle(relay)
        _until_idle(subscriber)
        rt.tell_and_run(relay, i)
    ran_on = [name for m, name in subscriber.ask("ran_on", timeout=WAIT_S) if isinstance(m, int)]
    assert len(ran_on) == 30
    assert here in ran_on  # quick: run by the thread that read the message
    relay.stop(block=True, timeout=WAIT_S)
    subscriber.stop(block=True, timeout=WAIT_S)


def test_a_slow_actor_is_moved_to_the_pool_for_good() -> None:
    subscriber = Busy.start()
    relay = Relay.start(subscriber)
    here = threading.current_thread().name
    for _ in range(30):  # a round may find the relay still busy and run on the pool instead
        _until_idle(relay)
        _until_idle(subscriber)
        rt.tell_and_run(relay, 0.01)  # 10 ms of work: over the quick bound
        if subscriber.actor_inbox.slow:
            break
    assert subscriber.actor_inbox.slow
    slow_ran_on = [name for m, name in subscriber.ask("ran_on", timeout=WAIT_S) if m == 0.01]
    assert slow_ran_on[-1] == here  # the batch that was measured ran here
    for i in range(10):
        _until_idle(relay)
        _until_idle(subscriber)
        rt.tell_and_run(relay, i)
    ran_on = subscriber.ask("ran_on", timeout=WAIT_S)
    later = [name for m, name in ran_on if isinstance(m, int)]
    assert len(later) == 10 and here not in later  # never outside the pool again
    relay.stop(block=True, timeout=WAIT_S)
    subscriber.stop(block=True, timeout=WAIT_S)


def test_an_actor_with_guest_runs_off_stays_on_the_pool() -> None:
    target = PoolOnly.start()
    relay = Relay.start(target)
    for i in range(20):
        _until_idle(relay)
        _until_idle(target)
        rt.tell_and_run(relay, i)
    ran_on = [name for m, name in target.ask("ran_on", timeout=WAIT_S) if isinstance(m, int)]
    assert len(ran_on) == 20
    assert all(name.startswith(rt.default_pool().name) for name in ran_on), ran_on
    relay.stop(block=True, timeout=WAIT_S)
    target.stop(block=True, timeout=WAIT_S)


def test_an_actor_that_did_not_opt_in_never_runs_on_the_telling_thread() -> None:
    target = ByDefault.start()
    relay = Relay.start(target)
    here = threading.current_thread().name
    for i in range(20):
        _until_idle(target)
        rt.tell_and_run(target, ("direct", i))  # a plain tell: handled by the pool
        _until_idle(relay)
        _until_idle(target)
        rt.tell_and_run(relay, ("relayed", i))  # the relay runs here; the target does not
    ran_on = target.ask("ran_on", timeout=WAIT_S)
    ours = [(m, name) for m, name in ran_on if isinstance(m, tuple)]
    assert len(ours) == 40
    assert all(name != here and name.startswith(rt.default_pool().name) for _, name in ours)
    relay.stop(block=True, timeout=WAIT_S)
    target.stop(block=True, timeout=WAIT_S)


def test_an_interrupt_of_the_lending_thread_fails_the_actor_and_reaches_the_caller() -> None:
    failed = threading.Event()

    class Interrupted(rt.PooledActor):
        guest_runs = True

        def on_receive(self, message: Any) -> None:
            if message == "interrupt":
                raise KeyboardInterrupt  # as if Ctrl-C hit the caller while it ran the actor

        def on_failure(self, *exc_info: Any) -> None:
            failed.set()

    ref = Interrupted.start()
    other = Where.start()  # must survive: the interrupt is the caller's, not the process's
    _until_idle(ref)
    with pytest.raises(KeyboardInterrupt):
        rt.tell_and_run(ref, "interrupt")
    assert failed.is_set() and ref.actor_stopped.is_set()
    with pytest.raises(pykka.ActorDeadError):
        ref.tell("anything")
    assert other.ask("ran_on", timeout=WAIT_S) == []  # every other actor goes on
    other.stop(block=True, timeout=WAIT_S)
