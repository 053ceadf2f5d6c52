"""The reactor as an actor pool: actors scheduled on its one thread, timers, wake-ups, exit."""

from __future__ import annotations

import threading
import time
from typing import Any

import pykka
import pytest

import realtime_actors as rt
from realtime_actors.reactor import Reactor
from tests.unit.reactor_support import WAIT_S, wait_gone

REACTOR = Reactor("test-reactor")


class OnReactor(rt.PooledActor):
    """Records the thread of every message; forwards to ``next_hop`` when given one."""

    actor_pool = REACTOR

    def __init__(self, next_hop: pykka.ActorRef[Any] | None = None) -> None:
        super().__init__()
        self.next_hop = next_hop
        self.seen: list[tuple[Any, str]] = []

    def on_receive(self, message: Any) -> Any:
        if message == "seen":
            return list(self.seen)
        self.seen.append((message, threading.current_thread().name))
        if self.next_hop is not None:
            self.next_hop.tell(message)
        return None


def test_actors_run_on_the_reactor_thread_in_order_and_the_thread_ends_with_them() -> None:
    last = OnReactor.start()
    first = OnReactor.start(last)
    for i in range(200):  # from this thread: queued, and the sleeping reactor is woken
        first.tell(i)
    rt.tell_and_run(first, "run here?")  # never on the caller's thread: reactor actors only
    assert [m for m, _ in first.ask("seen", timeout=WAIT_S)] == [*range(200), "run here?"]
    seen = last.ask("seen", timeout=WAIT_S)
    assert [m for m, _ in seen] == [*range(200), "run here?"]
    assert {name for _, name in seen} == {"test-reactor"}
    thread = REACTOR.thread
    assert thread is not None and thread.is_alive()
    first.stop(block=True, timeout=WAIT_S)
    last.stop(block=True, timeout=WAIT_S)
    wait_gone(thread)
    assert REACTOR.thread is None


def test_call_later_and_call_soon_run_on_the_reactor_thread() -> None:
    keeper = OnReactor.start()  # keeps the thread running
    ran: list[tuple[str, str]] = []
    done = threading.Event()

    def later() -> None:
        ran.append(("later", threading.current_thread().name))
        done.set()

    def soon() -> None:
        ran.append(("soon", threading.current_thread().name))
        REACTOR.call_later(0.05, later)  # reactor thread only, as documented

    REACTOR.call_soon(soon)
    assert done.wait(WAIT_S)
    assert ran == [("soon", "test-reactor"), ("later", "test-reactor")]
    keeper.stop(block=True, timeout=WAIT_S)
    wait_gone(REACTOR.thread)


def test_a_failing_reactor_actor_stops_alone_and_the_reactor_goes_on() -> None:
    class Fragile(rt.PooledActor):
        actor_pool = REACTOR

        def on_receive(self, message: Any) -> Any:
            if message == "boom":
                raise ValueError("boom")
            return message

    fragile = Fragile.start()
    other = OnReactor.start()
    with pytest.raises(ValueError, match="boom"):
        fragile.ask("boom", timeout=WAIT_S)  # an asked failure goes back to the caller
    assert fragile.ask("still here", timeout=WAIT_S) == "still here"
    fragile.tell("boom")  # a told failure stops the actor, as pykka's loop does
    fragile.actor_stopped.wait(WAIT_S)
    assert fragile.actor_stopped.is_set()
    other.tell("after")
    assert [m for m, _ in other.ask("seen", timeout=WAIT_S)] == ["after"]
    other.stop(block=True, timeout=WAIT_S)
    wait_gone(REACTOR.thread)


def test_the_library_connection_actor_runs_on_the_process_reactor() -> None:
    from realtime_actors.transport.websocket_actor import WebSocketActor

    assert WebSocketActor.actor_pool is rt.reactor()
    assert rt.reactor().allows_guests is False


class Relay(rt.PooledActor):
    """A pool actor that runs no user code (as the session for audio deltas) and tells on."""

    guest_runs = True

    def __init__(self, target: pykka.ActorRef[Any]) -> None:
        super().__init__()
        self.target = target

    def on_receive(self, message: Any) -> Any:
        if message != "ping":
            self.target.tell(message)


class Quick(rt.PooledActor):
    """A subscriber on the pool; ``guest_runs`` set by the test."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[Any, str]] = []

    def on_receive(self, message: Any) -> Any:
        if message == "seen":
            return list(self.seen)
        if message != "ping":
            self.seen.append((message, threading.current_thread().name))
        return None


class OptedIn(Quick):
    guest_runs = True


class Reader(rt.PooledActor):
    """Stands for a connection on the reactor: hands what it reads to ``relay``."""

    actor_pool = REACTOR

    def __init__(self, relay: pykka.ActorRef[Any]) -> None:
        super().__init__()
        self.relay = relay

    def on_receive(self, message: Any) -> Any:
        rt.tell_and_run(self.relay, message)


def _idle(*refs: pykka.ActorRef[Any]) -> None:
    for ref in refs:
        for _ in range(10_000):
            ref.ask("ping", timeout=WAIT_S)
            if ref.actor_inbox.is_idle():
                break


@pytest.mark.parametrize("subscriber", [OptedIn, Quick], ids=["opted-in", "default"])
def test_only_a_subscriber_that_opts_in_runs_on_the_reactor(subscriber: type[Quick]) -> None:
    target = subscriber.start()
    relay = Relay.start(target)
    reader = Reader.start(relay)
    for i in range(30):
        _idle(relay, target)
        reader.ask(i, timeout=WAIT_S)  # read on the reactor, handed to the idle relay there
    seen = target.ask("seen", timeout=WAIT_S)
    assert [m for m, _ in seen] == list(range(30))
    on_reactor = [name for _, name in seen if name == "test-reactor"]
    if subscriber is OptedIn:
        assert on_reactor  # quick and idle: run right where the event was read
    else:
        assert not on_reactor, seen  # never, without opting in
    for ref in (reader, relay, target):
        ref.stop(block=True, timeout=WAIT_S)
    wait_gone(REACTOR.thread)


class Teller(rt.PooledActor):
    """A reactor actor (as the session) that tells its subscriber each message directly."""

    actor_pool = REACTOR

    def __init__(self, target: pykka.ActorRef[Any]) -> None:
        super().__init__()
        self.target = target

    def on_receive(self, message: Any) -> Any:
        self.target.tell(message)


class SlowOnce(OptedIn):
    """Opted in, but its first batch is not quick: the reactor sends it to its pool."""

    def on_receive(self, message: Any) -> Any:
        if message == 0:
            time.sleep(0.01)  # a handler that overstays (what the 2 ms rule is about)
        return super().on_receive(message)


@pytest.mark.parametrize("subscriber", [OptedIn, Quick, SlowOnce],
                         ids=["opted-in", "default", "slow"])
def test_a_reactor_actor_hosts_only_quick_subscribers_that_opt_in(
        subscriber: type[Quick]) -> None:
    target = subscriber.start()
    teller = Teller.start(target)
    for i in range(30):
        _idle(target)
        teller.ask(i, timeout=WAIT_S)
    seen = target.ask("seen", timeout=WAIT_S)
    assert [m for m, _ in seen] == list(range(30))  # in order, wherever they ran
    names = [name for _, name in seen]
    if subscriber is OptedIn:
        assert set(names) == {"test-reactor"}, names
    elif subscriber is SlowOnce:
        assert names[0] == "test-reactor" and "test-reactor" not in names[1:], names
    else:
        assert "test-reactor" not in names, names
    for ref in (teller, target):
        ref.stop(block=True, timeout=WAIT_S)
    wait_gone(REACTOR.thread)
