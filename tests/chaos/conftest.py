"""Fixtures of the chaos tests: the session harness of the end-to-end tests, and the proxies a
test starts (stopped after its sessions are closed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.chaos.proxy import ChaosProxy
from tests.realtime.conftest import harness, sim
from tests.realtime.support import Harness

__all__ = ["chaos", "harness", "sim"]


@pytest.fixture
def chaos(harness: Harness) -> Iterator[list[ChaosProxy]]:
    """Proxies the test appends; its sessions are closed first, then the proxies stopped."""
    proxies: list[ChaosProxy] = []
    yield proxies
    for session in harness.sessions:
        session.close()
    for proxy in proxies:
        proxy.stop()
