"""runtime.tell_if_alive: a message to a stopped actor is dropped and the drop is logged."""

from __future__ import annotations

import logging
import queue
from typing import Any

import pytest

from realtime_actors.runtime.tell import tell_if_alive
from tests.realtime.support import Collector

WAIT_S = 5.0


def test_a_live_actor_gets_the_message(caplog: pytest.LogCaptureFixture) -> None:
    got: queue.Queue[Any] = queue.Queue()
    ref = Collector.start(got)
    try:
        with caplog.at_level(logging.DEBUG, logger="test.tell"):
            assert tell_if_alive(ref, "hello", logging.getLogger("test.tell"), "gone") is True
        assert got.get(timeout=WAIT_S) == "hello"
        assert not [r for r in caplog.records if r.name == "test.tell"]
    finally:
        ref.stop()


def test_a_stopped_actor_drops_the_message_and_the_caller_logs_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ref = Collector.start(queue.Queue())
    ref.stop()
    log = logging.getLogger("test.tell")
    with caplog.at_level(logging.DEBUG, logger="test.tell"):
        assert tell_if_alive(ref, "late", log, "run %d ended after %s", 7, "its actor") is False
        assert tell_if_alive(ref, "late", log, "tool finished late", level=logging.INFO) is False
    records = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "test.tell"]
    assert records == [(logging.DEBUG, "run 7 ended after its actor"),
                       (logging.INFO, "tool finished late")]


def test_other_errors_are_not_swallowed() -> None:
    class Broken:
        def tell(self, message: object) -> None:
            raise RuntimeError("not a dead actor")

    with pytest.raises(RuntimeError, match="not a dead actor"):
        tell_if_alive(Broken(), "x", logging.getLogger("test.tell"), "gone")
