"""SIGINT and SIGTERM as one clean way to stop a foreground command (the command line's
subcommands, the simulator's ``serve``).

Python turns SIGINT into ``KeyboardInterrupt`` wherever the main thread happens to be, and
SIGTERM kills the process without any clean-up. :class:`StopSignals` handles both alike: the
command marks the parts where it may be stopped at once (waiting for input or an answer) with
:meth:`StopSignals.interruptible`, where a signal raises :class:`StopRequested`; a signal that
arrives while it sets up or closes a session is held until the next interruptible part (or
dropped when the command is already ending), so those are never cut short.

The kernel may hand a process-directed signal to any thread, and Python runs the handler only
when the main thread next executes bytecode: a main thread blocked without a time limit (a
read of stdin, ``Event.wait()``) may never notice it. So the main thread only waits in slices
of :data:`WAIT_SLICE_S` (:func:`wait_event`).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType
from typing import Any

logger = logging.getLogger(__name__)

STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)
"""The signals that stop a command."""
WAIT_SLICE_S = 0.25
"""Longest uninterrupted wait of the main thread while a command may be stopped."""


def wait_event(event: threading.Event, timeout: float) -> bool:
    """``event.wait(timeout)`` in slices of :data:`WAIT_SLICE_S`, so a stop signal handled
    by another thread is acted upon within a slice; True once ``event`` is set."""
    deadline = time.monotonic() + timeout
    while not event.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        event.wait(min(left, WAIT_SLICE_S))
    return True


class StopRequested(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived; ``signum`` says which. A ``KeyboardInterrupt``, so code
    that already handles Ctrl-C handles SIGTERM the same way."""

    def __init__(self, signum: signal.Signals) -> None:
        super().__init__(signum.name)
        self.signum = signum


class StopSignals:
    """Context manager: while active, SIGINT and SIGTERM raise :class:`StopRequested` inside
    :meth:`interruptible` blocks and are held elsewhere; the previous handlers come back on
    exit. Outside the main thread (where handlers cannot be installed) it does nothing."""

    def __init__(self) -> None:
        self.received: signal.Signals | None = None
        """The first stop signal seen, or None."""
        self._armed = False
        self._previous: dict[signal.Signals, Any] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in STOP_SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        else:
            logger.debug("not the main thread: SIGINT/SIGTERM keep their handlers")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._armed = False
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        # Runs in the main thread between bytecodes: no locks, no logging here.
        if self.received is None:
            self.received = signal.Signals(signum)
        if self._armed:
            self._armed = False
            raise StopRequested(signal.Signals(signum))

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """A block a stop signal may end at once by raising :class:`StopRequested`; a signal
        held from before raises it on entry."""
        self._armed = True  # before the check: a signal in between raises at once
        try:
            if self.received is not None:
                raise StopRequested(self.received)
            yield
        finally:
            self._armed = False
