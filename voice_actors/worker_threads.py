"""``WorkerThreads``: daemon threads a pipeline reuses for its runs, turns and requests.

Starting a thread costs a few hundred microseconds on a loaded machine, and a run used to start
several (its body, each turn's workflow producer, a TTS pool per turn). A task given to
:meth:`WorkerThreads.start` runs on an idle thread of the pipeline, or on a new one when none is
idle: a task never waits behind another, so tasks may wait for each other without deadlock.
Idle threads exit after ``idle_s`` seconds, and all of them at :meth:`WorkerThreads.shutdown`.
Threads are daemons, like the per-run threads they replace: a stuck workflow cannot block the
interpreter's exit.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

_IDLE_S = 30.0
_STOP = object()


class WorkerShutdownError(RuntimeError):
    """A task was given to :class:`WorkerThreads` after :meth:`WorkerThreads.shutdown`."""


class WorkerTask:
    """Handle of one task given to :class:`WorkerThreads`."""

    def __init__(self, target: Callable[[], object], name: str) -> None:
        self.name = name
        self._target = target
        self._done = threading.Event()

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the task returned; False when it still runs after ``timeout`` seconds."""
        return self._done.wait(timeout)

    def is_alive(self) -> bool:
        """True until the task returned."""
        return not self._done.is_set()

    def _run(self) -> None:
        try:
            self._target()
        except BaseException:
            logger.exception("voice worker task %s raised", self.name)
        finally:
            self._done.set()

    def __repr__(self) -> str:
        return f"<WorkerTask {self.name} {'running' if self.is_alive() else 'done'}>"


class WorkerThreads:
    """Daemon threads reused by the tasks of one pipeline (see the module docstring)."""

    def __init__(self, *, name: str = "voice-worker", idle_s: float = _IDLE_S) -> None:
        self._name = name
        self._idle_s = idle_s
        self._lock = threading.Lock()
        self._tasks: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._idle = 0
        self._threads: set[threading.Thread] = set()
        self._numbers = itertools.count(1)
        self._closed = False

    def start(self, target: Callable[[], object], *, name: str) -> WorkerTask:
        """Run ``target()`` on an idle thread, or a new one; the thread is named ``name``
        while it runs the task. An exception ending the task is logged.

        Raises :class:`WorkerShutdownError` after :meth:`shutdown`.
        """
        task = WorkerTask(target, name)
        with self._lock:
            if self._closed:
                raise WorkerShutdownError(f"{self._name} threads are shut down; cannot run {name}")
            if self._idle:
                self._idle -= 1
                self._tasks.put(task)
                return task
            thread = threading.Thread(
                target=self._loop,
                args=(task,),
                name=f"{self._name}-{next(self._numbers)}",
                daemon=True,
            )
            self._threads.add(thread)
        thread.start()
        return task

    @property
    def thread_count(self) -> int:
        """Threads alive now (busy or idle)."""
        with self._lock:
            return len(self._threads)

    def shutdown(self, timeout: float) -> bool:
        """Refuse new tasks, end the idle threads and wait (at most ``timeout`` seconds in all)
        for the busy ones to finish theirs. Returns False when some thread still runs."""
        with self._lock:
            self._closed = True
            threads = list(self._threads)
            for _ in threads:
                self._tasks.put(_STOP)
        deadline = time.monotonic() + timeout
        for thread in threads:
            if thread is threading.current_thread():
                continue
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in threads if t.is_alive() and t is not threading.current_thread()]
        if alive:
            logger.warning("%s: threads still running after shutdown: %s", self._name, alive)
        return not alive

    def _loop(self, first: WorkerTask) -> None:
        me = threading.current_thread()
        item: object = first
        try:
            while isinstance(item, WorkerTask):
                me.name = item.name
                item._run()
                me.name = f"{self._name}-idle"
                item = self._next()
        finally:
            with self._lock:
                self._threads.discard(me)

    def _next(self) -> object:
        """The next task for this (now idle) thread, or ``_STOP`` when it should exit."""
        with self._lock:
            if self._closed:
                return _STOP
            self._idle += 1
        try:
            return self._tasks.get(timeout=self._idle_s)
        except queue.Empty:
            pass
        with self._lock:
            # start() hands a task over only while it holds the lock, so an empty queue here
            # means none is on its way to this thread.
            try:
                return self._tasks.get_nowait()
            except queue.Empty:
                self._idle -= 1
                return _STOP
