"""ActorPool: a few shared worker threads that run many :class:`PooledActor` s.

A ``pykka.ThreadingActor`` owns an OS thread for its whole life, so each tell wakes a sleeping
thread and each session costs a thread stack. A pool runs every pooled actor of the process on
a small set of workers instead, Erlang-scheduler style:

- Each pooled actor has its own FIFO inbox; it is in the run queue at most once, so its
  messages are handled one at a time and in order, on whichever worker picks it up.
- A worker runs an actor for a bounded batch of messages, then moves on (fairness).
- An actor told by a worker goes to that worker's *next* slot and runs on the same worker as
  soon as the current batch ends: a session telling its subscriber costs no thread wake-up.
- Blocking is compensated: a worker that blocks in a pooled actor's future (an ``ask``) hands
  its queued work to the others and, when none is idle, a spare worker is started. A monitor
  also adds a worker when queued work sees no progress for ``stall_s`` (a handler blocked on
  something else), so a blocking handler delays the others but cannot deadlock them.
- Workers exist only while pooled actors do: when the last one stops, every worker exits.
"""

from __future__ import annotations

import collections
import itertools
import logging
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

import attrs

from ..errors import ConfigError
from .env_settings import int_from_env

if TYPE_CHECKING:
    from .pooled_inbox import PooledInbox

logger = logging.getLogger(__name__)

POOL_THREADS_ENV = "REALTIME_ACTORS_POOL_THREADS"
_BATCH = 32
_NEXT_STREAK = 16
_WAKE_BACKLOG = 8
_MAX_GUESTS = 256
_SPARE_IDLE_S = 1.0

_workers_by_thread: dict[int, _Worker] = {}
"""Pool workers by thread ident (a dict lookup is cheaper than a ``threading.local``)."""


@attrs.frozen(kw_only=True)
class PoolStats:
    """A snapshot of a pool: its workers, live actors and queued work."""

    workers: int
    idle: int
    blocked: int
    live_actors: int
    queued: int
    batches: int
    spares_started: int


class Scheduler(Protocol):
    """Where pooled actors run: an :class:`ActorPool`, or the reactor (a pool of one worker,
    its own thread, that takes no guests: ``allows_guests`` False)."""

    @property
    def allows_guests(self) -> bool: ...
    @property
    def runs_user_code(self) -> bool: ...
    def attach(self) -> None: ...
    def detach(self) -> None: ...
    def schedule(self, inbox: PooledInbox) -> None: ...
    def host_guest(self, inbox: PooledInbox) -> bool: ...
    def requeue(self, inbox: PooledInbox) -> None: ...
    def enter_blocking(self, worker: _Worker) -> None: ...
    def leave_blocking(self, worker: _Worker) -> None: ...


class _Worker:
    __slots__ = ("busy_since", "guest", "name", "next", "pool", "prior", "spare")

    def __init__(self, pool: Scheduler, name: str, spare: bool, guest: bool = False) -> None:
        self.pool = pool
        self.name = name
        self.spare = spare
        self.guest = guest
        """A thread outside the pool running actors for a moment (see ``enter_guest``)."""
        self.next: PooledInbox | None = None
        self.busy_since: float | None = None
        self.prior: _Worker | None = None
        """For a guest: what the thread was before (the reactor's worker, or nothing)."""


def current_worker() -> _Worker | None:
    """The pool worker running this thread, if any."""
    return _workers_by_thread.get(threading.get_ident())


class ActorPool:
    """Shared worker threads for pooled actors (see the module docstring)."""

    def __init__(self, *, threads: int = 2, max_threads: int = 64, stall_s: float = 0.05,
                 name: str = "realtime-actors-pool") -> None:
        if threads < 1:
            raise ConfigError(f"an actor pool needs at least one thread, got {threads}")
        if max_threads < threads:
            raise ConfigError(f"max_threads ({max_threads}) is below threads ({threads})")
        if stall_s <= 0:
            raise ConfigError(f"stall_s must be positive, got {stall_s}")
        self.threads = threads
        self.max_threads = max_threads
        self.stall_s = stall_s
        self.name = name
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)
        self._tick = threading.Condition(self._lock)
        self._runq: collections.deque[PooledInbox] = collections.deque()
        self._workers: list[_Worker] = []
        self._idle = 0
        self._signalled = 0
        self._blocked = 0
        self._live = 0
        self._batches = 0
        self._spares = 0
        self._monitor: threading.Thread | None = None
        self._numbers = itertools.count(1)
        self._guests: dict[int, _Worker] = {}
        """Reused guest records by thread ident (threads outside the pool; see enter_guest)."""

    def __repr__(self) -> str:
        return f"<ActorPool {self.name} threads={self.threads} live={self._live}>"

    def stats(self) -> PoolStats:
        """A consistent snapshot of the pool's counters."""
        with self._lock:
            queued = len(self._runq) + sum(1 for w in self._workers if w.next is not None)
            return PoolStats(workers=len(self._workers), idle=self._idle, blocked=self._blocked,
                             live_actors=self._live, queued=queued, batches=self._batches,
                             spares_started=self._spares)

    # ------------------------------------------------------------------ actors come and go
    def attach(self) -> None:
        """A pooled actor starts: make sure the workers and the monitor run."""
        with self._lock:
            self._live += 1
            while sum(1 for w in self._workers if not w.spare) < self.threads:
                self._spawn(spare=False)
            if self._monitor is None:
                self._monitor = threading.Thread(target=self._watch, daemon=True,
                                                 name=f"{self.name}-monitor")
                self._monitor.start()

    def detach(self) -> None:
        """A pooled actor has finished; with none left, the workers and the monitor exit."""
        with self._lock:
            self._live -= 1
            if self._live == 0:
                self._work.notify_all()
                self._tick.notify_all()

    # ------------------------------------------------------------------ scheduling
    def schedule(self, inbox: PooledInbox) -> None:
        """Queue an actor that has messages; from a worker, it runs next on that worker. An
        actor that opted in (``guest_runs``) told from another scheduler's thread (the
        reactor) runs there, when that scheduler hosts it."""
        worker = current_worker()
        if worker is not None and worker.pool is not self and inbox.guest_runs \
                and not inbox.slow and worker.pool.host_guest(inbox):
            return
        with self._lock:
            if worker is not None and worker.pool is self and worker.busy_since is not None:
                bumped, worker.next = worker.next, inbox
                if bumped is None:
                    return
                self._runq.append(bumped)
                if worker.guest:
                    self._wake_one()
                else:
                    self._wake_if_backlog()
            else:
                self._runq.append(inbox)
                self._wake_one()

    def host_guest(self, inbox: PooledInbox) -> bool:
        """A pool runs no other scheduler's actors as guests (its own run on its workers)."""
        return False

    def requeue(self, inbox: PooledInbox) -> None:
        """Put an actor that used up its batch at the back of the run queue (called by the
        worker that ran it, which goes on with the queue itself)."""
        worker = current_worker()
        with self._lock:
            self._runq.append(inbox)
            if worker is None or worker.guest:
                self._wake_one()
            else:
                self._wake_if_backlog()

    runs_user_code = True
    """Handlers that run user code (or block) may run on its workers."""

    # ------------------------------------------------------------------ guests
    allows_guests = True
    """Threads outside the pool may run its actors for a moment (:meth:`enter_guest`)."""

    def enter_guest(self) -> _Worker:
        """Let the calling thread (not a worker) run actors for a moment: what they tell goes
        to its next slot, as on a worker. End with :meth:`leave_guest`.

        A guest's slot is only ever touched by its own thread (the monitor watches workers
        only), so guests need no lock of the pool."""
        ident = threading.get_ident()
        guest = self._guests.get(ident)
        if guest is None:
            if len(self._guests) >= _MAX_GUESTS:  # threads come and go (idents are reused)
                self._guests.clear()
            guest = _Worker(self, f"guest-{ident}", spare=False, guest=True)
            self._guests[ident] = guest
        guest.busy_since = 0.0  # running (the value is only read by the monitor, for workers)
        guest.prior = _workers_by_thread.get(ident)
        _workers_by_thread[ident] = guest
        return guest

    def leave_guest(self, guest: _Worker) -> None:
        """The calling thread stops being a guest; an actor left in its slot goes to the pool."""
        prior, guest.prior = guest.prior, None
        if prior is None:
            _workers_by_thread.pop(threading.get_ident(), None)
        else:
            _workers_by_thread[threading.get_ident()] = prior
        guest.busy_since = None
        inbox, guest.next = guest.next, None
        if inbox is not None:
            with self._lock:
                self._runq.append(inbox)
                self._wake_one()

    def _wake_if_backlog(self) -> None:
        # lock held; called from a worker that will take queued work itself when its batch
        # ends: waking another costs a thread switch and, under the GIL, buys little, unless
        # work piles up (then a second worker overlaps the first one's socket calls)
        if len(self._runq) > _WAKE_BACKLOG:
            self._wake_one()

    def _wake_one(self) -> None:
        # lock held
        if self._idle > self._signalled:
            self._signalled += 1
            self._work.notify()
        elif len(self._workers) < self.threads + self._blocked and \
                len(self._workers) < self.max_threads:
            self._spawn(spare=True)

    # ------------------------------------------------------------------ blocking
    def enter_blocking(self, worker: _Worker) -> None:
        """A worker is about to block: hand its next actor over and keep the pool staffed (a
        guest's thread is not one of the pool's, so it is not counted as a blocked worker)."""
        with self._lock:
            if not worker.guest:
                self._blocked += 1
            if worker.next is not None:
                self._runq.append(worker.next)
                worker.next = None
            if self._runq:
                self._wake_one()

    def leave_blocking(self, worker: _Worker) -> None:
        """The worker that blocked goes on."""
        if worker.guest:
            return
        with self._lock:
            self._blocked -= 1

    # ------------------------------------------------------------------ threads
    def _spawn(self, *, spare: bool) -> None:
        # lock held
        worker = _Worker(self, f"{self.name}-{next(self._numbers)}", spare)
        self._workers.append(worker)
        if spare:
            self._spares += 1
        threading.Thread(target=self._serve, args=(worker,), name=worker.name,
                         daemon=True).start()

    def _serve(self, worker: _Worker) -> None:
        ident = threading.get_ident()
        _workers_by_thread[ident] = worker
        streak = 0
        lock = self._lock
        lock.acquire()
        try:
            while True:
                inbox = worker.next
                if inbox is not None and (streak < _NEXT_STREAK or not self._runq):
                    worker.next = None
                    streak += 1
                elif self._runq:
                    if inbox is not None:
                        worker.next = None
                        self._runq.append(inbox)
                    inbox = self._runq.popleft()
                    streak = 0
                elif not self._wait_for_work(worker):
                    return
                else:
                    continue
                worker.busy_since = time.monotonic()
                lock.release()
                try:
                    inbox.run_batch(_BATCH)
                except BaseException:  # run_batch handles actor failures; this is a bug
                    logger.exception("pool worker %s: unexpected error running %r",
                                     worker.name, inbox)
                finally:
                    lock.acquire()
                    worker.busy_since = None
                    self._batches += 1
        finally:
            self._workers.remove(worker)
            if worker.next is not None:  # cannot happen while actors live; keep it runnable
                self._runq.append(worker.next)
                self._wake_one()
            lock.release()
            _workers_by_thread.pop(ident, None)

    def _wait_for_work(self, worker: _Worker) -> bool:
        """Sleep until work comes; False when this worker should exit. Lock held."""
        while not self._runq and worker.next is None:
            if self._live == 0:
                return False
            core = sum(1 for w in self._workers if not w.spare)
            if worker.spare and core >= self.threads and \
                    len(self._workers) > self.threads + self._blocked and self._idle > 0:
                return False
            self._idle += 1
            woken = self._work.wait(timeout=_SPARE_IDLE_S if worker.spare else None)
            self._idle -= 1
            if woken and self._signalled > 0:
                self._signalled -= 1
            if not woken and worker.spare and not self._runq:
                return False
        return True

    def _watch(self) -> None:
        """Monitor: add a worker when queued work makes no progress for ``stall_s``."""
        with self._lock:
            last = self._batches
            while self._live > 0:
                self._tick.wait(timeout=self.stall_s)
                now = time.monotonic()
                stalled = [w for w in self._workers
                           if w.busy_since is not None and now - w.busy_since >= self.stall_s]
                for worker in stalled:
                    if worker.next is not None:
                        self._runq.append(worker.next)
                        worker.next = None
                if self._runq and self._idle <= self._signalled and self._batches == last \
                        and stalled and len(self._workers) < self.max_threads:
                    logger.debug("%s: %d worker(s) busy for over %.0f ms with work queued; "
                                 "adding one", self.name, len(stalled), self.stall_s * 1000)
                    self._spawn(spare=True)
                elif self._runq:
                    self._wake_one()
                last = self._batches
            self._monitor = None


_default_lock = threading.Lock()
_default: list[ActorPool] = []


def pool_threads_from_env(env: Mapping[str, str] | None = None) -> int:
    """Core worker count: ``REALTIME_ACTORS_POOL_THREADS`` (1 to 64) or 2."""
    return int_from_env(POOL_THREADS_ENV, default=2, low=1, high=64, env=env)


def default_pool() -> ActorPool:
    """The process-wide pool used by pooled actors that name no other."""
    with _default_lock:
        if not _default:
            _default.append(ActorPool(threads=pool_threads_from_env()))
        return _default[0]
