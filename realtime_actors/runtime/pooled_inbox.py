"""PooledInbox: the inbox of a :class:`~realtime_actors.runtime.pooled_actor.PooledActor`, and
how its messages run: a batch at a time on its scheduler (a pool, or the reactor), on a helper
pool's worker for the messages that run user code, or on the telling thread as a guest.

Putting a message into an idle inbox schedules the actor; the inbox is in its scheduler's run
queue at most once, so the actor's messages run one at a time and in order wherever they run.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from pykka import ActorDeadError, messages

from .actor_pool import ActorPool, Scheduler, _Worker, default_pool

if TYPE_CHECKING:
    from .pooled_actor import PooledActor

logger = logging.getLogger(__name__)

_NEW, _IDLE, _SCHEDULED, _DONE = range(4)

GUEST_HOPS = 4
"""At most this many told actors run on the thread of a ``tell_and_run`` after its message."""
QUICK_S = 0.002
"""A batch that takes longer outside the pool marks its actor slow (pool only from then on)."""
GUEST_BATCH = 32
"""Messages a guest actor handles on a thread outside its pool before it goes back."""


class PooledInbox:
    """The inbox of one pooled actor; putting into it schedules the actor on its pool."""

    __slots__ = ("_actor", "_helper", "_items", "_lock", "_offload", "_pool", "_setup_done",
                 "_state", "_visiting", "guest_runs", "slow")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: collections.deque[Any] = collections.deque()
        self._state = _NEW
        self._actor: PooledActor | None = None
        self._pool: Scheduler | None = None
        self._setup_done = False
        self.slow = False
        """Set when a batch took over ``QUICK_S`` outside the pool: never run outside again."""
        self.guest_runs = False
        """The actor class's ``guest_runs``."""
        self._offload = False
        """The home scheduler runs no user code: such messages visit the helper pool."""
        self._helper: ActorPool | None = None
        """The pool messages that run user code visit (attached from the first visit on)."""
        self._visiting = False
        """The actor is on the helper pool for messages that run user code."""

    @property
    def actor_name(self) -> str:
        """The actor's name, for logs."""
        return str(self._actor)

    def __repr__(self) -> str:
        return f"<PooledInbox of {self._actor} queued={len(self._items)}>"

    # pykka's ActorInbox protocol -------------------------------------------------------------
    def put(self, envelope: Any, /) -> None:
        """Queue a message; schedules the actor when it was idle."""
        with self._lock:
            state = self._state
            if state != _DONE:
                self._items.append(envelope)
                if state == _IDLE:
                    self._state = _SCHEDULED
        if state == _IDLE:
            assert self._pool is not None
            self._pool.schedule(self)
        elif state == _DONE:
            refuse(envelope, self._actor)

    def get(self) -> Any:
        """Take the oldest message (raises ``IndexError`` when empty; the pool never waits)."""
        with self._lock:
            return self._items.popleft()

    def empty(self) -> bool:
        """True when no message is queued."""
        return not self._items

    def is_idle(self) -> bool:
        """True when the actor has nothing queued and is not running anywhere."""
        return self._state == _IDLE

    def qsize(self) -> int:
        """Messages queued (as ``queue.Queue.qsize``)."""
        return len(self._items)

    # driven by the actor and the pool ----------------------------------------------------------
    def start(self, actor: PooledActor, pool: Scheduler) -> None:
        """Begin running ``actor`` on ``pool``: ``on_start`` first, then queued messages."""
        self._actor = actor
        self._pool = pool
        self.guest_runs = type(actor).guest_runs
        self._offload = not pool.runs_user_code
        pool.attach()
        with self._lock:
            self._state = _SCHEDULED
        pool.schedule(self)

    def run_batch(self, limit: int) -> None:
        """Run ``on_start`` (first time) and up to ``limit`` messages; reschedule or finish."""
        actor = self._actor
        assert actor is not None and self._pool is not None
        if self._visiting:
            self._run_visit(actor, limit)
            return
        if not self._setup_done:
            self._setup_done = True
            actor._actor_loop_setup()
        stopped = actor.actor_stopped
        items = self._items
        offload = self._offload
        with self._lock:  # take the batch in one go
            batch = [items.popleft() for _ in range(min(limit, len(items)))]
        for index, envelope in enumerate(batch):
            if stopped.is_set() or (offload and actor.runs_user_code(envelope.message)):
                with self._lock:  # back in front, in order (for _finish, or the visit)
                    items.extendleft(reversed(batch[index:]))
                if not stopped.is_set():
                    self._visit()
                    return
                break
            actor._handle_envelope(envelope)
        self._settle()

    def _visit(self) -> None:
        """Move to the helper pool for the messages in front that run user code (the actor
        stays scheduled meanwhile: nothing else runs it, and new messages queue behind)."""
        helper = self._helper
        if helper is None:  # attached until the actor finishes, so its workers stay up
            helper = self._helper = default_pool()
            helper.attach()
        self._visiting = True
        helper.schedule(self)

    def _run_visit(self, actor: PooledActor, limit: int) -> None:
        """On a helper worker: handle the messages in front while they run user code, then
        go home (the rest runs on the home scheduler)."""
        items = self._items
        stopped = actor.actor_stopped
        for count in range(limit):
            with self._lock:
                envelope = items[0] if items else None
            # the first one came here for this (asked again, it must not bounce back)
            if envelope is None or (count and not actor.runs_user_code(envelope.message)):
                break
            with self._lock:  # only the thread running the actor takes messages
                items.popleft()
            actor._handle_envelope(envelope)
            if stopped.is_set():
                break
        self._visiting = False
        self._settle()

    def run_guest_batch(self, limit: int) -> None:
        """Run up to ``limit`` messages on a thread outside the pool, each only if the actor's
        ``guest_may_handle`` allows it; the rest goes to the pool."""
        actor = self._actor
        assert actor is not None
        items = self._items
        stopped = actor.actor_stopped
        if self._setup_done:
            for _ in range(limit):
                with self._lock:
                    if not items or not actor.guest_may_handle(items[0].message):
                        break
                    envelope = items.popleft()
                self._run_here(envelope)
                if stopped.is_set():
                    break
        self._settle()

    def put_and_run(self, envelope: Any) -> None:
        """Queue a message and, when the actor was idle, handle it on the calling thread.

        Only that one message runs here; anything queued meanwhile (by other threads) goes to
        the pool afterwards, so order and one-at-a-time are kept. An actor that does not run
        outside the pool (``guest_runs`` False, unless ``guest_may_handle`` allows this
        message) gets it as a plain tell."""
        actor = self._actor
        if actor is not None and ((not self.guest_runs and not actor.guest_may_handle(
                envelope.message)) or self._pool is None or not self._pool.allows_guests):
            self.put(envelope)
            return
        with self._lock:
            state = self._state
            if state == _IDLE:
                self._state = _SCHEDULED  # ours now; an idle inbox is empty: nothing to pass
            elif state != _DONE:
                self._items.append(envelope)
        if state == _DONE:
            refuse(envelope, self._actor)
            return
        if state != _IDLE:
            return  # queued behind others or running elsewhere: handled there, in order
        actor, pool = self._actor, self._pool
        assert actor is not None and isinstance(pool, ActorPool)  # only pools allow guests
        guest = pool.enter_guest()
        try:
            self._run_here(envelope)
            self._settle()  # what others queued meanwhile runs on the pool
            _run_told_here(guest)
        finally:
            pool.leave_guest(guest)

    def run_as_guest(self) -> None:
        """On a thread outside the pool that this scheduled actor was told from: run a batch
        here if the actor opted in and has been quick so far, else hand it to its pool. A
        batch over :data:`QUICK_S` marks it slow: from then on it always runs on its pool, so
        a handler that blocks holds up the host thread (the reactor) once, not again."""
        if self.slow or not self.guest_runs:
            self.to_pool()
            return
        started = time.perf_counter()
        self.run_guest_batch(GUEST_BATCH)
        took = time.perf_counter() - started
        if took > QUICK_S:
            self.slow = True
            logger.info("%s took %.1f ms on %s; it runs on its pool's workers from now on",
                        self.actor_name, took * 1000, threading.current_thread().name)

    def to_pool(self) -> None:
        """Hand a scheduled actor that a host thread will not run after all to its pool."""
        assert self._pool is not None
        self._pool.requeue(self)

    def _run_here(self, envelope: Any) -> None:
        """Handle one message on a thread outside the pool."""
        assert self._actor is not None
        try:
            self._actor._handle_envelope(envelope)
        except BaseException:  # this thread's own interrupt: the actor has failed
            self._finish()
            raise

    def _settle(self) -> None:
        """After running messages: finish a stopped actor, else go idle or back to the pool."""
        assert self._actor is not None and self._pool is not None
        if self._actor.actor_stopped.is_set():
            self._finish()
            return
        with self._lock:
            more = bool(self._items)
            if not more:
                self._state = _IDLE
        if more:
            self._pool.requeue(self)

    def _finish(self) -> None:
        with self._lock:
            self._state = _DONE
            left = list(self._items)
            self._items.clear()
        for envelope in left:
            refuse(envelope, self._actor)
        assert self._pool is not None
        self._pool.detach()
        if self._helper is not None:
            self._helper.detach()


def _run_told_here(guest: _Worker) -> None:
    """Run the actors the guest's handler told, here, while they are quick (see
    :meth:`PooledInbox.run_as_guest`): a batch each, at most :data:`GUEST_HOPS` of them."""
    for _ in range(GUEST_HOPS):
        inbox, guest.next = guest.next, None
        if inbox is None:
            return
        inbox.run_as_guest()


def refuse(envelope: Any, actor: Any) -> None:
    """Answer a message the stopped actor will never handle, as pykka's teardown does."""
    reply_to = envelope.reply_to
    if reply_to is None:
        logger.debug("%s stopped; dropped %r", actor, type(envelope.message).__name__)
        return
    if isinstance(envelope.message, messages._ActorStop):
        reply_to.set(None)
    else:
        reply_to.set_exception(exc_info=(
            ActorDeadError, ActorDeadError(f"{actor} stopped before handling the message"), None))
