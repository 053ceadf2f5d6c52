"""The reactor: one thread per process running the WebSocket connections, timers and the
library's connection actors (websockets' sans-I/O protocol over websocket-client's handshake)."""

from .connection import Connection, ConnectionGoneError, FrameProtocolError
from .connector import ConnectionHandle, Connector
from .core import Reactor, reactor

__all__ = [
    "Connection",
    "ConnectionGoneError",
    "ConnectionHandle",
    "Connector",
    "FrameProtocolError",
    "Reactor",
    "reactor",
]
