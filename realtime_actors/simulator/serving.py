"""Serving the simulator in the foreground until it is stopped or the process is signalled.

:func:`serve` (also :meth:`Simulator.serve <realtime_actors.simulator.Simulator.serve>`) is
what ``python -m realtime_actors.simulator`` and ``realtime-actors simulator`` run: start,
report readiness, block until ``stop()`` / SIGINT (Ctrl-C, ``KeyboardInterrupt``) / SIGTERM,
then stop every server and thread and return which of these ended it.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .simulator import Simulator

logger = logging.getLogger(__name__)

STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)
"""The signals :func:`serve` turns into a clean stop (when called in the main thread)."""
WAIT_SLICE_S = 0.25
"""The blocking wait is cut in slices this long: the kernel may hand a process signal to any
thread, and Python runs the handler only when the main thread next executes bytecode."""


class _Signalled(KeyboardInterrupt):
    """Raised in the main thread by the serve signal handler while it is waiting."""

    def __init__(self, signum: signal.Signals) -> None:
        super().__init__(signum.name)
        self.signum = signum


class _SignalTrap:
    """SIGINT/SIGTERM handlers that remember the first signal and raise :class:`_Signalled`
    only while ``armed`` (the blocking wait), so starting and stopping are never cut short."""

    def __init__(self) -> None:
        self.received: signal.Signals | None = None
        self.armed = False
        self._previous: dict[signal.Signals, Any] = {}

    def install(self) -> None:
        for sig in STOP_SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        # Runs in the main thread between bytecodes: no locks, no logging here.
        if self.received is None:
            self.received = signal.Signals(signum)
        if self.armed:
            self.armed = False
            raise _Signalled(signal.Signals(signum))


def serve(
    simulator: Simulator,
    *,
    on_ready: Callable[[Simulator], object] | None = None,
    handle_signals: bool = True,
) -> signal.Signals | None:
    """Run ``simulator`` in the foreground until it is stopped; always stops it on the way out.

    Starts the simulator if it is not running, calls ``on_ready(simulator)`` (e.g. to print
    ``ws_url``), then blocks until :meth:`Simulator.stop` is called from another thread, a
    ``KeyboardInterrupt`` is raised, or (with ``handle_signals`` in the main thread) SIGINT or
    SIGTERM arrives. Signals arriving while it starts or stops are held, never cutting those
    short; the previous signal handlers are restored before returning. Outside the main
    thread signals cannot be handled and only ``stop()`` ends serving.

    Returns the signal that ended serving (``SIGINT`` also for a ``KeyboardInterrupt``), or
    None when ``stop()`` did. Errors of ``start()`` (``SimulatorError`` for a busy WebSocket
    port or a stopped simulator, ``OSError`` for a busy REST port) and of ``on_ready``
    propagate after the stop.
    """
    trap: _SignalTrap | None = None
    if handle_signals and threading.current_thread() is threading.main_thread():
        trap = _SignalTrap()
        trap.install()
    elif handle_signals:
        logger.debug("serve() outside the main thread: only stop() ends it")
    reason: signal.Signals | None = None
    try:
        simulator.start()
        if on_ready is not None:
            on_ready(simulator)
        reason = _wait(simulator, trap)
    except KeyboardInterrupt as exc:
        reason = exc.signum if isinstance(exc, _Signalled) else signal.SIGINT
    finally:
        if trap is not None:
            trap.armed = False  # a signal during the stop is only remembered
        try:
            simulator.stop()
        finally:
            if trap is not None:
                trap.restore()
    if reason is not None:
        logger.info("simulator stopped by %s", reason.name)
    return reason


def _wait(simulator: Simulator, trap: _SignalTrap | None) -> signal.Signals | None:
    """Block until the simulator is stopped or the trap fires (raising ``_Signalled``)."""
    if trap is not None:
        trap.armed = True  # before the check: a signal in between raises at once
    try:
        if trap is not None and trap.received is not None:  # came while starting
            return trap.received
        while not simulator.wait_stopped(WAIT_SLICE_S):
            pass
        return None
    finally:
        if trap is not None:
            trap.armed = False
