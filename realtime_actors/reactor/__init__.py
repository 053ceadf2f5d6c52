"""The reactor: one thread per process serving every WebSocket, its timers and connection actors."""

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
