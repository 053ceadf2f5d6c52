"""The socket reader: connects, then only receives frames and tells the owning actor.

It never touches actor state: it hands frames over in batches (everything already buffered
goes into one :class:`~realtime_actors.messages.SocketFrames`), so a busy stream costs one actor
message per burst rather than one per frame, and reports the end with ``SocketClosed``.

The handshake runs on a short-lived thread, then a shared selector thread
(:mod:`realtime_actors.io_hub`) reads this connection along with many others, enforces the
framing rules and the message size limit, and keeps the connection alive with pings.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

import pykka
import websocket

from .io_hub import MAX_BATCH, IOHub, io_mode
from .io_hub_connect import HubReader
from .transport_limits import TransportLimits

logger = logging.getLogger(__name__)

__all__ = ["MAX_BATCH", "ReaderThread", "SocketReader"]


class ReaderThread(Protocol):
    """What the owner may do with ``SocketReader.thread``."""

    def join(self, timeout: float | None = None) -> None:
        """Wait for the reader to finish (at most ``timeout`` seconds)."""

    def is_alive(self) -> bool:
        """Whether the reader is still connecting or reading."""


class SocketReader:
    """Owns the blocking connect and the receiving of one connection.

    ``closing`` is set by the owner before it closes the socket, so that the end is reported
    as a requested close rather than a drop. ``hub`` picks a specific
    :class:`~realtime_actors.io_hub.IOHub` (default: a shared one).
    """

    def __init__(
        self,
        owner: pykka.ActorRef[Any],
        generation: int,
        connect: Callable[[], websocket.WebSocket],
        name: str,
        *,
        hub: IOHub | None = None,
        limits: TransportLimits | None = None,
    ) -> None:
        io_mode()  # a REALTIME_ACTORS_IO naming a removed mode is a ConfigError here
        self.closing = threading.Event()
        self._hub_reader = HubReader(owner, generation, connect, self.closing, name, hub,
                                     limits=limits or TransportLimits())
        self.thread: ReaderThread = self._hub_reader.handle

    def start(self) -> None:
        """Start connecting in the background."""
        self._hub_reader.start()
