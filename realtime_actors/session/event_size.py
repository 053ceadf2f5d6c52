"""The approximate memory an event holds, for the byte bounds of ``Session.events()``.

An estimate, not a measurement: the event object, its own strings and bytes (an
:class:`~realtime_actors.session.events.AudioEvent`'s PCM counted exactly) and the buffer's entry.
Objects the event shares with the session (agents, the history items of a
``HistoryUpdatedEvent`` snapshot) are not counted again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from .core.history import HistoryItem
from .events import AudioEvent, SessionEvent

EVENT_OVERHEAD = 280
"""Bytes of one buffered event besides its text: the object, its buffer entry and the headers
of its strings (measured with tracemalloc on events built from server frames)."""
AUDIO_OVERHEAD = 460
"""The same for an ``AudioEvent``, besides its PCM."""
_STR_OVERHEAD = 50
_NESTED_DEPTH = 4

_FIELDS: dict[type, tuple[str, ...]] = {}


def event_size(event: SessionEvent) -> int:
    """Approximate bytes ``event`` keeps alive while it waits in the buffer."""
    if type(event) is AudioEvent:  # the hot path: one per audio delta
        return len(event.data) + AUDIO_OVERHEAD
    cls = type(event)
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in attrs.fields(cls))
    return EVENT_OVERHEAD + sum(_value_size(getattr(event, name)) for name in names)


def _value_size(value: Any, depth: int = 0) -> int:
    if isinstance(value, (str, bytes, bytearray)):
        return len(value)
    if isinstance(value, HistoryItem):
        return sum(len(text) for text in (value.text, value.transcript, value.arguments,
                                          value.output) if text)
    if isinstance(value, tuple) and not isinstance(value, Mapping):
        return 8 * len(value)  # a history snapshot: its items are the session's own
    raw = getattr(value, "raw", None)  # a parsed server frame (RawModelEvent)
    if isinstance(raw, Mapping):
        return _nested_size(raw, depth)
    return 0


def _nested_size(value: Any, depth: int) -> int:
    if isinstance(value, (str, bytes, bytearray)):
        return len(value) + _STR_OVERHEAD
    if depth >= _NESTED_DEPTH:
        return _STR_OVERHEAD
    if isinstance(value, Mapping):
        return 64 + sum(_STR_OVERHEAD + _nested_size(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return 56 + sum(8 + _nested_size(v, depth + 1) for v in value)
    return 32
