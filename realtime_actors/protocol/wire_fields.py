"""Tolerant reading of the nested objects carried by server events (see ``items.py``).

A class deriving from :class:`WireObject` and decorated with :func:`wire_object` gets a
``from_dict`` read from its field annotations: ``str | None``, ``int | None``,
``float | None``, ``tuple[str, ...] | None``, ``X | None`` and ``tuple[X, ...]`` for a class X
with ``from_dict``. A field may bring its own reader: ``attrs.field(metadata={"read": fn})``
with ``fn(fields, key)``. Absent keys and nulls give None (or an empty tuple); a value of the
wrong type is logged at WARNING and gives None (the value stays in ``raw``). Nothing raises.
"""

from __future__ import annotations

import logging
import types
import typing
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import attrs

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
_W = TypeVar("_W", bound="WireObject")


class Fields:
    """Tolerant typed access to one wire dict: absent/null gives None, a wrong type is logged at
    WARNING and gives None (the value stays in ``data``, i.e. the object's ``raw``)."""

    __slots__ = ("data", "owner")

    def __init__(self, value: object, owner: str) -> None:
        if not isinstance(value, dict):
            if value is not None:
                logger.warning("%s: expected a JSON object, got %s", owner, type(value).__name__)
            value = {}
        self.data: dict[str, Any] = value
        self.owner = owner

    def wrong(self, key: str, value: object, wanted: str) -> None:
        """Log a value of the wrong type (the caller then uses None)."""
        logger.warning("%s.%s: expected %s, got %s; set to None (kept in raw)",
                       self.owner, key, wanted, type(value).__name__)

    def text(self, key: str) -> str | None:
        """A string."""
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        self.wrong(key, value, "a string")
        return None

    def integer(self, key: str) -> int | None:
        """An integer (not a bool)."""
        value = self.data.get(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        self.wrong(key, value, "an integer")
        return None

    def number(self, key: str) -> float | None:
        """A number (not a bool), as a float."""
        value = self.data.get(key)
        if value is None or not (isinstance(value, int | float) and not isinstance(value, bool)):
            if value is not None:
                self.wrong(key, value, "a number")
            return None
        return float(value)

    def array(self, key: str) -> list[Any] | None:
        """A list, elements unchecked."""
        value = self.data.get(key)
        if value is None or isinstance(value, list):
            return value
        self.wrong(key, value, "a list")
        return None

    def obj(self, key: str, build: Callable[[Any], _T]) -> _T | None:
        """``build(value)`` for a present non-null value (``build`` is tolerant)."""
        value = self.data.get(key)
        return None if value is None else build(value)

    def objects(self, key: str, build: Callable[[dict[str, Any]], _T]) -> tuple[_T, ...]:
        """Build each dict element of a list; other elements are dropped with a warning."""
        out: list[_T] = []
        for index, element in enumerate(self.array(key) or ()):
            if isinstance(element, dict):
                out.append(build(element))
            else:
                logger.warning("%s.%s[%d]: expected a JSON object, got %s; dropped",
                               self.owner, key, index, type(element).__name__)
        return tuple(out)

    def texts(self, key: str) -> tuple[str, ...] | None:
        """A list of strings; non-string elements are dropped with a warning."""
        values = self.array(key)
        if values is None:
            return None
        out = tuple(v for v in values if isinstance(v, str))
        if len(out) != len(values):
            dropped = len(values) - len(out)
            logger.warning("%s.%s: %d non-string element(s) dropped", self.owner, key, dropped)
        return out


Read = Callable[[Fields, str], Any]
"""Reads one field: ``(fields of the wire dict, key) -> value``; never raises."""

_SCALARS: dict[object, Read] = {
    str | None: Fields.text,
    int | None: Fields.integer,
    float | None: Fields.number,
    tuple[str, ...] | None: Fields.texts,
}


def _reader_for(annotation: object, where: str) -> Read:
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    args = typing.get_args(annotation)
    optional = isinstance(annotation, types.UnionType) and len(args) == 2 \
        and args[1] is type(None)
    many = typing.get_origin(annotation) is tuple and len(args) == 2 and args[1] is Ellipsis
    build: Callable[[Any], Any] | None = getattr(args[0], "from_dict", None) if args else None
    if build is None or not (optional or many):
        raise TypeError(f"{where}: no reader for annotation {annotation!r}")
    one_of = build
    if optional:
        return lambda fields, key: fields.obj(key, one_of)
    return lambda fields, key: fields.objects(key, one_of)


@attrs.frozen(kw_only=True)
class WireObject:
    """Base of the tolerant nested objects: ``from_dict`` runs the readers :func:`wire_object`
    derived for the class, and keeps the wire dict itself in ``raw``."""

    _READS: ClassVar[tuple[tuple[str, Read], ...]] = ()

    raw: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)
    """The wire dict, unknown keys included."""

    @classmethod
    def from_dict(cls: type[_W], data: Any) -> _W:
        """Build from a wire dict, tolerating missing keys, nulls and wrong types."""
        fields = Fields(data, cls.__name__)
        values = {key: read(fields, key) for key, read in cls._READS}
        return cls(**values, raw=fields.data)


def wire_object(cls: type[_W]) -> type[_W]:
    """Class decorator: derive the field readers of a :class:`WireObject` attrs class."""
    hints = typing.get_type_hints(cls)
    reads: list[tuple[str, Read]] = []
    for field in attrs.fields(cls):
        if field.name != "raw":
            read = field.metadata.get("read") or _reader_for(hints[field.name],
                                                             f"{cls.__name__}.{field.name}")
            reads.append((field.name, read))
    cls._READS = tuple(reads)
    return cls
