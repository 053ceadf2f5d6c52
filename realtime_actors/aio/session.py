"""The asyncio surface: :func:`arun` and :class:`AsyncSession`, the threaded session's twin.

Same semantics as :class:`~realtime_actors.Session`; no call blocks the event loop. Calls that
wait for the session actor's answer run on the loop's default executor; ``send_audio`` never
waits for the session or the network, so it runs inline. Events reach the loop through a
pooled :class:`~realtime_actors.aio.relay.LoopRelay` (no thread per session) batched into
``loop.call_soon_threadsafe`` wake-ups.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any, ParamSpec, TypeGuard, TypeVar, overload

import attrs
import numpy as np
import pykka

from ..agents.agent import RealtimeAgent
from ..protocol.session_config import SessionModelSettings
from ..session.core.history import HistoryItem
from ..session.events import SessionEndedEvent, SessionEvent
from ..session.handle import (
    EventKind,
    Session,
    SessionClosedError,
    event_matcher,
    is_awaited,
    run,
)
from ..session.run_config import ModelConfig, RunConfig
from .relay import DEFAULT_MAX_EVENTS, LoopEventQueue, LoopRelay

logger = logging.getLogger(__name__)

E = TypeVar("E", bound=SessionEvent)
P = ParamSpec("P")
T = TypeVar("T")

_STOP_TIMEOUT_S = 10.0


class AsyncSession:
    """Handle on a running realtime session for asyncio code (use it on its loop only)."""

    def __init__(self, session: Session, queue: LoopEventQueue,
                 relay: pykka.ActorRef[Any], loop: asyncio.AbstractEventLoop) -> None:
        self._session = session
        self._queue = queue
        self._relay = relay
        self._loop = loop
        self._ended = False
        self._closed = False

    def __repr__(self) -> str:
        return f"<AsyncSession of {self._session!r}>"

    @property
    def session(self) -> Session:
        """The threaded handle underneath (its blocking calls do not belong on the loop)."""
        return self._session

    @property
    def dropped_events(self) -> int:
        """Events dropped because they were not read in time (see ``max_events``)."""
        return self._queue.dropped

    @classmethod
    async def start(cls, agent: RealtimeAgent, *, config: RunConfig | None = None,
                    model_config: ModelConfig | None = None,
                    subscribers: Iterable[pykka.ActorRef[Any]] = (),
                    max_events: int = DEFAULT_MAX_EVENTS) -> AsyncSession:
        """Start a session (see :func:`realtime_actors.run`); prefer ``async with arun(...)``.

        The threaded event buffer is turned off (``event_buffer=0``): events come through
        this handle. Raises what ``run`` raises (``AuthError`` without a key, ...).
        """
        loop = asyncio.get_running_loop()
        queue = LoopEventQueue(loop, max_events)
        config = attrs.evolve(config or RunConfig(), event_buffer=0)
        relay = LoopRelay.start(queue)
        try:
            session = await loop.run_in_executor(None, functools.partial(
                run, agent, config=config, model_config=model_config,
                subscribers=[relay, *subscribers]))
        except BaseException:
            relay.stop(block=False)
            raise
        return cls(session, queue, relay, loop)

    async def _call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._loop.run_in_executor(None, functools.partial(fn, *args, **kwargs))

    # ------------------------------------------------------------------ calls
    async def send_message(self, message: str | Mapping[str, Any]) -> None:
        """Send user text (or an item dict) and ask for a response."""
        await self._call(self._session.send_message, message)

    def send_audio(self, audio: bytes | np.ndarray, *, commit: bool = False,
                   respond: bool | None = None) -> None:
        """Append audio (see ``Session.send_audio``); a plain call: it never waits for the
        session or the network. Raises ``AudioFormatError`` for invalid audio."""
        self._session.send_audio(audio, commit=commit, respond=respond)

    async def send_raw_event(self, event: Mapping[str, Any]) -> None:
        """Send any client event as is."""
        await self._call(self._session.send_raw_event, event)

    async def interrupt(self) -> None:
        """Cancel the current response and truncate its audio at the played position."""
        await self._call(self._session.interrupt)

    async def update_session(self, settings: SessionModelSettings) -> None:
        """Change session settings; overrides persist across handoffs."""
        await self._call(self._session.update_session, settings)

    async def history(self) -> tuple[HistoryItem, ...]:
        """The conversation history, in order."""
        return await self._call(self._session.history)

    async def current_agent(self) -> RealtimeAgent:
        """The agent currently answering."""
        return await self._call(self._session.current_agent)

    async def subscribe(self, listener: pykka.ActorRef[Any]) -> None:
        """Also tell ``listener`` (a pykka actor) every event from now on."""
        await self._call(self._session.subscribe, listener)

    def is_alive(self) -> bool:
        """Whether the session is still running."""
        return self._session.is_alive()

    async def aclose(self, timeout: float = _STOP_TIMEOUT_S) -> None:
        """Close the session and stop its relay (idempotent); events already queued stay
        readable, ``SessionEndedEvent`` last."""
        if self._closed:
            return
        self._closed = True
        await self._call(self._session.close, timeout)
        await self._call(self._relay.stop, block=True, timeout=timeout)

    # ------------------------------------------------------------------ events
    def __aiter__(self) -> AsyncIterator[SessionEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[SessionEvent]:
        while (event := await self.next_event()) is not None:
            yield event

    async def next_event(self, timeout: float | None = None) -> SessionEvent | None:
        """The next event; None after ``timeout`` seconds without one, or once the session's
        ``SessionEndedEvent`` has been returned."""
        if self._ended:
            return None
        event = await self._queue.get(timeout)
        if isinstance(event, SessionEndedEvent):
            self._ended = True
        return event

    @overload
    async def wait_for(self, kind: type[E], timeout: float, *,
                       collect: list[SessionEvent] | None = None) -> E: ...
    @overload
    async def wait_for(self, kind: Callable[[SessionEvent], TypeGuard[E]], timeout: float, *,
                       collect: list[SessionEvent] | None = None) -> E: ...
    @overload
    async def wait_for(self, kind: Callable[[SessionEvent], bool], timeout: float, *,
                       collect: list[SessionEvent] | None = None) -> SessionEvent: ...

    async def wait_for(self, kind: EventKind, timeout: float, *,
                       collect: list[SessionEvent] | None = None) -> SessionEvent:
        """Consume events until one matches ``kind`` (a class or predicate); earlier events
        go to ``collect`` if given. Raises TimeoutError after ``timeout`` seconds and
        ``SessionClosedError`` if the session ends first. Returns the event, typed as
        ``kind`` when it is a class (or a ``TypeGuard``)."""
        matches = event_matcher(kind)
        deadline = self._loop.time() + timeout
        while True:
            remaining = deadline - self._loop.time()
            event = await self.next_event(remaining) if remaining > 0 else None
            if event is None:
                if self._ended:
                    raise SessionClosedError("the session has ended")
                raise TimeoutError(f"no matching event within {timeout}s")
            if is_awaited(event, matches, collect):
                return event


@contextlib.asynccontextmanager
async def arun(agent: RealtimeAgent, *, config: RunConfig | None = None,
               model_config: ModelConfig | None = None,
               subscribers: Iterable[pykka.ActorRef[Any]] = (),
               max_events: int = DEFAULT_MAX_EVENTS) -> AsyncIterator[AsyncSession]:
    """``async with arun(agent, ...) as session``: a realtime session for asyncio code,
    closed (every actor stopped) when the block ends. Arguments as :func:`realtime_actors.run`;
    ``max_events`` bounds the unread events (the oldest are dropped beyond)."""
    session = await AsyncSession.start(agent, config=config, model_config=model_config,
                                       subscribers=subscribers, max_events=max_events)
    try:
        yield session
    finally:
        await session.aclose()
