"""Base class, registry and fast constructor of the typed GA server events.

Each concrete event class is decorated with ``@server_event``. The decorator reads the class's
resolved field annotations once and builds a list of ``(wire key, reader)`` pairs; ``from_dict``
then only loops over that list (a dict lookup and a type check per field), which keeps the hot
path (audio deltas) cheap.

Top-level field rules (``from_dict``): a field without a default is required and must be present
with the annotated type; an optional field may be missing or null. A wrong type, or a missing
required field, raises ``ProtocolError``. Nested objects (items, responses, sessions...) are built
with their tolerant ``from_dict`` (see ``items.py``). Unknown keys are ignored and kept in ``raw``.
"""

from __future__ import annotations

import logging
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self, TypeVar

import attrs

from realtime_actors.errors import ProtocolError

logger = logging.getLogger(__name__)

Reader = Callable[[Any, str], Any]
"""A field reader: ``(value or None when absent, wire key) -> field value``; raises
``FieldTypeError`` on a value it cannot accept."""

_E = TypeVar("_E", bound="ServerEvent")

_REGISTRY: dict[str, type[ServerEvent]] = {}

SERVER_EVENT_TYPES: Mapping[str, type[ServerEvent]] = types.MappingProxyType(_REGISTRY)
"""Read-only mapping of every known GA server event ``type`` to its class."""


class FieldTypeError(Exception):
    """Internal: a top-level field is missing or has the wrong type. ``from_dict`` turns it into
    a ``ProtocolError`` naming the event type."""

    def __init__(self, key: str, wanted: str, value: object) -> None:
        self.key = key
        self.wanted = wanted
        self.got = "null or missing" if value is None else type(value).__name__
        super().__init__(f"field {key!r} must be {wanted}, got {self.got}")


@attrs.frozen(kw_only=True)
class ServerEvent:
    """Base class of every parsed server event. ``type`` is the wire type, ``event_id`` the
    server's id (None if absent) and ``raw`` the whole decoded frame, unknown keys included."""

    TYPE: ClassVar[str]
    _READERS: ClassVar[tuple[tuple[str, Reader], ...]] = ()

    event_id: str | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def type(self) -> str:
        """The wire ``type`` of this event."""
        return self.TYPE

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build the event from a decoded frame (``data["type"]`` is not checked here).

        Raises ``ProtocolError`` when a required field is missing or a field has the wrong
        type; ``raw`` keeps ``data`` itself (not a copy)."""
        return read_fields(cls, data)


def read_fields(cls: type[_E], data: dict[str, Any]) -> _E:
    """The field-by-field ``from_dict`` of every event (fast paths fall back to it)."""
    kwargs: dict[str, Any] = {"raw": data}
    try:
        for key, read in cls._READERS:
            kwargs[key] = read(data.get(key), key)
    except FieldTypeError as exc:
        raise ProtocolError(f"{cls.TYPE}: {exc}") from None
    return cls(**kwargs)


@attrs.frozen(kw_only=True)
class UnknownServerEvent(ServerEvent):
    """A frame whose ``type`` is not a known GA server event (e.g. a beta-only name).
    Nothing but ``type`` and ``event_id`` is interpreted; the frame is in ``raw``."""

    TYPE: ClassVar[str] = ""

    type: str  # shadows the base property with a field

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from a decoded frame; ``type`` must be a string (else ``ProtocolError``), a
        non-string ``event_id`` is ignored (None)."""
        event_type = data.get("type")
        if not isinstance(event_type, str):
            raise ProtocolError("no type (missing or not a string)")
        event_id = data.get("event_id")
        return cls(
            type=event_type,
            event_id=event_id if isinstance(event_id, str) else None,
            raw=data,
        )


# ----------------------------------------------------------------------------- readers


def _req_str(value: Any, key: str) -> str:
    if isinstance(value, str):
        return value
    raise FieldTypeError(key, "a string", value)


def _opt_str(value: Any, key: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise FieldTypeError(key, "a string or null", value)


def _req_int(value: Any, key: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise FieldTypeError(key, "an integer", value)


def _opt_int(value: Any, key: str) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise FieldTypeError(key, "an integer or null", value)


def _req_float(value: Any, key: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise FieldTypeError(key, "a number", value)


def _opt_float(value: Any, key: str) -> float | None:
    if value is None:
        return None
    return _req_float(value, key)


_SCALARS: dict[object, Reader] = {
    str: _req_str,
    str | None: _opt_str,
    int: _req_int,
    int | None: _opt_int,
    float: _req_float,
    float | None: _opt_float,
}


def _object_reader(build: Callable[[Any], Any], required: bool, name: str) -> Reader:
    def read(value: Any, key: str) -> Any:
        if isinstance(value, dict):
            return build(value)
        if value is None and not required:
            return None
        raise FieldTypeError(key, f"a JSON object ({name})", value)

    return read


def _tuple_reader(build: Callable[[Any], Any], required: bool, name: str) -> Reader:
    def read(value: Any, key: str) -> Any:
        if isinstance(value, list):
            out = []
            for index, element in enumerate(value):
                if isinstance(element, dict):
                    out.append(build(element))
                else:
                    logger.warning(
                        "%s[%d]: expected a JSON object (%s), got %s; element dropped",
                        key,
                        index,
                        name,
                        type(element).__name__,
                    )
            return tuple(out)
        if value is None and not required:
            return None
        raise FieldTypeError(key, f"a list of {name}", value)

    return read


def _reader_for(annotation: object, owner: str, key: str) -> Reader:
    """Derive the reader of one field from its resolved annotation."""
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    required = True
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) and len(args) == 2 and args[1] is type(None):
        required = False
        annotation = args[0]
        args = typing.get_args(annotation)
    if typing.get_origin(annotation) is tuple and len(args) == 2 and args[1] is Ellipsis:
        element = args[0]
        from_dict = getattr(element, "from_dict", None)
        if from_dict is not None:
            return _tuple_reader(from_dict, required, element.__name__)
    from_dict = getattr(annotation, "from_dict", None)
    if isinstance(annotation, type) and from_dict is not None:
        return _object_reader(from_dict, required, annotation.__name__)
    raise TypeError(f"{owner}.{key}: no reader for annotation {annotation!r}")


def server_event(cls: type[_E]) -> type[_E]:
    """Class decorator: compute the field readers of an event class and register its TYPE.

    A field may override the derived reader with ``attrs.field(metadata={"reader": fn})``."""
    type_name = cls.__dict__.get("TYPE")
    if not isinstance(type_name, str) or not type_name:
        raise TypeError(f"{cls.__name__} must define TYPE")
    if type_name in _REGISTRY:
        raise TypeError(f"duplicate server event type {type_name!r}")
    hints = typing.get_type_hints(cls)
    readers: list[tuple[str, Reader]] = []
    for field in attrs.fields(cls):
        if field.name == "raw":
            continue
        custom = field.metadata.get("reader")
        reader = custom or _reader_for(hints[field.name], cls.__name__, field.name)
        readers.append((field.name, reader))
    cls._READERS = tuple(readers)
    _REGISTRY[type_name] = cls
    return cls
