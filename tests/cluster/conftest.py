"""Fixtures of the cluster tests: a local Ray started once per module and shut down after
it (so no Ray process outlives the module), and a remembering simulator the hosts reach on
127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import ray

from realtime_actors.simulator import ReplyContext, Scenario, Simulator


def remembering_reply(ctx: ReplyContext) -> str:
    """A model that says what it remembers, so a test can see a restored conversation."""
    return f"You said: {ctx.user_text} | memory: {' / '.join(ctx.history)}"


@pytest.fixture(scope="module")
def module_sim() -> Iterator[Simulator]:
    """One simulator for the module's hosts."""
    with Simulator(Scenario(reply=remembering_reply)) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """``ray.init(num_cpus=2)`` without dashboard, once per module; shut down after it."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    yield
    ray.shutdown()
