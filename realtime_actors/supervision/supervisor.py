"""Supervisor: an OTP-style supervisor actor on pykka (strategies, restart types, intensity)."""

from __future__ import annotations

import collections
import itertools
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import pykka

from realtime_actors.supervision._child import (
    ChildRecord,
    needs_watchdog,
    start_incarnation,
    start_watchdog,
)
from realtime_actors.supervision.address import Address
from realtime_actors.supervision.backoff import BackoffPolicy
from realtime_actors.supervision.errors import (
    SupervisionConfigError,
    UnknownChildError,
)
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


class Supervisor(Supervised):
    """OTP-style supervisor actor.

    Children are started in order in ``__init__`` (so a child that cannot be constructed makes
    ``Supervisor.start()`` raise in the caller) and stopped in reverse order on stop. More than
    ``max_restarts`` restarts within ``max_seconds`` (sliding window) make it give up: call
    ``on_give_up(reason)``, stop all children in reverse order, set ``gave_up`` and stop with an
    abnormal exit, which a parent supervisor sees as a crash of this child (escalation).
    Restarts are delayed by ``backoff`` using ``threading.Timer``; timers are cancelled on stop.
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
        self._timers: dict[int, threading.Timer] = {}
        self._tokens = itertools.count(1)
        try:
            for spec in children:
                self._add_child(spec)
        except BaseException:
            self._shutdown_children()
            raise

    # --- message dispatch -------------------------------------------------------------------
    def on_receive(self, message: Any) -> Any:
        """Handle exit reports, timer messages and requests (see ``spec`` request classes)."""
        if isinstance(message, Exited):
            self._on_exited(message)
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
            self.terminate_child(message.child_id)
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
        """Stop a child (bounded by its shutdown timeout) and remove it."""
        child = self._get(child_id)
        self._stop_child(child)
        del self._children[child_id]
        child.address._mark(ChildState.STOPPED)

    def teardown(self) -> None:
        """Cancel pending restarts and stop the children in reverse start order."""
        self._shutdown_children()

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

    def _stop_child(self, child: ChildRecord) -> None:
        """Stop the current incarnation; its own exit report becomes stale."""
        ref, child.ref = child.ref, None
        child.state = ChildState.STOPPED
        child.token = None
        if ref is None:
            return
        try:
            ref.stop(block=True, timeout=child.spec.shutdown_timeout_s)
        except pykka.Timeout:
            logger.warning(
                "%s: child %s did not stop within %.1f s; abandoning it",
                self.name,
                child.spec.id,
                child.spec.shutdown_timeout_s,
            )
        if child.watchdog is not None:
            child.watchdog.join(timeout=child.spec.shutdown_timeout_s)
            child.watchdog = None

    def _shutdown_children(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        for timer in self._timers.values():
            timer.join(timeout=1.0)
        self._timers.clear()
        for child in reversed(list(self._children.values())):
            self._stop_child(child)
            child.address._mark(ChildState.STOPPED)

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
        # Make sure the reported incarnation is really gone (e.g. a report that raced its
        # death, or a forged one) before another is started.
        self._stop_child(child)
        restart = child.spec.restart
        if restart is Restart.TEMPORARY or (restart is Restart.TRANSIENT and not report.abnormal):
            child.state = ChildState.STOPPED
            child.address._mark(ChildState.STOPPED)
            if restart is Restart.TEMPORARY:
                del self._children[child.spec.id]
            return
        if not self._note_restart():
            self._give_up(
                f"more than {self._max_restarts} restarts within {self._max_seconds} s "
                f"(last: {child.spec.id}: {report.reason})"
            )
            return
        group = self._restart_group(child)
        for other in reversed(group):
            if other is not child and other.ref is not None:
                self._stop_child(other)
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
        timer = threading.Timer(delay, self._deliver, args=(message,))
        timer.name = f"{self.name}-restart-{token}"
        timer.daemon = True
        self._timers[token] = timer
        timer.start()

    def _deliver(self, message: _RestartDue) -> None:
        try:
            self.actor_ref.tell(message)
        except pykka.ActorDeadError:
            logger.debug("%s: stopped before restart timer fired", self.name)

    def _on_restart_due(self, message: _RestartDue) -> None:
        self._timers.pop(message.token, None)
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
                self.actor_ref.tell(
                    Exited(
                        child_id=child_id,
                        generation=child.generation,
                        abnormal=True,
                        reason=f"start failed: {exc!r}",
                    )
                )

    def _give_up(self, reason: str) -> None:
        logger.error("%s: giving up: %s", self.name, reason)
        if self._on_give_up is not None:
            # before the children stop, so they can tell their users why
            try:
                self._on_give_up(reason)
            except Exception:
                logger.exception("%s: on_give_up callback failed", self.name)
        self._shutdown_children()
        self.gave_up.set()
        self.stop_with(f"gave up: {reason}", abnormal=True)
