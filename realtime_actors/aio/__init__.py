"""asyncio surface of realtime-actors: ``async with arun(agent) as session``."""

from __future__ import annotations

from .relay import DEFAULT_MAX_EVENTS, LoopEventQueue, LoopRelay
from .session import AsyncSession, arun

__all__ = ["DEFAULT_MAX_EVENTS", "AsyncSession", "LoopEventQueue", "LoopRelay", "arun"]
