"""PooledActor: a pykka actor that runs on a shared
:class:`~realtime_actors.runtime.actor_pool.ActorPool`.

It is a new pykka actor type in the sense of pykka's extension points (``_create_actor_inbox``,
``_create_future``, ``_start_actor_loop``): refs, ``tell``, ``ask``, proxies, the registry,
``on_start`` / ``on_stop`` / ``on_failure`` and stop semantics are pykka's own, message for
message as in ``ThreadingActor``. What differs is where the messages run: on a pool worker, a
batch at a time, instead of on a thread of the actor's own. Use it for actors that never block
for long (subscribers, listeners); a handler that blocks ties up a worker, and the pool then
starts another one to keep the rest going.

Two improvements on ``ThreadingActor``: an ``ask`` that races the actor's stop gets
``ActorDeadError`` instead of waiting forever, and mixing it into a subclass of a threading
actor class (``class A(PooledActor, Supervised)``) moves that class onto the pool.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any, ClassVar

import pykka
from pykka import ActorDeadError, ActorRegistry, messages

from .actor_pool import Scheduler, current_worker, default_pool
from .pooled_inbox import PooledInbox

logger = logging.getLogger(__name__)

class PooledFuture(pykka.ThreadingFuture[Any]):
    """A ``ThreadingFuture`` that tells the pool when a worker blocks on it."""

    def get(self, *, timeout: float | None = None) -> Any:
        """Wait for the value; on a pool worker, the pool keeps other actors running."""
        worker = current_worker()
        if worker is None or self._result is not None:
            return super().get(timeout=timeout)
        worker.pool.enter_blocking(worker)
        try:
            return super().get(timeout=timeout)
        finally:
            worker.pool.leave_blocking(worker)


_PYKKA_MESSAGES = frozenset({messages._ActorStop, messages.ProxyCall,
                              messages.ProxyGetAttr, messages.ProxySetAttr})
"""pykka's own messages, which ``Actor._handle_receive`` handles before ``on_receive``."""


class PooledActor(pykka.Actor):
    """A pykka actor run on a shared pool of worker threads instead of a thread of its own.

    Set ``actor_pool`` on a subclass to use a pool other than :func:`default_pool`, for
    example ``actor_pool = rt.reactor()`` for a quick actor that should run on the reactor
    thread with the connections (it must never block).
    """

    actor_pool: ClassVar[Scheduler | None] = None
    guest_runs: ClassVar[bool] = False
    """Opt in (True) to let the thread that tells this actor (the reactor delivering events,
    through ``tell_and_run``) run its messages right there while they are quick: one thread
    hand-off fewer per event. Only for handlers that never block (a batch over ``QUICK_S``
    sends the actor back to its pool for good). False, the default, keeps every message on
    the pool's workers."""

    @staticmethod
    def _create_actor_inbox() -> Any:
        return PooledInbox()

    @staticmethod
    def _create_future() -> pykka.Future[Any]:
        return PooledFuture()

    def _start_actor_loop(self) -> None:
        inbox = self.actor_inbox
        assert isinstance(inbox, PooledInbox)
        inbox.start(self, type(self).actor_pool or default_pool())

    def guest_may_handle(self, message: Any) -> bool:
        """Whether ``message`` may be handled on a thread outside the pool (see
        ``guest_runs``); False hands it, and what follows, to the pool's workers. Where
        ``guest_runs`` is False, a True here still lets :func:`tell_and_run` handle this one
        message on the calling thread (for a message known to run no user code)."""
        return self.guest_runs

    def runs_user_code(self, message: Any) -> bool:
        """Whether handling ``message`` may run user code or block (False by default). On a
        scheduler that runs no user code (the reactor), such a message is handled on a
        worker of :func:`default_pool` instead: the actor moves there for the messages in
        front that need it, then back, with its order and one-message-at-a-time kept."""
        return False

    def _handle_envelope(self, envelope: Any) -> None:
        """Handle one message exactly as pykka's actor loop does."""
        try:
            message = envelope.message
            if type(message) in _PYKKA_MESSAGES:
                response = self._handle_receive(message)
            else:  # what _handle_receive ends with, without its four isinstance checks
                response = self.on_receive(message)
            if envelope.reply_to is not None:
                envelope.reply_to.set(response)
        except Exception:
            if envelope.reply_to is not None:
                logger.info("Exception returned from %s to caller:", self, exc_info=sys.exc_info())
                envelope.reply_to.set_exception()
            else:
                self._handle_failure(*sys.exc_info())
                try:
                    self.on_failure(*sys.exc_info())
                except Exception:
                    self._handle_failure(*sys.exc_info())
        except BaseException as exc:
            worker = current_worker()
            if worker is not None and worker.guest:
                # a KeyboardInterrupt (or SystemExit) of the thread that lent itself to this
                # actor belongs to that thread: the actor fails (its supervisor hears of it,
                # as after any crash) and the interrupt goes on up the caller's stack
                logger.warning("%r while %s ran on %s; the actor stops as after a crash", exc,
                               self, threading.current_thread().name)
                self._handle_failure(*sys.exc_info())
                try:
                    self.on_failure(*sys.exc_info())
                except Exception:
                    self._handle_failure(*sys.exc_info())
                raise
            logger.debug("%r in %s. Stopping all actors.", exc, self)
            self._stop()
            ActorRegistry.stop_all(block=False)  # a worker must not wait on other actors


def tell_and_run(ref: pykka.ActorRef[Any], message: Any) -> None:
    """Tell ``ref`` ``message``; when ``ref`` is an idle pooled actor, handle it right here.

    For threads that hand over work they read themselves (the reactor): the handler runs on
    the calling thread instead of waking a pool worker, one thread hand-off fewer, with the
    actor's order and one-message-at-a-time guarantees kept. From a pool worker, or for any
    other actor, it is a plain ``tell``. Raises ``pykka.ActorDeadError`` like ``tell``.
    """
    inbox = ref.actor_inbox
    worker = current_worker()
    if not isinstance(inbox, PooledInbox) or (
            worker is not None and (worker.guest or worker.pool is inbox._pool)):
        ref.tell(message)
        return
    if not ref.is_alive():
        raise ActorDeadError(f"{ref} not found")
    inbox.put_and_run(_Tell(message))


class _Tell:
    """A told message, as the inbox stores it (pykka's envelope without a reply)."""

    __slots__ = ("message", "reply_to")

    def __init__(self, message: Any) -> None:
        self.message = message
        self.reply_to: pykka.Future[Any] | None = None
