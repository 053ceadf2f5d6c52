from __future__ import annotations

import logging
import threading
import time
from typing import (
    TYPE_CHECKING,
    Any,
    cast,
)

import pytest

from pykka import ActorRegistry, ThreadingActor, ThreadingFuture
from realtime_actors.reactor.core import reactor
from realtime_actors.runtime.pooled_actor import PooledActor, PooledFuture
from tests.pykka.log_handler import PykkaTestLogHandler
from tests.pykka.types import Events, Runtime

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pykka import Actor, Future


class VisitingActor(PooledActor):
    """realtime-actors: a reactor actor whose every message runs user code, so each one is
    handled on a worker of the default pool (the way a session's user-code messages are)."""

    actor_pool = reactor()

    def runs_user_code(self, message: Any) -> bool:
        return True


RUNTIMES = {
    "threading": pytest.param(
        Runtime(
            name="threading",
            actor_class=ThreadingActor,
            event_class=threading.Event,
            future_class=ThreadingFuture,
            sleep_func=time.sleep,
        ),
        id="threading",
    ),
    # realtime-actors: the pooled actor type must pass pykka's own suite
    "pooled": pytest.param(
        Runtime(
            name="pooled",
            actor_class=PooledActor,
            event_class=threading.Event,
            future_class=PooledFuture,
            sleep_func=time.sleep,
        ),
        id="pooled",
    ),
    "visiting": pytest.param(
        Runtime(
            name="visiting",
            actor_class=VisitingActor,
            event_class=threading.Event,
            future_class=PooledFuture,
            sleep_func=time.sleep,
        ),
        id="visiting",
    ),
}


@pytest.fixture(scope="session", params=RUNTIMES.values())
def runtime(request: pytest.FixtureRequest) -> Runtime:
    return cast("Runtime", request.param)


@pytest.fixture
def _stop_all() -> Iterator[None]:  # pyright: ignore[reportUnusedFunction]
    yield
    ActorRegistry.stop_all()


@pytest.fixture
def log_handler() -> Iterator[logging.Handler]:
    log_handler = PykkaTestLogHandler()

    root_logger = logging.getLogger()
    root_logger.addHandler(log_handler)
    # pytest sets the root logger level to WARNING. We reset it to NOTSET
    # so that all log messages reaches our log handler.
    level = root_logger.level  # realtime-actors: restored below
    root_logger.setLevel(logging.NOTSET)

    yield log_handler

    log_handler.close()
    # realtime-actors: the project's other tests run in the same process after these
    root_logger.removeHandler(log_handler)
    root_logger.setLevel(level)


@pytest.fixture
def events(runtime: Runtime) -> Events:
    return Events(
        on_start_was_called=runtime.event_class(),
        on_stop_was_called=runtime.event_class(),
        on_failure_was_called=runtime.event_class(),
        greetings_was_received=runtime.event_class(),
        actor_registered_before_on_start_was_called=runtime.event_class(),
    )


@pytest.fixture(scope="module")
def early_failing_actor_class(runtime: Runtime) -> type[Actor]:
    class EarlyFailingActor(runtime.actor_class):  # type: ignore[name-defined]
        def __init__(self, events: Events) -> None:
            super().__init__()
            self.events = events

        def on_start(self) -> None:
            try:
                raise RuntimeError("on_start failure")
            finally:
                self.events.on_start_was_called.set()

    return EarlyFailingActor


@pytest.fixture(scope="module")
def late_failing_actor_class(runtime: Runtime) -> type[Actor]:
    class LateFailingActor(runtime.actor_class):  # type: ignore[name-defined]
        def __init__(self, events: Events) -> None:
            super().__init__()
            self.events = events

        def on_start(self) -> None:
            self.stop()

        def on_stop(self) -> None:
            try:
                raise RuntimeError("on_stop failure")
            finally:
                self.events.on_stop_was_called.set()

    return LateFailingActor


@pytest.fixture(scope="module")
def failing_on_failure_actor_class(runtime: Runtime) -> type[Actor]:
    class FailingOnFailureActor(runtime.actor_class):  # type: ignore[name-defined]
        def __init__(self, events: Events) -> None:
            super().__init__()
            self.events = events

        def on_receive(self, message: Any) -> Any:
            if message.get("command") == "raise exception":
                raise Exception("on_receive failure")
            return super().on_receive(message)

        def on_failure(self, *args: Any) -> None:  # pyright: ignore[reportIncompatibleMethodOverride]
            try:
                raise RuntimeError("on_failure failure")
            finally:
                self.events.on_failure_was_called.set()

    return FailingOnFailureActor


@pytest.fixture
def future(runtime: Runtime) -> Future[Any]:
    return runtime.future_class()


@pytest.fixture
def futures(runtime: Runtime) -> list[Future[Any]]:
    return [runtime.future_class() for _ in range(3)]


# realtime-actors: pykka's tests share actors across the tests of a module (module-scoped
# fixtures), so the project's per-test leak check is replaced by one per module.
@pytest.fixture(autouse=True)
def no_leaks() -> Iterator[None]:
    yield


@pytest.fixture(autouse=True, scope="module")
def no_leaks_per_module() -> Iterator[None]:
    before = {t for t in threading.enumerate() if t.is_alive()}
    yield
    ActorRegistry.stop_all(block=True, timeout=5)
    deadline = time.monotonic() + 5.0
    for thread in {t for t in threading.enumerate() if t.is_alive()} - before:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    left = {t.name for t in threading.enumerate() if t.is_alive()} - {t.name for t in before}
    assert not left, f"pykka's suite left threads running: {sorted(left)}"
