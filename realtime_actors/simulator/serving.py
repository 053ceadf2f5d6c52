"""Serving the simulator in the foreground until it is stopped or the process is signalled.

:func:`serve` (also :meth:`Simulator.serve <realtime_actors.simulator.Simulator.serve>`) is
what ``python -m realtime_actors.simulator`` and ``realtime-actors simulator`` run: start,
report readiness, block until ``stop()`` / SIGINT (Ctrl-C, ``KeyboardInterrupt``) / SIGTERM,
then stop every server and thread and return which of these ended it.
"""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..runtime.stop_signals import WAIT_SLICE_S, StopRequested, StopSignals

if TYPE_CHECKING:
    from .simulator import Simulator

logger = logging.getLogger(__name__)


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
    reason: signal.Signals | None = None
    with contextlib.ExitStack() as restore_handlers:
        signals = restore_handlers.enter_context(StopSignals()) if handle_signals else None
        try:
            simulator.start()
            if on_ready is not None:
                on_ready(simulator)
            _wait(simulator, signals)
        except KeyboardInterrupt as exc:
            reason = exc.signum if isinstance(exc, StopRequested) else signal.SIGINT
        finally:
            simulator.stop()  # a signal now is only remembered: the stop is not cut short
    if reason is not None:
        logger.info("simulator stopped by %s", reason.name)
    return reason


def _wait(simulator: Simulator, signals: StopSignals | None) -> None:
    """Block until the simulator is stopped, or a stop signal raises ``StopRequested`` (at
    once for one that came while it started)."""
    with signals.interruptible() if signals is not None else contextlib.nullcontext():
        while not simulator.wait_stopped(WAIT_SLICE_S):
            pass
