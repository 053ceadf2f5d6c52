"""A bounded, thread-safe buffer of session events for ``Session.events()``."""

from __future__ import annotations

import collections
import logging
import threading
import time

from .errors import ConfigError
from .events import SessionEndedEvent, SessionEvent

logger = logging.getLogger(__name__)


class EventSink:
    """Keeps the most recent events until a script reads them; never blocks the writer.

    ``maxlen`` (the run config's ``event_buffer``) must be an int >= 0, else ConfigError;
    0 disables the buffer (``put`` keeps only whether the session ended)."""

    def __init__(self, maxlen: int) -> None:
        if isinstance(maxlen, bool) or not isinstance(maxlen, int) or maxlen < 0:
            raise ConfigError(f"event_buffer must be an int >= 0, not {maxlen!r}")
        self._events: collections.deque[SessionEvent] = collections.deque()
        self._maxlen = maxlen
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._dropped = 0
        self._waiting = 0
        self.ended = False

    def put(self, event: SessionEvent) -> None:
        """Add an event; beyond ``maxlen`` the oldest is dropped (warned once per 1,000)."""
        if self._maxlen == 0:
            if isinstance(event, SessionEndedEvent):
                with self._cond:
                    self.ended = True
                    self._cond.notify_all()
            return
        with self._lock:  # the condition's lock, without its Python-level __enter__
            if len(self._events) >= self._maxlen:
                self._events.popleft()
                if self._dropped % 1000 == 0:
                    logger.warning("session event buffer full (%d): dropping oldest events; "
                                   "read Session.events() or subscribe an actor", self._maxlen)
                self._dropped += 1
            self._events.append(event)
            if isinstance(event, SessionEndedEvent):
                self.ended = True
            if self._waiting:
                self._cond.notify_all()

    @property
    def enabled(self) -> bool:
        """Whether events are kept at all (``event_buffer > 0``)."""
        return self._maxlen > 0

    def get(self, timeout: float | None) -> SessionEvent | None:
        """The next event, or ``None`` after ``timeout`` seconds without one."""
        if self._maxlen == 0:
            raise ConfigError("this session was started with RunConfig(event_buffer=0): "
                              "subscribe an actor to receive its events")
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._events:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._waiting += 1
                try:
                    self._cond.wait(remaining)
                finally:
                    self._waiting -= 1
            return self._events.popleft()

    @property
    def dropped(self) -> int:
        """How many events were dropped because nobody read them."""
        return self._dropped

    def get_batch(self, max_events: int, timeout: float | None) -> list[SessionEvent]:
        """Up to ``max_events`` events: waits up to ``timeout`` for the first, then takes
        what is already there (``[]`` after ``timeout`` without one)."""
        first = self.get(timeout)
        if first is None:
            return []
        batch = [first]
        with self._lock:
            while self._events and len(batch) < max_events:
                batch.append(self._events.popleft())
        return batch
