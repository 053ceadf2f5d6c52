"""Shared fixtures: every test must leave no thread and no actor running; ``sim`` is a running
default simulator (a test folder or module that needs another one defines its own ``sim``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pykka
import pytest

from realtime_actors.simulator import Simulator


def _live_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t is not threading.main_thread() and t.is_alive()}


@pytest.fixture(autouse=True)
def no_leaks():
    """Fail a test that leaves actors or non-daemon/daemon threads behind."""
    before = _live_threads()
    yield
    leftover_actors = pykka.ActorRegistry.get_all()
    pykka.ActorRegistry.stop_all(block=True, timeout=5)
    # Threads that are finishing their last instructions get a bounded grace period;
    # this is a join with a deadline, not a sleep the test relies on.
    deadline = time.monotonic() + 5.0
    extra = _live_threads() - before
    for thread in extra:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    extra = {t for t in _live_threads() - before}
    assert not leftover_actors, f"test left actors running: {leftover_actors}"
    assert not extra, f"test left threads running: {sorted(t.name for t in extra)}"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A running simulator with the default scenario (its REST server at ``sim.http_url``)."""
    with Simulator() as simulator:
        yield simulator
