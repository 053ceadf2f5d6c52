"""The reactor: one thread per process that runs the sockets, timers and the library's actors.

A selector loop serves every open WebSocket (:class:`~realtime_actors.reactor.connection.
Connection`) and, between rounds, the pykka actors scheduled on it (the ``actor_pool`` of
:class:`~realtime_actors.transport.websocket_actor.WebSocketActor`,
and of any ``PooledActor`` subclass
that opts in with ``actor_pool = rt.reactor()``). For those actors the reactor is an
``ActorPool`` with exactly one worker, itself: an actor told by a handler running here runs next
on this thread, with no hand-over.

Other threads only enqueue: a message for a reactor actor, a connection to adopt, a call to
run here. They wake the reactor (one byte on a socket pair) only when it sleeps in the
selector. The thread starts with the first actor or connection and exits when none is left.

Handlers that run here must not block: there is no second worker to take over. A handler
that waits on a future of another thread's actor works (slowly, with a warning); one that
waits on a reactor actor waits for itself until its timeout.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import logging
import selectors
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..runtime.actor_pool import PoolStats, _Worker, _workers_by_thread
from .loop import ReactorLoop

if TYPE_CHECKING:
    from ..runtime.pooled_inbox import PooledInbox
    from .connection import Connection

logger = logging.getLogger(__name__)

ACTOR_BATCH = 32
"""Messages one actor handles before the next one (or the sockets) get a turn."""
ROUND_BATCHES = 64
"""Actor batches run between two looks at the sockets while work is queued."""
MAX_GUESTS = 64
"""Guest actors (of other pools, ``guest_runs``) run here after one batch at the most."""


class Reactor:
    """The process's reactor thread, its run queue of actors and its connections."""

    def __init__(self, name: str = "realtime-reactor") -> None:
        self.name = name
        self._lock = threading.Lock()
        self._runq: collections.deque[PooledInbox] = collections.deque()
        self._calls: collections.deque[Callable[[], None]] = collections.deque()
        self._live = 0
        self._conns = 0
        self._batches = 0
        self._thread: threading.Thread | None = None
        self._wake_w: socket.socket | None = None
        self._sleeping = False
        self._woken = False
        self._worker = _Worker(self, name, spare=False)
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._guests: collections.deque[PooledInbox] = collections.deque()
        """Actors of other pools told by the current batch that run here next (reactor
        thread only)."""
        self._timer_ids = itertools.count()
        self._loop: ReactorLoop | None = None

    def __repr__(self) -> str:
        return f"<Reactor {self.name} actors={self._live} connections={self._conns}>"

    # ------------------------------------------------------------------ introspection
    @property
    def thread(self) -> threading.Thread | None:
        """The running reactor thread, if any."""
        return self._thread

    @property
    def load(self) -> int:
        """Connections adopted and not yet finished."""
        return self._conns

    def stats(self) -> PoolStats:
        """The reactor as a pool: one worker, its live actors and queued work."""
        with self._lock:
            queued = len(self._runq) + (self._worker.next is not None)
            return PoolStats(workers=1 if self._thread else 0, idle=int(self._sleeping),
                             blocked=0, live_actors=self._live, queued=queued,
                             batches=self._batches, spares_started=0)

    # ------------------------------------------------------------------ ActorPool protocol
    def attach(self) -> None:
        """A reactor actor starts: make sure the thread runs."""
        with self._lock:
            self._live += 1
            self._ensure_thread()

    def detach(self) -> None:
        """A reactor actor has finished."""
        with self._lock:
            self._live -= 1
            self._wake()

    def schedule(self, inbox: PooledInbox) -> None:
        """Queue an actor that has messages (from a handler here: it runs next, here)."""
        worker = self._worker
        if worker.busy_since is not None and _workers_by_thread.get(threading.get_ident()) \
                is worker:
            bumped, worker.next = worker.next, inbox
            if bumped is None:
                return
            inbox = bumped
        with self._lock:
            self._runq.append(inbox)
            self._wake()

    def host_guest(self, inbox: PooledInbox) -> bool:
        """From a handler running here: run ``inbox``, an actor of a pool that opted in to
        running where it is told (``guest_runs``), here right after the current batch, as
        long as its batches stay quick. False on any other thread."""
        worker = self._worker
        if worker.busy_since is None or \
                _workers_by_thread.get(threading.get_ident()) is not worker:
            return False
        self._guests.append(inbox)
        return True

    def requeue(self, inbox: PooledInbox) -> None:
        """Put an actor that used up its batch at the back of the run queue."""
        with self._lock:
            self._runq.append(inbox)
            self._wake()

    allows_guests = False
    """Reactor actors run on the reactor only: never on a caller's thread."""
    runs_user_code = False
    """A reactor actor's message that runs user code (``PooledActor.runs_user_code``) is
    handled on a worker of the default pool instead of here."""

    def enter_blocking(self, worker: _Worker) -> None:
        """A handler on the reactor is about to wait on a future."""
        if worker.next is not None:  # it cannot run while we wait; give it to nobody yet
            with self._lock:
                self._runq.appendleft(worker.next)
                worker.next = None
        logger.warning("%s: a handler blocked the reactor thread waiting on a future; "
                       "reactor actors must not block", self.name)

    def leave_blocking(self, worker: _Worker) -> None:
        """The handler that waited goes on."""

    # ------------------------------------------------------------------ other threads' work
    def call_soon(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the reactor thread soon (starts the thread if needed)."""
        with self._lock:
            self._calls.append(callback)
            self._ensure_thread()
            self._wake()

    def call_later(self, delay_s: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the reactor thread after ``delay_s`` (reactor thread only)."""
        heapq.heappush(self._timers, (time.monotonic() + delay_s, next(self._timer_ids),
                                      callback))

    def adopt(self, make: Callable[[], Connection], opened: Callable[[Connection], None],
              failed: Callable[[BaseException | None], None]) -> None:
        """Serve a connection from now on: ``make`` builds it on the reactor thread, which
        then calls ``opened`` with it (before reading anything) or ``failed`` (with the error,
        or None when it was closed meanwhile)."""
        self.connection_added()

        def attach() -> None:
            loop = self._loop
            try:
                assert loop is not None
                conn = make()
                loop.attach(conn)
            except BaseException as exc:
                self.connection_done()
                failed(exc if isinstance(exc, Exception) else None)
                if not isinstance(exc, Exception):
                    raise
                return
            opened(conn)

        try:
            self.call_soon(attach)
        except BaseException:
            self.connection_done()
            raise

    def connection_added(self) -> None:
        """Count a connection the reactor will serve (keeps the thread alive)."""
        with self._lock:
            self._conns += 1
            self._ensure_thread()

    def connection_done(self) -> None:
        """A connection is finished."""
        with self._lock:
            self._conns -= 1

    # ------------------------------------------------------------------ the thread
    def _ensure_thread(self) -> None:
        # lock held
        if self._thread is not None:
            return
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        selector = selectors.DefaultSelector()
        selector.register(wake_r, selectors.EVENT_READ, None)
        thread = threading.Thread(target=self._run, args=(selector, wake_r, wake_w),
                                  name=self.name, daemon=True)
        self._thread, self._wake_w = thread, wake_w
        self._sleeping = self._woken = False
        try:
            thread.start()
        except BaseException:
            self._thread = self._wake_w = None
            selector.close()
            wake_r.close()
            wake_w.close()
            raise

    def _wake(self) -> None:
        # lock held
        if self._sleeping and not self._woken and self._wake_w is not None:
            self._woken = True
            try:
                self._wake_w.send(b"\0")
            except BlockingIOError:
                pass
            except OSError as exc:
                logger.warning("%s: wake-up failed: %s", self.name, exc)

    def _run(self, selector: selectors.BaseSelector, wake_r: socket.socket,
             wake_w: socket.socket) -> None:
        ident = threading.get_ident()
        _workers_by_thread[ident] = self._worker
        loop = ReactorLoop(self, selector, wake_r)
        self._loop = loop
        try:
            while True:
                if not self._round(loop):
                    break
        except BaseException as exc:
            logger.exception("%s: reactor crashed; reporting its connections as lost", self.name)
            loop.abandon(exc)
            with self._lock:
                self._thread = self._wake_w = None
            if not isinstance(exc, Exception):
                raise
        finally:
            _workers_by_thread.pop(ident, None)
            selector.close()
            wake_r.close()
            wake_w.close()

    def _round(self, loop: ReactorLoop) -> bool:
        """One round: calls, sockets, timers, actors. False when the thread should exit."""
        with self._lock:
            calls, self._calls = self._calls, collections.deque()
        for call in calls:
            try:
                call()
            except Exception:
                logger.exception("%s: a call on the reactor failed", self.name)
        with self._lock:
            busy = bool(self._runq or self._calls or self._worker.next or loop.ready_again())
            if not busy and not self._live and not self._conns and not loop.connections:
                self._thread = self._wake_w = None
                self._loop = None
                return False
            self._sleeping = not busy
            self._woken = False
        timeout = 0.0
        if not busy:
            timeout = loop.next_deadline() - time.monotonic()
            if self._timers:
                timeout = min(timeout, self._timers[0][0] - time.monotonic())
            timeout = max(0.0, timeout)
        loop.poll(timeout)
        with self._lock:
            self._sleeping = False
        if self._timers:
            self._run_timers()
        self._run_actors()
        if loop.dirty:
            loop.flush_dirty()
        return True

    def _run_timers(self) -> None:
        timers = self._timers
        now = time.monotonic()
        while timers and timers[0][0] <= now:
            _, _, callback = heapq.heappop(timers)
            try:
                callback()
            except Exception:
                logger.exception("%s: a timer callback failed", self.name)

    def _run_actors(self) -> None:
        worker = self._worker
        for _ in range(ROUND_BATCHES):
            inbox = worker.next
            if inbox is not None:
                worker.next = None
            else:
                with self._lock:
                    if not self._runq:
                        return
                    inbox = self._runq.popleft()
            worker.busy_since = time.monotonic()
            try:
                inbox.run_batch(ACTOR_BATCH)
                if self._guests:
                    self._run_guests()
            except Exception:  # run_batch handles actor failures; this is a bug
                logger.exception("%s: unexpected error running %r", self.name, inbox)
            finally:
                worker.busy_since = None
                self._batches += 1

    def _run_guests(self) -> None:
        """Run the guest actors the batch told (and those they tell), a batch each, at most
        :data:`MAX_GUESTS` of them (see ``PooledInbox.run_as_guest``); what is left goes to
        the pools."""
        guests = self._guests
        for _ in range(MAX_GUESTS):
            if not guests:
                return
            guests.popleft().run_as_guest()
        while guests:
            guests.popleft().to_pool()


_reactor = Reactor()


def reactor() -> Reactor:
    """The process's reactor (its thread runs only while it has actors or connections)."""
    return _reactor
