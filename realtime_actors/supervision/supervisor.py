"""Supervisor: an OTP-style supervisor actor on pykka (strategies, restart types, intensity).

It never blocks in its loop: children are stopped by a :class:`StopSequencer`, whose stop
requests come back as messages. While such a stop sequence is in flight, the requests that
change the children (exit reports, restarts due, start/terminate, stop) wait their turn in
arrival order; queries (``WhichChildren``, ``GetAddress``) and ``Healthy`` are answered at once.
So it can run on the reactor thread next to the children it supervises.
"""

from __future__ import annotations

import collections
import functools
import itertools
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import pykka
from pykka import messages

from realtime_actors.reactor.core import Reactor
from realtime_actors.runtime.pooled_actor import PooledActor
from realtime_actors.runtime.pooled_inbox import refuse
from realtime_actors.supervision._child import (
    ChildRecord,
    needs_watchdog,
    start_incarnation,
    start_watchdog,
    tell_quietly,
)
from realtime_actors.supervision._stopping import ChildStopped, StopSequencer, StopTimedOut, abandon
from realtime_actors.supervision._timers import Timers
from realtime_actors.supervision.address import Address
from realtime_actors.supervision.backoff import BackoffPolicy
from realtime_actors.supervision.errors import SupervisionConfigError, UnknownChildError
from realtime_actors.supervision.spec import (
    ChildInfo,
    ChildSpec,
    ChildState,
    Exited,
    GetAddress,
    Healthy,
    Restart,
    StartChild,
    Strategy,
    StrategyName,
    SupervisionLink,
    TerminateChild,
    WhichChildren,
    to_strategy,
)
from realtime_actors.supervision.supervised import Supervised

logger = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class _RestartDue:
    """Timer message: start the next incarnation of these children (if the token still holds)."""

    child_ids: tuple[str, ...]
    token: int


_AT_ONCE = frozenset({ChildStopped, StopTimedOut, Healthy, WhichChildren, GetAddress})
"""Messages handled even while a stop sequence is in flight (the rest wait their turn)."""


class Supervisor(PooledActor, Supervised):
    """OTP-style supervisor actor, a pooled actor (the shared pool unless a subclass names
    another ``actor_pool``) that never blocks in its loop.

    Children are started in order in ``__init__`` (so a child that cannot be constructed makes
    ``Supervisor.start()`` raise in the caller) and stopped in reverse order on stop; the stop
    request is answered once they all have. More than ``max_restarts`` restarts within
    ``max_seconds`` (sliding window) make it give up: call ``on_give_up(reason)``, stop all
    children in reverse order, set ``gave_up`` and stop with an abnormal exit, which a parent
    supervisor sees as a crash of this child (escalation). Restarts are delayed by ``backoff``
    on timers (the reactor's when it runs there), cancelled on stop. A child that has not
    stopped within its ``shutdown_timeout_s`` is abandoned (logged) and the supervisor goes on.
    """

    def __init__(
        self,
        *,
        children: Sequence[ChildSpec] = (),
        strategy: Strategy | StrategyName = Strategy.ONE_FOR_ONE,
        max_restarts: int = 3,
        max_seconds: float = 5.0,
        backoff: BackoffPolicy | None = None,
        on_give_up: Callable[[str], None] | None = None,
        gave_up: threading.Event | None = None,
        name: str = "supervisor",
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        link: SupervisionLink | None = None,
    ) -> None:
        super().__init__(link=link)
        if max_restarts < 0 or max_seconds <= 0:
            raise SupervisionConfigError("max_restarts must be >= 0 and max_seconds > 0")
        self.name = name
        self.gave_up = gave_up if gave_up is not None else threading.Event()
        self._strategy = to_strategy(strategy)
        self._max_restarts = max_restarts
        self._max_seconds = max_seconds
        self._backoff = backoff if backoff is not None else BackoffPolicy()
        self._on_give_up = on_give_up
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self._restarts: collections.deque[float] = collections.deque()
        self._children: dict[str, ChildRecord] = {}  # insertion order == start order
        pool = type(self).actor_pool
        self._timers = Timers(name, pool if isinstance(pool, Reactor) else None)
        self._tokens = itertools.count(1)
        self._stopping = StopSequencer(name, self.actor_ref, self._timers, self._tokens,
                                       on_idle=self._run_waiting)
        self._waiting: collections.deque[Any] = collections.deque()
        """Envelopes that arrived during a stop sequence, in arrival order."""
        self._draining = False
        self._stop_replies: list[pykka.Future[Any] | None] = []
        self._reply: pykka.Future[Any] | None = None
        try:
            for spec in children:
                self._add_child(spec)
        except BaseException:
            self._stop_started_children()
            raise

    # --- message dispatch -------------------------------------------------------------------
    def _handle_envelope(self, envelope: Any) -> None:
        """Let requests wait during a stop sequence; take the reply of a stop request or a
        TerminateChild, answered once the children have stopped (see the module docstring)."""
        message = envelope.message
        kind = type(message)
        if kind not in _AT_ONCE and self._stopping.busy:
            self._waiting.append(envelope)
            return
        if kind is messages._ActorStop or (
            kind is TerminateChild and message.child_id in self._children
        ):
            self._reply, envelope.reply_to = envelope.reply_to, None
        super()._handle_envelope(envelope)

    def _handle_receive(self, message: Any) -> Any:
        """pykka's stop request: stop the children in reverse order first."""
        if isinstance(message, messages._ActorStop):
            self._stop_replies.append(self._take_reply())
            # then stop as pykka does (on_stop: teardown answers the stop requests)
            self._shut_down(then=self._stop)
            return None
        return super()._handle_receive(message)

    def on_receive(self, message: Any) -> Any:
        """Handle exit reports, timer messages and requests (see ``spec`` request classes)."""
        if isinstance(message, Exited):
            self._on_exited(message)
        elif isinstance(message, ChildStopped | StopTimedOut):
            self._stopping.on_message(message)
        elif isinstance(message, _RestartDue):
            self._on_restart_due(message)
        elif isinstance(message, Healthy):
            child = self._children.get(message.child_id)
            if child is not None and child.generation == message.generation:
                child.attempts = 0
        elif isinstance(message, StartChild):
            return self._add_child(message.spec)
        elif isinstance(message, GetAddress):
            return self._get(message.child_id).address
        elif isinstance(message, WhichChildren):
            return self.which_children()
        elif isinstance(message, TerminateChild):
            self._terminate(message.child_id, self._take_reply())
        else:
            logger.warning("%s: dropping unexpected message %r", self.name, type(message))
        return None

    def which_children(self) -> list[ChildInfo]:
        """Children in start order with their state, generation and current ref."""
        return [
            ChildInfo(
                id=c.spec.id,
                state=c.state,
                generation=c.generation,
                restart=c.spec.restart,
                ref=c.ref,
                attempts=c.attempts,
            )
            for c in self._children.values()
        ]

    def terminate_child(self, child_id: str) -> None:
        """Begin stopping a child (bounded by its shutdown timeout); it is removed once it has
        stopped. (A ``TerminateChild`` request is answered then.)"""
        self._terminate(child_id, None)

    def _terminate(self, child_id: str, reply: pykka.Future[Any] | None) -> None:
        child = self._get(child_id)
        self._stopping.stop([child], functools.partial(self._removed, child, reply))

    def _take_reply(self) -> pykka.Future[Any] | None:
        """The reply of the request being handled, taken from its envelope to be set later."""
        reply, self._reply = self._reply, None
        return reply

    def teardown(self) -> None:
        """Cancel pending restarts; stop what is left without waiting (nothing, unless the
        supervisor itself failed); refuse the requests still waiting."""
        self._timers.cancel_all()
        for child in reversed(list(self._children.values())):
            ref = child.release()
            if ref is not None and ref.is_alive():
                logger.warning("%s: ending with child %s still running; asking it to stop",
                               self.name, child.spec.id)
                ref.stop(block=False)
            child.address._mark(ChildState.STOPPED)
        waiting, self._waiting = list(self._waiting), collections.deque()
        for envelope in waiting:
            refuse(envelope, self)
        replies, self._stop_replies = self._stop_replies, []
        for reply in replies:
            if reply is not None:
                reply.set(None)

    # --- child lifecycle --------------------------------------------------------------------
    def _get(self, child_id: str) -> ChildRecord:
        try:
            return self._children[child_id]
        except KeyError:
            raise UnknownChildError(child_id) from None

    def _add_child(self, spec: ChildSpec) -> Address:
        if spec.id in self._children:
            raise SupervisionConfigError(f"{self.name}: duplicate child id {spec.id!r}")
        child = ChildRecord(spec=spec, address=Address(spec.id))
        self._children[spec.id] = child
        try:
            self._start(child)
        except BaseException:
            del self._children[spec.id]
            child.address._mark(ChildState.STOPPED)
            raise
        return child.address

    def _start(self, child: ChildRecord) -> None:
        child.generation += 1
        link = SupervisionLink(
            supervisor=self.actor_ref, child_id=child.spec.id, generation=child.generation
        )
        ref = start_incarnation(child.spec, link)
        child.ref = ref
        child.state = ChildState.RUNNING
        child.address._set(ref, child.generation, ChildState.RUNNING)
        if needs_watchdog(child.spec):
            child.watchdog = start_watchdog(ref, link)
        logger.debug("%s: started %s generation %d", self.name, child.spec.id, child.generation)

    def _stop_started_children(self) -> None:
        """``__init__`` failed: stop the children started so far, waiting on the caller's
        thread (the actor does not run yet)."""
        for child in reversed(list(self._children.values())):
            ref = child.release()
            if ref is not None:
                try:
                    ref.stop(block=True, timeout=child.spec.shutdown_timeout_s)
                except pykka.Timeout:
                    abandon(self.name, child)
            child.address._mark(ChildState.STOPPED)

    # --- stop sequences ---------------------------------------------------------------------
    def _run_waiting(self) -> None:
        """Handle the requests that waited for the stop sequence, in order, until one starts
        another sequence."""
        if self._draining:
            return  # the loop below, further up the stack, goes on
        self._draining = True
        try:
            while self._waiting and not self._stopping.busy and not self.actor_stopped.is_set():
                self._handle_envelope(self._waiting.popleft())
        finally:
            self._draining = False

    def _shut_down(self, then: Callable[[], None]) -> None:
        """Cancel pending restarts and stop every child in reverse start order."""
        self._timers.cancel_all()
        self._stopping.stop(list(reversed(self._children.values())), then)

    def _removed(self, child: ChildRecord, reply: pykka.Future[Any] | None) -> None:
        del self._children[child.spec.id]
        child.address._mark(ChildState.STOPPED)
        if reply is not None:
            reply.set(None)

    # --- exits and restarts -----------------------------------------------------------------
    def _on_exited(self, report: Exited) -> None:
        child = self._children.get(report.child_id)
        if (
            child is None
            or child.state is not ChildState.RUNNING
            or child.generation != report.generation
        ):
            logger.debug("%s: ignoring stale exit report %r", self.name, report)
            return
        level = logging.WARNING if report.abnormal else logging.INFO
        logger.log(level, "%s: child %s exited: %s", self.name, child.spec.id, report.reason)
        restart = child.spec.restart
        if restart is Restart.TEMPORARY or (restart is Restart.TRANSIENT and not report.abnormal):
            # make sure the reported incarnation is really gone (a report that raced its death,
            # or a forged one), then retire the child
            self._stopping.stop([child], functools.partial(self._retired, child))
            return
        if not self._note_restart():
            self._give_up(
                f"more than {self._max_restarts} restarts within {self._max_seconds} s "
                f"(last: {child.spec.id}: {report.reason})"
            )
            return
        group = self._restart_group(child)
        # the reported incarnation first (really gone before another starts), then the rest of
        # the group in reverse start order
        order = [child] + [other for other in reversed(group) if other is not child]
        self._stopping.stop(order, functools.partial(self._restart, child, group))

    def _retired(self, child: ChildRecord) -> None:
        child.address._mark(ChildState.STOPPED)
        if child.spec.restart is Restart.TEMPORARY:
            del self._children[child.spec.id]

    def _restart(self, child: ChildRecord, group: list[ChildRecord]) -> None:
        to_restart: list[ChildRecord] = []
        for member in group:
            if member is not child and member.spec.restart is Restart.TEMPORARY:
                del self._children[member.spec.id]
                member.address._mark(ChildState.STOPPED)
                continue
            member.state = ChildState.RESTARTING
            member.address._mark(ChildState.RESTARTING)
            to_restart.append(member)
        child.attempts += 1
        self._schedule(to_restart, self._backoff.delay(child.attempts, self._rng))

    def _restart_group(self, child: ChildRecord) -> list[ChildRecord]:
        records = list(self._children.values())
        if self._strategy is Strategy.ONE_FOR_ONE:
            return [child]
        if self._strategy is Strategy.REST_FOR_ONE:
            records = records[records.index(child) :]
        return [c for c in records if c is child or c.state is not ChildState.STOPPED]

    def _note_restart(self) -> bool:
        now = self._clock()
        self._restarts.append(now)
        while self._restarts and now - self._restarts[0] > self._max_seconds:
            self._restarts.popleft()
        return len(self._restarts) <= self._max_restarts

    def _schedule(self, children: list[ChildRecord], delay: float) -> None:
        token = next(self._tokens)
        for member in children:
            member.token = token
        message = _RestartDue(child_ids=tuple(c.spec.id for c in children), token=token)
        if delay <= 0:
            self._on_restart_due(message)
            return
        logger.info("%s: restarting %s in %.3f s", self.name, message.child_ids, delay)
        self._timers.start(token, delay, functools.partial(tell_quietly, self.actor_ref, message))

    def _on_restart_due(self, message: _RestartDue) -> None:
        self._timers.cancel(message.token)
        for child_id in message.child_ids:
            child = self._children.get(child_id)
            if child is None or child.token != message.token:
                continue
            child.token = None
            try:
                self._start(child)
            except Exception as exc:
                logger.warning("%s: restart of %s failed: %r", self.name, child_id, exc)
                # Treat as a crash of the new incarnation, via the inbox (no recursion).
                child.state = ChildState.RUNNING
                self.actor_ref.tell(Exited(child_id=child_id, generation=child.generation,
                                           abnormal=True, reason=f"start failed: {exc!r}"))

    def _give_up(self, reason: str) -> None:
        logger.error("%s: giving up: %s", self.name, reason)
        if self._on_give_up is not None:
            # before the children stop, so they can tell their users why
            try:
                self._on_give_up(reason)
            except Exception:
                logger.exception("%s: on_give_up callback failed", self.name)
        self._shut_down(then=functools.partial(self._gave_up, reason))

    def _gave_up(self, reason: str) -> None:
        self.gave_up.set()
        self._exit_reason = (True, f"gave up: {reason}")  # what stop_with records
        self._stop()
