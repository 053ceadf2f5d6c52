"""Address: a stable handle to whichever incarnation of a supervised child is current."""

from __future__ import annotations

import threading
from typing import Any

import pykka

from realtime_actors.supervision.errors import (
    ChildRestartingError,
    ChildStoppedError,
    ChildUnavailableError,
)
from realtime_actors.supervision.spec import ChildState


class Address:
    """Stable handle to a supervised child; survives restarts.

    ``tell``/``ask`` go to the current incarnation. While the child is restarting they raise
    :class:`ChildRestartingError` (no buffering: the caller decides whether to retry or drop);
    once it is stopped for good they raise :class:`ChildStoppedError`. Both subclass
    :class:`pykka.ActorDeadError`. Only the supervisor swaps the reference.
    """

    def __init__(self, child_id: str) -> None:
        self._child_id = child_id
        self._cond = threading.Condition()
        self._ref: pykka.ActorRef[Any] | None = None
        self._generation = 0
        self._state = ChildState.RESTARTING

    @property
    def child_id(self) -> str:
        """Id of the child this address points at."""
        return self._child_id

    @property
    def state(self) -> ChildState:
        """Current state (running / restarting / stopped)."""
        with self._cond:
            return self._state

    @property
    def generation(self) -> int:
        """Generation of the current (or last) incarnation; 0 before the first start."""
        with self._cond:
            return self._generation

    def current(self) -> pykka.ActorRef[Any]:
        """The current incarnation's ref; raises :class:`ChildUnavailableError` if none."""
        ref = self._ref  # one atomic read: the supervisor swaps it under the lock
        if ref is not None:
            return ref
        with self._cond:
            if self._ref is not None:
                return self._ref
            if self._state is ChildState.STOPPED:
                raise ChildStoppedError(self._child_id)
            raise ChildRestartingError(self._child_id)

    def tell(self, message: Any) -> None:
        """Send ``message`` to the current incarnation without waiting."""
        ref = self.current()
        try:
            ref.tell(message)
        except pykka.ActorDeadError as exc:
            raise ChildUnavailableError(self._child_id, "died before delivery") from exc

    def ask(self, message: Any, *, timeout: float) -> Any:
        """Send ``message`` and wait at most ``timeout`` seconds for the answer.

        Raises ``pykka.Timeout`` on timeout and the handler's exception if it failed.
        """
        ref = self.current()
        try:
            return ref.ask(message, timeout=timeout)
        except ChildUnavailableError:
            raise
        except pykka.ActorDeadError as exc:
            raise ChildUnavailableError(self._child_id, "died before answering") from exc

    def wait_running(self, *, timeout: float, after_generation: int = 0) -> pykka.ActorRef[Any]:
        """Block until an incarnation newer than ``after_generation`` is running; return its ref.

        Raises ``pykka.Timeout`` when none shows up in time and :class:`ChildStoppedError` if the
        child is stopped for good.
        """
        with self._cond:
            ok = self._cond.wait_for(
                lambda: self._state is ChildState.STOPPED
                or (self._ref is not None and self._generation > after_generation),
                timeout=timeout,
            )
            if not ok:
                raise pykka.Timeout(f"{timeout} seconds")
            if self._ref is None:
                raise ChildStoppedError(self._child_id)
            return self._ref

    def wait_state(self, state: ChildState, *, timeout: float) -> None:
        """Block until the address is in ``state``; raises ``pykka.Timeout`` otherwise."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._state is state, timeout=timeout):
                raise pykka.Timeout(f"{timeout} seconds")

    def __repr__(self) -> str:
        with self._cond:
            return f"<Address {self._child_id!r} gen={self._generation} {self._state.value}>"

    # --- used by the supervisor only -------------------------------------------------------
    def _set(self, ref: pykka.ActorRef[Any] | None, generation: int, state: ChildState) -> None:
        with self._cond:
            self._ref = ref
            self._generation = generation
            self._state = state
            self._cond.notify_all()

    def _mark(self, state: ChildState) -> None:
        with self._cond:
            self._ref = None
            self._state = state
            self._cond.notify_all()
