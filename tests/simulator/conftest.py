"""Shared fixtures of the simulator tests: a REST server whose scenario a test can swap."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from realtime_actors.simulator.rest_server import RestServer
from realtime_actors.simulator.scenario import Scenario

KEY = "sk-test-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {KEY}"}


class Box:
    """The scenario the server under test reads for every request."""

    def __init__(self) -> None:
        self.scenario = Scenario()


@pytest.fixture
def box() -> Box:
    return Box()


@pytest.fixture
def server(box: Box) -> Iterator[RestServer]:
    srv = RestServer(lambda: box.scenario).start()
    try:
        yield srv
    finally:
        srv.stop()
