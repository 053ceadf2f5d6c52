"""Session events into an asyncio loop without a thread per session.

:class:`LoopEventQueue` is a bounded, thread-safe buffer owned by one event loop: any thread
``put``s events, and the first event of a burst schedules one wake-up on the loop with
``loop.call_soon_threadsafe``; the events that arrive before it runs ride along (a batch costs
one hand-off, not one per event). :class:`LoopRelay` is the pooled subscriber actor that feeds
it, so a session's events reach the loop on the shared actor pool (or on the reactor thread
that read them), never on a thread of their own.

Overflow: beyond ``maxlen`` unread events, the oldest is dropped (counted in ``dropped``,
warned once per 1,000); the writer never blocks. ``SessionEndedEvent`` is the last event,
so it is never the one dropped.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
from typing import Any

from ..errors import ConfigError
from ..runtime.pooled_actor import PooledActor
from ..session.events import SessionEvent

logger = logging.getLogger(__name__)

DEFAULT_MAX_EVENTS = 10_000
"""Unread events kept per async session before the oldest are dropped."""


class LoopEventQueue:
    """Bounded buffer of session events read by one coroutine at a time on ``loop``."""

    def __init__(self, loop: asyncio.AbstractEventLoop,
                 maxlen: int = DEFAULT_MAX_EVENTS) -> None:
        if isinstance(maxlen, bool) or not isinstance(maxlen, int) or maxlen < 1:
            raise ConfigError(f"max_events must be an int >= 1, not {maxlen!r}")
        self._loop = loop
        self._maxlen = maxlen
        self._events: collections.deque[SessionEvent] = collections.deque()
        self._lock = threading.Lock()
        self._wake_scheduled = False
        self._waiter: asyncio.Future[None] | None = None
        self._dropped = 0
        self.wakeups = 0
        """How many times the loop was woken (less than the events put, under load)."""

    @property
    def dropped(self) -> int:
        """Events dropped because the reader fell ``maxlen`` events behind."""
        return self._dropped

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)

    def put(self, event: SessionEvent) -> None:
        """Add an event (from any thread); never blocks. Drops the oldest beyond ``maxlen``."""
        with self._lock:
            if len(self._events) >= self._maxlen:
                self._drop_oldest()
            self._events.append(event)
            if self._wake_scheduled:
                return
            self._wake_scheduled = True
        try:
            self._loop.call_soon_threadsafe(self._wake)
        except RuntimeError:  # the loop is closed: nobody is left to read
            logger.debug("event loop closed; %s not delivered", type(event).__name__)

    def _drop_oldest(self) -> None:
        if self._dropped % 1000 == 0:
            logger.warning("async session event queue full (%d unread): dropping the oldest "
                           "events; read the session faster or raise max_events", self._maxlen)
        self._dropped += 1
        self._events.popleft()  # never the end: SessionEndedEvent is the last event put

    def _wake(self) -> None:
        with self._lock:
            self._wake_scheduled = False
        self.wakeups += 1
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def get_nowait(self) -> SessionEvent | None:
        """The next event if one is buffered, else None (on the loop's thread)."""
        with self._lock:
            return self._events.popleft() if self._events else None

    async def get(self, timeout: float | None = None) -> SessionEvent | None:
        """The next event, or None after ``timeout`` seconds without one."""
        if self._waiter is not None and not self._waiter.done():
            raise RuntimeError("another coroutine is already reading this session's events")
        deadline = None if timeout is None else self._loop.time() + timeout
        while True:
            event = self.get_nowait()
            if event is not None:
                return event
            waiter: asyncio.Future[None] = self._loop.create_future()
            self._waiter = waiter
            try:
                event = self.get_nowait()  # a put between the check and the waiter
                if event is not None:
                    return event
                remaining = None if deadline is None else deadline - self._loop.time()
                if remaining is not None and remaining <= 0:
                    return None
                try:
                    await asyncio.wait_for(waiter, remaining)
                except TimeoutError:
                    return None
            finally:
                self._waiter = None


class LoopRelay(PooledActor):
    """A pooled subscriber actor that puts every session event into a :class:`LoopEventQueue`.

    Its handler only appends to the queue (and at most schedules one loop wake-up), so it opts
    in to running on the reactor thread right after the session, like a callback.
    """

    guest_runs = True

    def __init__(self, queue: LoopEventQueue) -> None:
        super().__init__()
        self.queue = queue

    def on_receive(self, message: Any) -> None:
        """Queue a session event; anything else is a bug of the caller and raises."""
        if not isinstance(message, SessionEvent):
            raise TypeError(f"LoopRelay takes session events, not {type(message).__name__}")
        self.queue.put(message)
