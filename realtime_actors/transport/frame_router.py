"""FrameRouter: parses a connection's frames where they are read and tells the events on.

The reactor's connection hands each batch of frames to the router instead of to the
:class:`~realtime_actors.transport.websocket_actor.WebSocketActor`: the router parses them with the
sans-I/O protocol core and tells the owner (the session) and the raw listeners directly, which saves
one thread hand-over per batch. It holds no mutable state of its own: the listeners are an immutable
tuple the connection actor replaces, and dead listeners are reported back to that actor as a
message. Everything else the reader reports goes to the connection actor unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import attrs
import pykka

from ..errors import ProtocolError
from ..protocol.parser import parse_server_event
from ..runtime.pooled_actor import tell_and_run
from ..runtime.tell import tell_if_alive
from ..supervision import Address
from .messages import ConnectionOpened, ModelEvents, SocketFrames, SocketOpened

logger = logging.getLogger(__name__)


@attrs.frozen
class DropListener:
    """Router → connection actor: this listener is dead; forget it."""

    listener: Any


class FrameRouter:
    """The ``owner`` the reader tells: frames are routed, everything else is forwarded."""

    def __init__(self, actor: pykka.ActorRef[Any], owner: Any,
                 on_first_events: Callable[[], None]) -> None:
        self._actor = actor
        self._owner = owner
        self._on_first_events: Callable[[], None] | None = on_first_events
        self.listeners: tuple[pykka.ActorRef[Any], ...] = ()
        """Replaced (never mutated) by the connection actor."""

    def tell(self, message: object) -> None:
        """Called by the reader thread. Raises ``pykka.ActorDeadError`` once the connection
        actor is gone, which makes the reader stop."""
        if not isinstance(message, SocketFrames):
            self._actor.tell(message)
            if isinstance(message, SocketOpened) and self._owner is not None:
                # told here, before any frame is read, so the owner sees it before the events;
                # the actor has SocketOpened in its inbox before anything the owner sends it
                opened = ConnectionOpened(connection=self._actor, generation=message.generation)
                tell_if_alive(self._owner, opened, logger,
                              "owner gone before the connection opened")
            return
        if not self._actor.is_alive():
            raise pykka.ActorDeadError(f"{self._actor} is stopped")
        events = self.parse(message.frames)
        if not events:
            return
        if self._on_first_events is not None:
            hook, self._on_first_events = self._on_first_events, None
            hook()
        if self._owner is not None:
            try:
                owner = self._owner
                # an owner on the reactor (the session) runs next on this thread; one on
                # another pool decides (guest_may_handle) whether this thread may run it
                tell_and_run(owner.current() if isinstance(owner, Address) else owner,
                             ModelEvents(tuple(events)))
            except pykka.ActorDeadError:
                logger.debug("owner gone; dropping %d events", len(events))
        for listener in self.listeners:
            try:
                for event in events:
                    listener.tell(event)
            except pykka.ActorDeadError:
                self._actor.tell(DropListener(listener))

    @staticmethod
    def parse(frames: tuple[bytes | bytearray, ...]) -> list[Any]:
        """Typed events, or ProtocolErrors for malformed frames, in order."""
        events: list[Any] = []
        for frame in frames:
            try:
                events.append(parse_server_event(frame))
            except ProtocolError as exc:
                logger.warning("malformed server frame: %s", exc.reason)
                events.append(exc)
        return events
