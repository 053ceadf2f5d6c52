"""Shared value checks for the protocol configuration classes and client-event builders.

Every check raises :class:`~realtime_actors.errors.ConfigError` naming the offending field, so a
bad value is reported where it is written, not later when a frame is built or sent.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, TypeVar

from realtime_actors.errors import ConfigError

E = TypeVar("E", bound=enum.Enum)
T = TypeVar("T")


class UnsetType(enum.Enum):
    """Type of the :data:`UNSET` sentinel: "this field is not sent at all"."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = UnsetType.UNSET
"""Sentinel for a configuration field that is left out of the wire object (unlike ``None``,
which is sent as JSON ``null`` where the protocol allows it)."""

Unset = Literal[UnsetType.UNSET]
"""Type alias of the :data:`UNSET` sentinel for annotations."""


def allowed_values(enum_cls: type[enum.Enum]) -> str:
    """The values of ``enum_cls`` formatted for an error message: ``'a', 'b', 'c'``."""
    return ", ".join(repr(member.value) for member in enum_cls)


def check_choice(value: object, enum_cls: type[E], field: str) -> E:
    """Return the member of ``enum_cls`` named by ``value`` (a member or its string value)."""
    if isinstance(value, enum_cls):
        return value
    if isinstance(value, str):
        for member in enum_cls:
            if member.value == value:
                return member
    raise ConfigError(
        f"{field}: invalid value {value!r}; allowed values are {allowed_values(enum_cls)}"
    )


def check_str(
    value: object, field: str, *, allow_empty: bool = False, max_len: int | None = None
) -> str:
    """Return ``value`` if it is a string (non-empty unless ``allow_empty``) within ``max_len``."""
    if not isinstance(value, str):
        raise ConfigError(f"{field}: expected a string, got {type(value).__name__}")
    if not allow_empty and not value:
        raise ConfigError(f"{field}: must not be empty")
    if max_len is not None and len(value) > max_len:
        raise ConfigError(f"{field}: at most {max_len} characters allowed, got {len(value)}")
    return value


def check_bool(value: object, field: str) -> bool:
    """Return ``value`` if it is a real ``bool`` (``0``/``1``/strings are refused)."""
    if not isinstance(value, bool):
        raise ConfigError(f"{field}: expected true or false, got {value!r}")
    return value


def check_int(value: object, field: str, *, lo: int | None = None, hi: int | None = None) -> int:
    """Return ``value`` if it is an ``int`` (not a ``bool``) within ``[lo, hi]``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{field}: expected an integer, got {value!r}")
    _check_range(value, field, lo, hi)
    return value


def check_float(
    value: object, field: str, *, lo: float | None = None, hi: float | None = None
) -> float:
    """Return ``value`` as ``float`` if it is a finite real number within ``[lo, hi]``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{field}: expected a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ConfigError(f"{field}: expected a finite number, got {value!r}")
    _check_range(number, field, lo, hi)
    return number


def _check_range(value: float, field: str, lo: float | None, hi: float | None) -> None:
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        if lo is not None and hi is not None:
            bounds = f"between {lo} and {hi}"
        elif lo is not None:
            bounds = f">= {lo}"
        else:
            bounds = f"<= {hi}"
        raise ConfigError(f"{field}: must be {bounds}, got {value!r}")


def json_object(value: object, field: str) -> dict[str, Any]:
    """Deep-copy a JSON-serialisable mapping with string keys into a plain ``dict``."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"{field}: expected a mapping, got {type(value).__name__}")
    if not all(isinstance(key, str) for key in value):
        raise ConfigError(f"{field}: every key must be a string")
    try:
        copy: dict[str, Any] = json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{field}: must be JSON-serialisable ({exc})") from exc
    return copy


def settable(value: object, check: Callable[[object], T], field: str) -> T | Unset:
    """``check(value)``, or :data:`UNSET` for UNSET; ``None`` raises (the field is not nullable).

    The typed converters of the settings classes call this: their parameter type is what the
    class's ``__init__`` accepts (the attrs mypy plugin reads it), this check runs at run time.
    """
    if value is UNSET:
        return UNSET
    if value is None:
        raise ConfigError(
            f"{field}: null is not allowed for this field; leave it UNSET to not send it"
        )
    return check(value)


def nullable(value: object, check: Callable[[object], T]) -> T | Unset | None:
    """``check(value)``, or ``value`` itself when it is :data:`UNSET` or ``None`` (send null)."""
    if value is UNSET:
        return UNSET
    if value is None:
        return None
    return check(value)


def reject_unknown_keys(
    data: Mapping[str, Any],
    known: frozenset[str],
    owner: str,
    hints: Mapping[str, str] | None = None,
) -> None:
    """Raise :class:`ConfigError` listing keys of ``data`` outside ``known`` (with hints)."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{owner}: expected a mapping, got {type(data).__name__}")
    unknown = sorted(str(key) for key in data if key not in known)
    if not unknown:
        return
    parts = []
    for key in unknown:
        hint = (hints or {}).get(key)
        parts.append(f"{key!r} ({hint})" if hint else repr(key))
    raise ConfigError(
        f"{owner}: unknown key(s) {', '.join(parts)}; known keys are {', '.join(sorted(known))}"
    )
