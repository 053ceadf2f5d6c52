"""Stopping a supervisor's children one after the other without blocking its loop (internal)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pykka

from realtime_actors.supervision._child import ChildRecord, request_stop, tell_quietly
from realtime_actors.supervision._timers import Timers

logger = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class ChildStopped:
    """The child stop of this token has completed (told from the child's thread)."""

    token: int


@attrs.frozen(kw_only=True)
class StopTimedOut:
    """Timer message: the child stop of this token took longer than its shutdown timeout."""

    token: int


@attrs.define(kw_only=True)
class _Sequence:
    left: list[ChildRecord]
    then: Callable[[], None]
    token: int = 0
    """Token of the stop being waited for (0: none)."""
    child: ChildRecord | None = None


class StopSequencer:
    """Stops children in a given order, one at a time: each gets a stop request whose
    completion the child's thread tells the supervisor (:class:`ChildStopped`), or a timer
    after its ``shutdown_timeout_s`` (:class:`StopTimedOut`: it is abandoned, logged). Then the
    sequence's ``then`` runs, followed by ``on_idle``. Used on the supervisor's thread only."""

    def __init__(self, name: str, supervisor: pykka.ActorRef[Any], timers: Timers,
                 tokens: Iterator[int], on_idle: Callable[[], None]) -> None:
        self._name = name
        self._supervisor = supervisor
        self._timers = timers
        self._tokens = tokens
        self._on_idle = on_idle
        self._sequence: _Sequence | None = None

    @property
    def busy(self) -> bool:
        """A sequence is in flight."""
        return self._sequence is not None

    def stop(self, children: list[ChildRecord], then: Callable[[], None]) -> None:
        """Stop ``children`` in this order, then call ``then`` (at once when none runs)."""
        assert self._sequence is None, "one stop sequence at a time"
        self._sequence = _Sequence(left=list(children), then=then)
        self._next()

    def on_message(self, message: ChildStopped | StopTimedOut) -> None:
        """The stop being waited for has completed or timed out: go on with the next child."""
        sequence = self._sequence
        if sequence is None or sequence.token != message.token:
            return  # the other of the two messages of an earlier stop
        self._timers.cancel(message.token)
        if isinstance(message, StopTimedOut) and sequence.child is not None:
            abandon(self._name, sequence.child)
        sequence.token, sequence.child = 0, None
        self._next()

    def _next(self) -> None:
        sequence = self._sequence
        assert sequence is not None
        while sequence.left:
            child = sequence.left.pop(0)
            ref = child.release()
            if ref is None:
                continue
            token = next(self._tokens)
            tell = functools.partial(tell_quietly, self._supervisor)
            if request_stop(ref, functools.partial(tell, ChildStopped(token=token))):
                sequence.token, sequence.child = token, child
                self._timers.start(token, child.spec.shutdown_timeout_s,
                                   functools.partial(tell, StopTimedOut(token=token)))
                return
        self._sequence = None
        sequence.then()
        self._on_idle()


def abandon(name: str, child: ChildRecord) -> None:
    """Log that ``child`` did not stop within its shutdown timeout and is left behind."""
    logger.warning("%s: child %s did not stop within %.1f s; abandoning it", name,
                   child.spec.id, child.spec.shutdown_timeout_s)
