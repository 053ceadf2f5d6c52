"""Telling an actor that may have stopped: the message is dropped and the drop is logged."""

from __future__ import annotations

import logging
from typing import Any

import pykka


def tell_if_alive(ref: Any, message: object, log: logging.Logger, note: str, *args: object,
                  level: int = logging.DEBUG) -> bool:
    """Tell ``message`` to ``ref`` (an ActorRef, or anything with ``tell`` that raises
    ``pykka.ActorDeadError`` as a supervision Address does). When the actor is gone, log
    ``note % args`` on ``log`` (the caller's logger) at ``level`` and return False."""
    try:
        ref.tell(message)
    except pykka.ActorDeadError:
        log.log(level, note, *args)
        return False
    return True
