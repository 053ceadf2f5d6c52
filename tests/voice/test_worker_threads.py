"""WorkerThreads: reused daemon threads; a task never waits behind another."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest

from voice_actors.worker_threads import WorkerShutdownError, WorkerThreads

WAIT_S = 10.0


@pytest.fixture
def workers() -> Iterator[WorkerThreads]:
    pool = WorkerThreads(name="test-worker")
    yield pool
    assert pool.shutdown(timeout=WAIT_S)


def test_a_later_task_runs_on_the_idle_thread(workers: WorkerThreads) -> None:
    idents: list[int] = []
    for name in ("first", "second", "third"):
        task = workers.start(lambda: idents.append(threading.get_ident()), name=name)
        assert task.join(timeout=WAIT_S)
    assert len(set(idents)) == 1
    assert workers.thread_count == 1


def test_tasks_waiting_for_each_other_run_at_once_on_new_threads(workers: WorkerThreads) -> None:
    names: list[str] = []
    started = [threading.Event() for _ in range(3)]
    release = threading.Event()

    def task(k: int) -> None:
        names.append(threading.current_thread().name)
        started[k].set()
        release.wait(WAIT_S)

    tasks = [workers.start(lambda k=k: task(k), name=f"task-{k}") for k in range(3)]
    assert all(e.wait(WAIT_S) for e in started)  # none waits behind a blocked one
    assert sorted(names) == ["task-0", "task-1", "task-2"]  # named while they run
    assert workers.thread_count == 3
    release.set()
    assert all(t.join(timeout=WAIT_S) for t in tasks)


def test_a_failing_task_is_logged_and_its_thread_serves_the_next(
    workers: WorkerThreads, caplog: pytest.LogCaptureFixture
) -> None:
    def fail() -> None:
        raise ValueError("boom")

    with caplog.at_level(logging.ERROR, logger="voice_actors.worker_threads"):
        assert workers.start(fail, name="failing").join(timeout=WAIT_S)
    assert "failing raised" in caplog.text
    done = threading.Event()
    assert workers.start(done.set, name="next").join(timeout=WAIT_S)
    assert done.is_set()
    assert workers.thread_count == 1


def test_shutdown_ends_idle_threads_and_refuses_new_tasks() -> None:
    pool = WorkerThreads(name="test-worker")
    assert pool.start(lambda: None, name="one").join(timeout=WAIT_S)
    assert pool.thread_count == 1
    assert pool.shutdown(timeout=WAIT_S)
    assert pool.thread_count == 0
    with pytest.raises(WorkerShutdownError):
        pool.start(lambda: None, name="late")


def test_idle_threads_exit_after_their_idle_time() -> None:
    pool = WorkerThreads(name="test-worker", idle_s=0.05)
    ran_on: list[threading.Thread] = []
    task = pool.start(lambda: ran_on.append(threading.current_thread()), name="short")
    assert task.join(timeout=WAIT_S)
    ran_on[0].join(timeout=WAIT_S)  # it exits by itself once idle for 50 ms
    assert not ran_on[0].is_alive()
    assert pool.thread_count == 0
    # A task after that starts a new thread.
    assert pool.start(lambda: None, name="again").join(timeout=WAIT_S)
    assert pool.shutdown(timeout=WAIT_S)
