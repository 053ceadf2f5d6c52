"""Fixtures of the end-to-end session tests (see support.py for the helpers)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from realtime_actors.simulator import Simulator
from tests.realtime.support import Harness


@pytest.fixture(autouse=True)
def harness() -> Iterator[Harness]:
    """Simulators, sessions and collectors for one test (autouse: every client frame the simulators
    received is validated against the GA client event types when the test ends)."""
    h = Harness()
    yield h
    h.release()


@pytest.fixture
def sim(harness: Harness) -> Simulator:
    """A started default simulator."""
    return harness.sim
