"""Fixtures of the durable-session tests: the end-to-end harness of tests/realtime."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.realtime.support import Harness


@pytest.fixture
def harness() -> Iterator[Harness]:
    """Simulators and sessions for one test, released (and checked for GA conformance)."""
    h = Harness()
    yield h
    h.release()
