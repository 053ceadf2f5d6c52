"""One-shot timers of a supervisor: restart backoffs and child shutdown timeouts (internal)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..reactor.core import Reactor


class Timers:
    """One-shot timers keyed by token; each calls ``deliver`` (which only tells the supervisor
    a message) when it fires.

    On the reactor thread a timer is the reactor's ``call_later`` (no thread); elsewhere it is
    a daemon ``threading.Timer``. Cancelling is a promise that ``deliver`` is not called for
    that token, as far as the timer can keep it (a ``threading.Timer`` that has just fired may
    still deliver: the supervisor checks tokens anyway).
    """

    def __init__(self, name: str, reactor: Reactor | None) -> None:
        self._name = name
        self._reactor = reactor
        self._threads: dict[int, threading.Timer] = {}
        self._reactor_tokens: set[int] = set()

    def start(self, token: int, delay_s: float, deliver: Callable[[], None]) -> None:
        """Call ``deliver`` after ``delay_s`` unless :meth:`cancel` comes first."""
        reactor = self._reactor
        if reactor is not None and threading.current_thread() is reactor.thread:
            self._reactor_tokens.add(token)
            reactor.call_later(delay_s, lambda: self._fire_on_reactor(token, deliver))
            return
        timer = threading.Timer(delay_s, deliver)
        timer.name = f"{self._name}-timer-{token}"
        timer.daemon = True
        self._threads[token] = timer
        timer.start()

    def cancel(self, token: int) -> None:
        """Forget the timer of ``token`` (no-op when it fired or never existed)."""
        self._reactor_tokens.discard(token)
        timer = self._threads.pop(token, None)
        if timer is not None:
            timer.cancel()

    def cancel_all(self) -> None:
        """Cancel every pending timer (its thread, if any, ends at once)."""
        self._reactor_tokens.clear()
        timers = list(self._threads.values())
        self._threads.clear()
        for timer in timers:
            timer.cancel()

    def _fire_on_reactor(self, token: int, deliver: Callable[[], None]) -> None:
        # runs on the reactor thread, like the supervisor's handlers: no lock needed
        if token in self._reactor_tokens:
            self._reactor_tokens.discard(token)
            deliver()
