"""Tests of ToolExecutor: outcomes, errors, timeouts, cancellation, bounds and shutdown."""

from __future__ import annotations

import collections
import logging
import queue
import threading
from collections.abc import Iterator

import pytest

from realtime_actors.errors import ConfigError
from realtime_actors.tools.executor import ToolExecutor, ToolOutcome
from realtime_actors.tools.function_tool import (
    ToolArgumentsError,
    ToolCancelledError,
    ToolContext,
    ToolTimeoutError,
    UnknownToolError,
    function_tool,
)

WAIT = 10.0  # generous upper bound for waiting on events; never reached when things work


@pytest.fixture
def executor() -> Iterator[ToolExecutor]:
    ex = ToolExecutor(max_workers=2, default_timeout_s=WAIT)
    try:
        yield ex
    finally:
        assert ex.shutdown(timeout=WAIT)


def _worker_threads() -> list[threading.Thread]:
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith("realtime-tool-") and t.name != "realtime-tool-watchdog"
    ]


@function_tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@function_tool
def whoami(ctx: ToolContext) -> str:
    """Report the context and thread."""
    return f"{ctx.call_id}/{ctx.tool_name}/{ctx.agent_name}/{threading.current_thread().name}"


@function_tool
def explode(message: str) -> None:
    """Raise."""
    raise RuntimeError(message)


@function_tool
def wait_for_cancel(ctx: ToolContext) -> str:
    """Cooperative: return once cancelled."""
    return "stopped" if ctx.cancelled.wait(WAIT) else "never cancelled"


def test_successful_call_reports_output_on_a_named_worker_thread(executor: ToolExecutor) -> None:
    outcomes: queue.Queue[ToolOutcome] = queue.Queue()
    executor.submit(add, "call_1", "add", '{"a": 2, "b": 3}', None, outcomes.put)
    outcome = outcomes.get(timeout=WAIT)
    assert (outcome.call_id, outcome.name, outcome.output) == ("call_1", "add", "5")
    assert outcome.ok
    assert outcome.error is None and outcome.duration_s >= 0.0

    ctx = ToolContext(call_id="call_2", tool_name="whoami", agent_name="Triage")
    executor.submit(whoami, "call_2", "whoami", "{}", ctx, outcomes.put)
    assert outcomes.get(timeout=WAIT).output.startswith("call_2/whoami/Triage/realtime-tool-")


def test_missing_context_is_created_from_call_id_and_name(executor: ToolExecutor) -> None:
    outcomes: queue.Queue[ToolOutcome] = queue.Queue()
    executor.submit(whoami, "call_9", "whoami", "{}", None, outcomes.put)
    assert outcomes.get(timeout=WAIT).output.startswith("call_9/whoami/None/")


def test_unknown_tool_gives_an_unknown_tool_error_outcome(executor: ToolExecutor) -> None:
    outcomes: queue.Queue[ToolOutcome] = queue.Queue()
    executor.submit(None, "call_1", "teleport", "{}", None, outcomes.put)
    outcome = outcomes.get(timeout=WAIT)
    assert outcome.output == "Error: unknown tool 'teleport'"
    assert not outcome.ok and isinstance(outcome.error, UnknownToolError)


def test_raised_exception_becomes_error_output_and_is_logged(
    executor: ToolExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    outcomes: queue.Queue[ToolOutcome] = queue.Queue()
    with caplog.at_level(logging.WARNING, logger="realtime_actors.tools.executor"):
        executor.submit(explode, "call_1", "explode", '{"message": "kaput"}', None, outcomes.put)
        outcome = outcomes.get(timeout=WAIT)
    assert outcome.output == "Error: RuntimeError: kaput"
    assert not outcome.ok and isinstance(outcome.error, RuntimeError)
    records = [r for r in caplog.records if "explode" in r.getMessage()]
    assert records and records[0].levelno == logging.WARNING and records[0].exc_info is not None


def test_bad_arguments_become_error_output(executor: ToolExecutor) -> None:
    outcomes: queue.Queue[ToolOutcome] = queue.Queue()
    executor.submit(add, "call_1", "add", '{"a": 1}', None, outcomes.put)
    outcome = outcomes.get(timeout=WAIT)
    assert outcome.output == (
        "Error: invalid arguments for tool 'add': missing required argument 'b'"
    )
    assert isinstance(outcome.error, ToolArgumentsError)


def test_async_tool_runs_in_the_pool(executor: ToolExecutor) -> None:
    @function_tool
    async def triple(x: int) -> int:
        """Triple."""
        return 3 * x

    outcomes: queue.Queue[ToolOutcome] = queue.Queue()
    executor.submit(triple, "call_1", "triple", '{"x": 5}', None, outcomes.put)
    assert outcomes.get(timeout=WAIT).output == "15"


def test_timeout_completes_at_deadline_sets_cancelled_and_discards_late_result(
    caplog: pytest.LogCaptureFixture,
) -> None:
    returned = threading.Event()
    contexts: list[ToolContext] = []

    @function_tool(timeout=0.05)
    def slow(ctx: ToolContext) -> str:
        """Slow but cooperative."""
        contexts.append(ctx)
        ctx.cancelled.wait(WAIT)
        returned.set()
        return "late"

    outcomes: queue.Queue[ToolOutcome] = queue.Queue()
    ex = ToolExecutor(max_workers=1)
    with caplog.at_level(logging.WARNING, logger="realtime_actors.tools.executor"):
        ex.submit(slow, "call_1", "slow", "{}", None, outcomes.put)
        outcome = outcomes.get(timeout=WAIT)
        assert returned.wait(WAIT)
        assert ex.shutdown(timeout=WAIT)
    assert isinstance(outcome.error, ToolTimeoutError) and not outcome.ok
    assert outcome.output == "Error: tool 'slow' timed out after 0.05 s"
    assert contexts[0].cancelled.is_set()
    assert outcomes.empty()  # the late "late" result was not delivered
    assert any("late result discarded" in r.getMessage() for r in caplog.records)


def test_default_timeout_applies_to_tools_without_their_own() -> None:
    outcomes: queue.Queue[ToolOutcome] = queue.Queue()
    with ToolExecutor(max_workers=1, default_timeout_s=0.05) as ex:
        ex.submit(wait_for_cancel, "call_1", "wait_for_cancel", "{}", None, outcomes.put)
        assert isinstance(outcomes.get(timeout=WAIT).error, ToolTimeoutError)


def test_stuck_tool_past_timeout_does_not_starve_the_pool() -> None:
    gate = threading.Event()

    @function_tool(timeout=0.05)
    def stubborn() -> str:
        """Ignores cancellation."""
        gate.wait(WAIT)
        return "done"

    outcomes: queue.Queue[ToolOutcome] = queue.Queue()
    ex = ToolExecutor(max_workers=1)
    try:
        ex.submit(stubborn, "call_1", "stubborn", "{}", None, outcomes.put)
        assert isinstance(outcomes.get(timeout=WAIT).error, ToolTimeoutError)
        ex.submit(add, "call_2", "add", '{"a": 1, "b": 1}', None, outcomes.put)
        outcome = outcomes.get(timeout=WAIT)
        assert (outcome.call_id, outcome.output) == ("call_2", "2")
        assert not gate.is_set()  # the stuck worker is still inside the tool
    finally:
        gate.set()
        assert ex.shutdown(timeout=WAIT)
    assert outcomes.empty()


def test_max_workers_bounds_concurrent_threads() -> None:
    gate = threading.Event()
    started: queue.Queue[str] = queue.Queue()

    @function_tool
    def blocker() -> str:
        """Block until the gate opens."""
        started.put(threading.current_thread().name)
        gate.wait(WAIT)
        return "ok"

    outcomes: queue.Queue[ToolOutcome] = queue.Queue()
    ex = ToolExecutor(max_workers=2, default_timeout_s=None)
    try:
        for i in range(5):
            ex.submit(blocker, f"call_{i}", "blocker", "{}", None, outcomes.put)
        first = {started.get(timeout=WAIT), started.get(timeout=WAIT)}
        assert len(_worker_threads()) == 2
        assert first == {"realtime-tool-1", "realtime-tool-2"}
        gate.set()
        results = [outcomes.get(timeout=WAIT) for _ in range(5)]
    finally:
        gate.set()
        assert ex.shutdown(timeout=WAIT)
    assert sorted(r.call_id for r in results) == [f"call_{i}" for i in range(5)]
    names = {started.get(timeout=WAIT) for _ in range(3)} | first
    assert names == {"realtime-tool-1", "realtime-tool-2"}


def test_exactly_one_on_done_per_submit_under_mixed_load() -> None:
    calls: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    all_done = threading.Event()
    total = 40

    def on_done(outcome: ToolOutcome) -> None:
        with lock:
            calls[outcome.call_id] += 1
            if sum(calls.values()) == total:
                all_done.set()

    @function_tool(timeout=0.05)
    def short_fuse(ctx: ToolContext) -> str:
        """Times out, then returns."""
        ctx.cancelled.wait(WAIT)
        return "late"

    kinds = [
        (add, '{"a": 1, "b": 2}'),
        (explode, '{"message": "x"}'),
        (None, "{}"),
        (short_fuse, "{}"),
        (add, "not json"),
    ]
    ex = ToolExecutor(max_workers=3)
    try:
        for i in range(total):
            tool, args = kinds[i % len(kinds)]
            ex.submit(tool, f"call_{i}", "t", args, None, on_done)
        assert all_done.wait(WAIT)
    finally:
        assert ex.shutdown(timeout=WAIT)
    assert calls == {f"call_{i}": 1 for i in range(total)}


def test_cancel_all_cancels_pending_and_signals_running() -> None:
    single = ToolExecutor(max_workers=1, default_timeout_s=None)
    started = threading.Event()

    @function_tool
    def running(ctx: ToolContext) -> str:
        """Cooperative."""
        started.set()
        return "stopped" if ctx.cancelled.wait(WAIT) else "never cancelled"

    outcomes: queue.Queue[ToolOutcome] = queue.Queue()
    try:
        single.submit(running, "call_1", "running", "{}", None, outcomes.put)
        assert started.wait(WAIT)
        single.submit(add, "call_2", "add", '{"a": 1, "b": 1}', None, outcomes.put)
        single.submit(add, "call_3", "add", '{"a": 1, "b": 1}', None, outcomes.put)
        single.cancel_all()
        got = {o.call_id: o for o in (outcomes.get(timeout=WAIT) for _ in range(3))}
    finally:
        assert single.shutdown(timeout=WAIT)
    assert got["call_1"].ok and got["call_1"].output == "stopped"
    for call_id in ("call_2", "call_3"):
        assert isinstance(got[call_id].error, ToolCancelledError)
        assert got[call_id].output.startswith("Error: tool call 'add' was cancelled")


def test_shutdown_joins_workers_and_later_submits_are_cancelled() -> None:
    started = threading.Event()

    @function_tool
    def cooperative(ctx: ToolContext) -> str:
        """Return once cancelled."""
        started.set()
        return "stopped" if ctx.cancelled.wait(WAIT) else "never cancelled"

    outcomes: queue.Queue[ToolOutcome] = queue.Queue()
    ex = ToolExecutor(max_workers=2)
    ex.submit(cooperative, "call_1", "cooperative", "{}", None, outcomes.put)
    assert started.wait(WAIT)
    assert _worker_threads()
    assert ex.shutdown(timeout=WAIT)
    assert not _worker_threads()
    outcome = outcomes.get(timeout=WAIT)
    assert (outcome.call_id, outcome.output) == ("call_1", "stopped")
    ex.submit(add, "call_2", "add", '{"a": 1, "b": 1}', None, outcomes.put)
    late = outcomes.get_nowait()  # delivered synchronously: the executor is closed
    assert isinstance(late.error, ToolCancelledError) and late.call_id == "call_2"
    assert ex.shutdown(timeout=WAIT)  # idempotent
    assert outcomes.empty()


def test_shutdown_reports_a_non_cooperative_tool_and_cancels_its_call(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gate = threading.Event()
    started = threading.Event()

    @function_tool
    def deaf() -> str:
        """Ignores cancellation."""
        started.set()
        gate.wait(WAIT)
        return "finally"

    outcomes: queue.Queue[ToolOutcome] = queue.Queue()
    ex = ToolExecutor(max_workers=1, default_timeout_s=None)
    ex.submit(deaf, "call_1", "deaf", "{}", None, outcomes.put)
    assert started.wait(WAIT)
    leftover = _worker_threads()
    try:
        with caplog.at_level(logging.WARNING, logger="realtime_actors.tools.executor"):
            assert ex.shutdown(timeout=0.05) is False
        outcome = outcomes.get(timeout=WAIT)
        assert isinstance(outcome.error, ToolCancelledError) and outcome.call_id == "call_1"
        assert any("still running" in r.getMessage() for r in caplog.records)
    finally:
        gate.set()
        for thread in leftover:
            thread.join(WAIT)
    assert outcomes.empty()


def test_failing_on_done_is_logged_and_the_pool_keeps_working(
    executor: ToolExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    def bad_callback(outcome: ToolOutcome) -> None:
        raise ValueError("callback bug")

    outcomes: queue.Queue[ToolOutcome] = queue.Queue()
    with caplog.at_level(logging.ERROR, logger="realtime_actors.tools.executor"):
        executor.submit(add, "call_1", "add", '{"a": 1, "b": 1}', None, bad_callback)
        executor.submit(add, "call_2", "add", '{"a": 2, "b": 2}', None, outcomes.put)
        assert outcomes.get(timeout=WAIT).output == "4"
        assert executor.shutdown(timeout=WAIT)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and "call_1" in errors[0].getMessage() and errors[0].exc_info is not None


@pytest.mark.parametrize(
    "kwargs", [{"max_workers": 0}, {"max_workers": True}, {"default_timeout_s": 0}]
)
def test_invalid_configuration_is_config_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        ToolExecutor(**kwargs)  # type: ignore[arg-type]


def test_shutdown_from_inside_on_done_does_not_deadlock() -> None:
    ex = ToolExecutor(max_workers=1)
    results: queue.Queue[bool] = queue.Queue()
    ex.submit(add, "call_1", "add", '{"a": 1, "b": 1}', None, lambda _o: results.put(ex.shutdown()))
    assert results.get(timeout=WAIT) is True
    assert ex.shutdown(timeout=WAIT)  # now from the test thread: joins the last worker


def test_close_returns_at_once_and_the_running_call_still_reports_then_threads_exit() -> None:
    started, release = threading.Event(), threading.Event()

    @function_tool
    def slow_to_stop(ctx: ToolContext) -> str:
        """Sees the cancellation, then takes a while to return."""
        started.set()
        ctx.cancelled.wait(WAIT)
        release.wait(WAIT)
        return "stopped" if ctx.cancelled.is_set() else "never cancelled"

    outcomes: queue.Queue[ToolOutcome] = queue.Queue()
    ex = ToolExecutor(max_workers=2, default_timeout_s=WAIT)
    ex.submit(slow_to_stop, "call_1", "slow_to_stop", "{}", None, outcomes.put)
    ex.submit(add, "call_2", "add", '{"a": 1, "b": 1}', None, outcomes.put)
    assert started.wait(WAIT)
    ex.close()  # does not wait for the running call (it is still blocked on `release`)
    assert _worker_threads()
    release.set()
    got = {outcome.call_id: outcome for outcome in (outcomes.get(timeout=WAIT),
                                                     outcomes.get(timeout=WAIT))}
    assert got["call_1"].output == "stopped"
    assert got["call_2"].ok or isinstance(got["call_2"].error, ToolCancelledError)
    assert ex.join(timeout=WAIT)  # the workers and the watchdog exit on their own
    assert not _worker_threads()
    assert not any(t.name == "realtime-tool-watchdog" for t in threading.enumerate())
    assert outcomes.empty()


def test_join_names_a_tool_that_ignores_cancellation(caplog: pytest.LogCaptureFixture) -> None:
    gate, started = threading.Event(), threading.Event()

    @function_tool
    def deaf() -> str:
        """Ignores cancellation."""
        started.set()
        gate.wait(WAIT)
        return "finally"

    ex = ToolExecutor(max_workers=1, default_timeout_s=None)
    with caplog.at_level(logging.WARNING, logger="realtime_actors.tools.executor"):
        assert ex.join(timeout=WAIT) is False  # not closed: would wait forever, so refused
        ex.submit(deaf, "call_1", "deaf", "{}", None, lambda _outcome: None)
        assert started.wait(WAIT)
        ex.close()
        assert ex.join(timeout=0.05) is False
    assert any("still running" in r.getMessage() for r in caplog.records)
    gate.set()
    assert ex.join(timeout=WAIT)
