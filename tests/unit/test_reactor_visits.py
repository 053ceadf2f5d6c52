"""A reactor actor's messages that run user code (``PooledActor.runs_user_code``) are handled on
a worker of the default pool, the rest on the reactor thread, in order, one at a time."""

from __future__ import annotations

import threading
from typing import Any

import pykka

import realtime_actors as rt
from realtime_actors.runtime.actor_pool import default_pool

TIMEOUT = 10.0
GATE_S = 60.0
"""How long a gated handler waits at most (longer than any ask here)."""


class Recorder(rt.PooledActor):
    """Records (message, thread name); messages starting with "user" run user code."""

    actor_pool = rt.reactor()

    def __init__(self, gate: threading.Event | None = None,
                 entered: threading.Event | None = None,
                 seen: list[tuple[str, str]] | None = None) -> None:
        super().__init__()
        self.seen: list[tuple[str, str]] = seen if seen is not None else []
        self.running = 0
        self.overlaps = 0
        self.gate = gate
        self.entered = entered or threading.Event()

    def runs_user_code(self, message: Any) -> bool:
        return isinstance(message, str) and message.startswith("user")

    def on_receive(self, message: Any) -> Any:
        if message == "seen":
            return list(self.seen)
        if message == "overlaps":
            return self.overlaps
        self.running += 1
        if self.running > 1:
            self.overlaps += 1
        if message == "user-wait" and self.gate is not None:
            self.entered.set()
            self.gate.wait(GATE_S)
        self.seen.append((message, threading.current_thread().name))
        self.running -= 1
        return None


def test_user_code_messages_run_on_pool_workers_the_rest_on_the_reactor_in_order() -> None:
    ref = Recorder.start()
    try:
        sent = ["a", "user1", "user2", "b", "user3", "c", "d", "user4"]
        for message in sent:
            ref.tell(message)
        seen = ref.ask("seen", timeout=TIMEOUT)
    finally:
        ref.stop()
    assert [message for message, _ in seen] == sent
    for message, thread in seen:
        if message.startswith("user"):
            assert thread.startswith(default_pool().name), (message, thread)
        else:
            assert thread.startswith(rt.reactor().name), (message, thread)


def test_one_message_at_a_time_while_many_threads_tell() -> None:
    ref = Recorder.start()
    try:
        def tell_many(n: int) -> None:
            for i in range(200):
                ref.tell(f"user-{n}-{i}" if i % 3 else f"plain-{n}-{i}")

        threads = [threading.Thread(target=tell_many, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT)
        seen = ref.ask("seen", timeout=TIMEOUT)
        overlaps = ref.ask("overlaps", timeout=TIMEOUT)
    finally:
        ref.stop()
    assert overlaps == 0
    assert len(seen) == 800
    for n in range(4):  # each sender's order is kept
        mine = [m for m, _ in seen if m.split("-")[1] == str(n)]
        assert [int(m.split("-")[2]) for m in mine] == list(range(200))


def test_the_reactor_keeps_running_other_actors_while_a_visit_blocks() -> None:
    gate, entered = threading.Event(), threading.Event()
    slow = Recorder.start(gate, entered)
    other = Recorder.start()
    try:
        slow.tell("user-wait")
        assert entered.wait(TIMEOUT)
        other.tell("quick")  # handled on the reactor while the slow one waits on a worker
        assert other.ask("seen", timeout=TIMEOUT) == [("quick", rt.reactor().name)]
        slow.tell("after")
        gate.set()
        assert [m for m, _ in slow.ask("seen", timeout=TIMEOUT)] == ["user-wait", "after"]
    finally:
        gate.set()
        slow.stop()
        other.stop()


def test_a_stop_told_during_a_visit_is_handled_after_it() -> None:
    gate, entered = threading.Event(), threading.Event()
    seen: list[tuple[str, str]] = []
    ref = Recorder.start(gate, entered, seen)
    ref.tell("user-wait")
    assert entered.wait(TIMEOUT)
    stopped = ref.stop(block=False)
    ref.tell("late")  # queued behind the stop: refused, never handled
    gate.set()
    stopped.get(timeout=TIMEOUT)
    assert not ref.is_alive()
    assert [m for m, _ in seen] == ["user-wait"]
    try:
        ref.tell("after stop")
    except pykka.ActorDeadError:
        pass
    else:
        raise AssertionError("a stopped actor took a message")
