"""Test actors and a thread-safe event recorder for the supervision tests."""

from __future__ import annotations

import threading
from typing import Any

import pykka

from realtime_actors.supervision import ChildSpec, Supervised, SupervisionLink

TIMEOUT = 5.0


class Recorder:
    """Collects (kind, name, generation, ...) tuples from actors; waits with timeouts."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.events: list[tuple[Any, ...]] = []

    def add(self, event: tuple[Any, ...]) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, event: tuple[Any, ...], timeout: float = TIMEOUT) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: event in self.events, timeout=timeout):
                raise AssertionError(f"{event} not seen; events: {self.events}")

    def of_kind(self, kind: str) -> list[tuple[Any, ...]]:
        with self._cond:
            return [e for e in self.events if e[0] == kind]


class Worker(Supervised):
    """Records start/stop; 'crash' (tell) raises, 'ping' answers its generation."""

    def __init__(
        self,
        *,
        name: str,
        recorder: Recorder,
        setup_failures: list[int] | None = None,
        link: SupervisionLink | None = None,
    ) -> None:
        super().__init__(link=link)
        self._name = name
        self._recorder = recorder
        self._setup_failures = setup_failures

    def setup(self) -> None:
        if self._setup_failures and self._setup_failures[0] > 0:
            self._setup_failures[0] -= 1
            self._recorder.add(("setup_failed", self._name, self.generation))
            raise RuntimeError("setup boom")
        self._recorder.add(("started", self._name, self.generation))

    def teardown(self) -> None:
        self._recorder.add(("stopped", self._name, self.generation))

    def on_receive(self, message: Any) -> Any:
        if message == "crash":
            raise RuntimeError("boom")
        if message == "ping":
            return self.generation
        if message == "healthy":
            self.report_healthy()
            return None
        if message == "exit_normal":
            self.stop_with("done", abnormal=False)
            return None
        if isinstance(message, tuple) and message[0] == "record":
            self._recorder.add(("got", self._name, self.generation, message[1]))
            return None
        raise ValueError(f"unexpected {message!r}")


class PlainWorker(pykka.ThreadingActor):
    """Not Supervised: only a watchdog notices its crash."""

    def __init__(self, *, recorder: Recorder) -> None:
        super().__init__()
        self._recorder = recorder

    def on_start(self) -> None:
        self._recorder.add(("plain_started", self.actor_urn))

    def on_receive(self, message: Any) -> Any:
        if message == "crash":
            raise RuntimeError("plain boom")
        return "pong"


def worker_spec(name: str, recorder: Recorder, **spec_options: Any) -> ChildSpec:
    """A ChildSpec for a Worker named ``name``."""
    setup_failures = spec_options.pop("setup_failures", None)
    return ChildSpec(
        id=name,
        actor_class=Worker,
        kwargs={"name": name, "recorder": recorder, "setup_failures": setup_failures},
        shutdown_timeout_s=TIMEOUT,
        **spec_options,
    )


def crash_and_wait_restart(address: Any, recorder: Recorder, name: str) -> int:
    """Crash the current incarnation and wait for the next one to start; return its gen."""
    old = address.generation
    address.tell("crash")
    recorder.wait_for(("started", name, old + 1))
    address.wait_running(timeout=TIMEOUT, after_generation=old)
    return old + 1



class SlowStopper(Supervised):
    """A child whose teardown waits for ``release`` (bounded): a stop that hangs."""

    def __init__(
        self,
        *,
        name: str,
        recorder: Recorder,
        release: threading.Event,
        link: SupervisionLink | None = None,
    ) -> None:
        super().__init__(link=link)
        self._name = name
        self._recorder = recorder
        self._release = release

    def setup(self) -> None:
        self._recorder.add(("started", self._name, self.generation))

    def teardown(self) -> None:
        self._recorder.add(("stopping", self._name, self.generation))
        self._release.wait(TIMEOUT * 2)  # bounded: a test that forgets to release still ends
        self._recorder.add(("stopped", self._name, self.generation))

    def on_receive(self, message: Any) -> Any:
        if message == "crash":
            raise RuntimeError("boom")
        return self.generation


def slow_spec(
    name: str, recorder: Recorder, release: threading.Event, **spec_options: Any
) -> ChildSpec:
    """A ChildSpec for a SlowStopper named ``name``."""
    spec_options.setdefault("shutdown_timeout_s", TIMEOUT)
    return ChildSpec(
        id=name,
        actor_class=SlowStopper,
        kwargs={"name": name, "recorder": recorder, "release": release},
        **spec_options,
    )
