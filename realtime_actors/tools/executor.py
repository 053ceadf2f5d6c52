"""Run function tools off the session's thread: a bounded pool of daemon worker threads with
per-call timeouts, cancellation and exactly one completion callback per submitted call.

Workers (``realtime-tool-N``) start lazily, at most ``max_workers`` busy at once. A single
watchdog thread (``realtime-tool-watchdog``) enforces deadlines with a heap: a call past its
timeout completes at the deadline with a :class:`ToolTimeoutError` outcome and its
``ctx.cancelled`` is set; the stuck worker is retired (its late result is logged and discarded)
and a replacement may start, so one non-cooperative tool cannot starve the pool.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType

import attrs

from ..errors import ConfigError
from .function_tool import (
    AnyFunctionTool,
    ToolArgumentsError,
    ToolCancelledError,
    ToolContext,
    ToolError,
    ToolTimeoutError,
    UnknownToolError,
)

logger = logging.getLogger(__name__)

__all__ = ["ToolExecutor", "ToolOutcome"]

_PENDING, _RUNNING, _DONE = "pending", "running", "done"


@attrs.frozen(kw_only=True)
class ToolOutcome:
    """The result of one tool call. ``output`` is what goes to the model as
    ``function_call_output`` (``Error: ...`` when ``ok`` is false)."""

    call_id: str
    name: str
    output: str
    ok: bool
    error: Exception | None = attrs.field(default=None, eq=False)
    duration_s: float = 0.0


class _Worker:
    __slots__ = ("retired", "thread")

    def __init__(self) -> None:
        self.retired = False
        self.thread: threading.Thread | None = None


@attrs.define(kw_only=True, eq=False)
class _Job:
    tool: AnyFunctionTool | None
    call_id: str
    name: str
    arguments_json: str
    ctx: ToolContext
    on_done: Callable[[ToolOutcome], None]
    timeout_s: float | None
    state: str = _PENDING
    started: float = 0.0
    worker: _Worker | None = None

    def failed(self, error: Exception, output: str, duration_s: float = 0.0) -> ToolOutcome:
        return ToolOutcome(
            call_id=self.call_id, name=self.name, output=output, ok=False, error=error,
            duration_s=duration_s,
        )  # fmt: skip


def _join_until(threads: list[threading.Thread], deadline: float) -> list[str]:
    """Join ``threads`` until ``deadline`` (skipping the calling thread: a close may come from
    an ``on_done`` callback); the names of those still alive."""
    current = threading.current_thread()
    for thread in threads:
        if thread is not current:
            thread.join(max(0.0, deadline - time.monotonic()))
    return sorted(t.name for t in threads if t.is_alive() and t is not current)


def _error_output(error: BaseException) -> str:
    if isinstance(error, ToolError):
        return f"Error: {error}"
    kind = type(error).__name__
    message = str(error)
    return f"Error: {kind}: {message}" if message else f"Error: {kind}"


class ToolExecutor:
    """A bounded pool running :class:`FunctionTool` calls.

    ``default_timeout_s`` applies to tools whose ``timeout_s`` is None (None: no timeout). The
    callback passed to :meth:`submit` runs exactly once per call, on a pool thread (or on the
    thread calling :meth:`cancel_all`/:meth:`shutdown` for calls those cancel); it must not
    block for long. Use as a context manager to shut down on exit.
    """

    def __init__(self, max_workers: int = 4, default_timeout_s: float | None = 30.0) -> None:
        if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
            raise ConfigError(f"max_workers must be a positive int, not {max_workers!r}")
        if default_timeout_s is not None and not (
            isinstance(default_timeout_s, int | float)
            and not isinstance(default_timeout_s, bool)
            and 0 < default_timeout_s < float("inf")
        ):
            raise ConfigError(
                f"default_timeout_s must be a positive number or None, not {default_timeout_s!r}"
            )
        self._max_workers = max_workers
        self._default_timeout_s = default_timeout_s
        self._lock = threading.Lock()
        self._work_ready = threading.Condition(self._lock)
        self._watch_ready = threading.Condition(self._lock)
        self._pending: deque[_Job] = deque()
        self._running: set[_Job] = set()
        self._active: list[_Worker] = []
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._deadlines: list[tuple[float, int, _Job]] = []
        self._seq = itertools.count()
        self._names = itertools.count(1)
        self._watchdog: threading.Thread | None = None
        self._closed = False
        self._watch_closed = False

    # ------------------------------------------------------------------ public API

    def submit(
        self,
        tool: AnyFunctionTool | None,
        call_id: str,
        name: str,
        arguments_json: str,
        ctx: ToolContext | None,
        on_done: Callable[[ToolOutcome], None],
    ) -> None:
        """Queue one call without blocking. ``tool`` None means the model called an unknown
        tool: the outcome is an :class:`UnknownToolError`. ``on_done`` gets the outcome."""
        if ctx is None:
            ctx = ToolContext(call_id=call_id, tool_name=name)
        timeout = self._default_timeout_s
        if tool is not None and tool.timeout_s is not None:
            timeout = tool.timeout_s
        job = _Job(
            tool=tool, call_id=call_id, name=name, arguments_json=arguments_json, ctx=ctx,
            on_done=on_done, timeout_s=timeout,
        )  # fmt: skip
        with self._lock:
            closed = self._closed
            if not closed:
                self._pending.append(job)
                self._spawn_if_needed_locked()
                self._work_ready.notify()
        if closed:
            logger.warning("tool %r (call %s) submitted after shutdown; cancelled", name, call_id)
            job.state = _DONE
            error = ToolCancelledError(f"tool call {name!r} cancelled: the executor is shut down")
            self._deliver(job, job.failed(error, f"Error: {error}"))

    def cancel_all(self) -> None:
        """Set ``ctx.cancelled`` of every running call, and complete every queued call (not
        started yet) at once with a :class:`ToolCancelledError` outcome."""
        with self._lock:
            pending = list(self._pending)
            self._pending.clear()
            for job in pending:
                job.state = _DONE
            running = list(self._running)
        for job in running:
            job.ctx.cancelled.set()
        for job in pending:
            job.ctx.cancelled.set()
            error = ToolCancelledError(f"tool call {job.name!r} was cancelled before it started")
            self._deliver(job, job.failed(error, f"Error: {error}"))

    def close(self) -> None:
        """Shut down without waiting: queued calls complete at once with a
        :class:`ToolCancelledError` outcome, running ones are told to stop (``ctx.cancelled``)
        and deliver their outcome when they return (or time out). The worker threads and the
        watchdog exit once nothing runs. Idempotent."""
        with self._lock:
            self._closed = True
            self._work_ready.notify_all()
            self._watch_ready.notify_all()
        self.cancel_all()

    def join(self, timeout: float = 5.0) -> bool:
        """After :meth:`close` (or :meth:`shutdown`): wait up to ``timeout`` seconds for the
        worker threads and the watchdog to exit. Returns False (and logs a WARNING naming
        them) when some are still running, e.g. in a tool that ignores ``ctx.cancelled``."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._lock:
            if not self._closed:  # idle workers wait for work: they would never exit
                logger.warning("join() on a tool executor that is not closed; not waiting")
                return False
            threads = [*self._threads, *([self._watchdog] if self._watchdog else [])]
        alive = _join_until(threads, deadline)
        if alive:
            logger.warning("tool threads still running after the executor closed: %s", alive)
        return not alive

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Cancel everything, stop the workers and join them within ``timeout`` seconds.

        Calls still running at the deadline complete with a :class:`ToolCancelledError`
        outcome. Returns False (and logs a WARNING) if a thread stuck in a non-cooperative tool
        is left behind as a daemon. Idempotent.
        """
        deadline = time.monotonic() + max(0.0, timeout)
        with self._lock:
            self._closed = True
            self._work_ready.notify_all()
        self.cancel_all()
        with self._lock:
            threads = list(self._threads)
        _join_until(threads, deadline)
        with self._lock:
            stuck = [job for job in self._running if job.state == _RUNNING]
            for job in stuck:
                job.state = _DONE
            self._watch_closed = True
            self._watch_ready.notify_all()
            watchdog = self._watchdog
        for job in stuck:
            error = ToolCancelledError(f"tool call {job.name!r} cancelled: executor shut down")
            self._deliver(job, job.failed(error, f"Error: {error}", time.monotonic() - job.started))
        alive = _join_until([*threads, *([watchdog] if watchdog else [])], deadline)
        if alive:
            logger.warning("tool executor shut down with threads still running: %s", alive)
        return not alive

    def __enter__(self) -> ToolExecutor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()

    # ------------------------------------------------------------------ workers

    def _spawn_if_needed_locked(self) -> None:
        if self._closed or len(self._pending) <= self._idle:
            return
        if len(self._active) >= self._max_workers:
            return
        worker = _Worker()
        thread = threading.Thread(
            target=self._worker_loop,
            args=(worker,),
            name=f"realtime-tool-{next(self._names)}",
            daemon=True,
        )
        worker.thread = thread
        self._active.append(worker)
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(thread)
        thread.start()

    def _next_job(self, worker: _Worker) -> _Job | None:
        with self._lock:
            while not self._pending and not self._closed:
                self._idle += 1
                self._work_ready.wait()
                self._idle -= 1
            if not self._pending:
                self._active.remove(worker)
                return None
            job = self._pending.popleft()
            job.state = _RUNNING
            job.started = time.monotonic()
            job.worker = worker
            self._running.add(job)
            if job.timeout_s is not None:
                entry = (job.started + job.timeout_s, next(self._seq), job)
                heapq.heappush(self._deadlines, entry)
                self._start_watchdog_locked()
                self._watch_ready.notify()
            return job

    def _worker_loop(self, worker: _Worker) -> None:
        while True:
            job = self._next_job(worker)
            if job is None:
                return
            outcome = self._execute(job)
            with self._lock:
                self._running.discard(job)
                late = job.state == _DONE
                job.state = _DONE
                if self._closed and not self._running:
                    self._watch_ready.notify_all()  # a closed watchdog with nothing to watch
            if late:
                logger.warning(
                    "tool %r (call %s) finished after it timed out or was cancelled; "
                    "late result discarded",
                    job.name,
                    job.call_id,
                )
            else:
                self._deliver(job, outcome)
            if worker.retired:
                return

    def _execute(self, job: _Job) -> ToolOutcome:
        try:
            if job.tool is None:
                raise UnknownToolError(f"unknown tool {job.name!r}")
            output = job.tool.invoke(job.arguments_json, job.ctx)
        except (ToolArgumentsError, UnknownToolError) as err:
            logger.warning("tool call %s rejected: %s", job.call_id, err)
            return job.failed(err, _error_output(err), time.monotonic() - job.started)
        except BaseException as err:
            logger.warning(
                "tool %r (call %s) raised %s", job.name, job.call_id, type(err).__name__,
                exc_info=True,
            )  # fmt: skip
            error = err if isinstance(err, Exception) else ToolError(f"{type(err).__name__}")
            return job.failed(error, _error_output(err), time.monotonic() - job.started)
        return ToolOutcome(
            call_id=job.call_id, name=job.name, output=output, ok=True,
            duration_s=time.monotonic() - job.started,
        )  # fmt: skip

    def _deliver(self, job: _Job, outcome: ToolOutcome) -> None:
        try:
            job.on_done(outcome)
        except Exception:
            logger.error(
                "on_done callback for tool %r (call %s) raised", job.name, job.call_id,
                exc_info=True,
            )  # fmt: skip

    # ------------------------------------------------------------------ watchdog

    def _start_watchdog_locked(self) -> None:
        if self._watchdog is None and not self._watch_closed:
            self._watchdog = threading.Thread(
                target=self._watchdog_loop, name="realtime-tool-watchdog", daemon=True
            )
            self._watchdog.start()

    def _expired_jobs(self) -> list[_Job] | None:
        with self._lock:
            while True:
                if self._watch_closed or (self._closed and not self._running):
                    return None
                now = time.monotonic()
                expired: list[_Job] = []
                while self._deadlines and (
                    self._deadlines[0][2].state != _RUNNING or self._deadlines[0][0] <= now
                ):
                    _, _, job = heapq.heappop(self._deadlines)
                    if job.state == _RUNNING:
                        job.state = _DONE
                        self._retire_locked(job)
                        expired.append(job)
                if expired:
                    return expired
                wait = self._deadlines[0][0] - now if self._deadlines else None
                self._watch_ready.wait(wait)

    def _retire_locked(self, job: _Job) -> None:
        worker = job.worker
        if worker is not None and not worker.retired:
            worker.retired = True
            self._active.remove(worker)
            self._spawn_if_needed_locked()

    def _watchdog_loop(self) -> None:
        while True:
            expired = self._expired_jobs()
            if expired is None:
                return
            for job in expired:
                job.ctx.cancelled.set()
                error = ToolTimeoutError(f"tool {job.name!r} timed out after {job.timeout_s:g} s")
                logger.warning("tool %r (call %s) timed out", job.name, job.call_id)
                self._deliver(job, job.failed(error, f"Error: {error}", job.timeout_s or 0.0))
