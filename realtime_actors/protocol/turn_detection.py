"""Turn-detection (voice activity detection) configuration: ``audio.input.turn_detection``."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from realtime_actors.errors import ConfigError
from realtime_actors.protocol.config_checks import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    reject_unknown_keys,
)

IDLE_TIMEOUT_MIN_MS = 5000
"""Smallest ``idle_timeout_ms`` the server accepts."""
IDLE_TIMEOUT_MAX_MS = 30000
"""Largest ``idle_timeout_ms`` the server accepts."""


class TurnDetectionType(enum.StrEnum):
    """Kind of turn detection: plain voice activity or a semantic end-of-turn model."""

    SERVER_VAD = "server_vad"
    SEMANTIC_VAD = "semantic_vad"


TurnDetectionTypeName = Literal["server_vad", "semantic_vad"]
"""The values of :class:`TurnDetectionType`, accepted wherever a member is."""


class Eagerness(enum.StrEnum):
    """How quickly ``semantic_vad`` ends a turn (max waits: low 8 s, medium 4 s, high 2 s)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    AUTO = "auto"


EagernessName = Literal["low", "medium", "high", "auto"]
"""The values of :class:`Eagerness`, accepted wherever a member is."""


_SERVER_VAD_ONLY = ("threshold", "prefix_padding_ms", "silence_duration_ms", "idle_timeout_ms")
_SEMANTIC_VAD_ONLY = ("eagerness",)
_FIELD = "turn_detection"


# The converters' parameter types are what TurnDetectionConfig's __init__ accepts (the attrs mypy
# plugin reads them); the checks they call still refuse anything else at run time.
def _type(value: TurnDetectionType | TurnDetectionTypeName) -> TurnDetectionType:
    return check_choice(value, TurnDetectionType, f"{_FIELD}.type")


def _eagerness(value: Eagerness | EagernessName | None) -> Eagerness | None:
    return None if value is None else check_choice(value, Eagerness, f"{_FIELD}.eagerness")


def _create_response(value: bool | None) -> bool | None:
    return None if value is None else check_bool(value, f"{_FIELD}.create_response")


def _interrupt_response(value: bool | None) -> bool | None:
    return None if value is None else check_bool(value, f"{_FIELD}.interrupt_response")


def _threshold(value: float | None) -> float | None:
    return None if value is None else check_float(value, f"{_FIELD}.threshold", lo=0.0, hi=1.0)


def _prefix_padding_ms(value: int | None) -> int | None:
    return None if value is None else check_int(value, f"{_FIELD}.prefix_padding_ms", lo=0)


def _silence_duration_ms(value: int | None) -> int | None:
    return None if value is None else check_int(value, f"{_FIELD}.silence_duration_ms", lo=0)


def _idle_timeout_ms(value: int | None) -> int | None:
    if value is None:
        return None
    return check_int(
        value, f"{_FIELD}.idle_timeout_ms", lo=IDLE_TIMEOUT_MIN_MS, hi=IDLE_TIMEOUT_MAX_MS
    )


@attrs.frozen(kw_only=True)
class TurnDetectionConfig:
    """A ``server_vad`` or ``semantic_vad`` turn-detection object.

    Fields left as ``None`` are not sent (the server keeps its current or default value). Options
    that belong to the other VAD type raise :class:`ConfigError` at construction.
    """

    type: TurnDetectionType = attrs.field(converter=_type)
    """``server_vad`` or ``semantic_vad`` (enum member or string)."""
    eagerness: Eagerness | None = attrs.field(default=None, converter=_eagerness)
    """``semantic_vad`` only: ``low``, ``medium``, ``high`` or ``auto``."""
    create_response: bool | None = attrs.field(default=None, converter=_create_response)
    """Whether the server starts a response when the user stops speaking."""
    interrupt_response: bool | None = attrs.field(default=None, converter=_interrupt_response)
    """Whether user speech cancels the response in progress."""
    threshold: float | None = attrs.field(default=None, converter=_threshold)
    """``server_vad`` only: activation threshold between 0 and 1."""
    prefix_padding_ms: int | None = attrs.field(default=None, converter=_prefix_padding_ms)
    """``server_vad`` only: audio kept before detected speech, in ms."""
    silence_duration_ms: int | None = attrs.field(default=None, converter=_silence_duration_ms)
    """``server_vad`` only: silence that ends a turn, in ms."""
    idle_timeout_ms: int | None = attrs.field(default=None, converter=_idle_timeout_ms)
    """``server_vad`` only: prompt the user after this much silence (5000-30000 ms)."""

    def __attrs_post_init__(self) -> None:
        wrong: tuple[str, ...]
        if self.type is TurnDetectionType.SERVER_VAD:
            wrong, other = _SEMANTIC_VAD_ONLY, TurnDetectionType.SEMANTIC_VAD
        else:
            wrong, other = _SERVER_VAD_ONLY, TurnDetectionType.SERVER_VAD
        for name in wrong:
            if getattr(self, name) is not None:
                raise ConfigError(
                    f"{_FIELD}.{name}: only valid with type {other.value!r}, "
                    f"not with type {self.type.value!r}"
                )

    @classmethod
    def server_vad(
        cls,
        *,
        threshold: float | None = None,
        prefix_padding_ms: int | None = None,
        silence_duration_ms: int | None = None,
        idle_timeout_ms: int | None = None,
        create_response: bool | None = None,
        interrupt_response: bool | None = None,
    ) -> TurnDetectionConfig:
        """A ``server_vad`` configuration."""
        return cls(
            type=TurnDetectionType.SERVER_VAD,
            threshold=threshold,
            prefix_padding_ms=prefix_padding_ms,
            silence_duration_ms=silence_duration_ms,
            idle_timeout_ms=idle_timeout_ms,
            create_response=create_response,
            interrupt_response=interrupt_response,
        )

    @classmethod
    def semantic_vad(
        cls,
        *,
        eagerness: Eagerness | EagernessName | None = None,
        create_response: bool | None = None,
        interrupt_response: bool | None = None,
    ) -> TurnDetectionConfig:
        """A ``semantic_vad`` configuration."""
        return cls(
            type=TurnDetectionType.SEMANTIC_VAD,
            eagerness=eagerness,
            create_response=create_response,
            interrupt_response=interrupt_response,
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> TurnDetectionConfig:
        """Build from a wire-shaped mapping such as ``{"type": "semantic_vad", ...}``.

        Keys whose value is ``None`` are treated as not set; unknown keys raise ConfigError.
        """
        known = frozenset(f.name for f in attrs.fields(cls))
        reject_unknown_keys(data, known, _FIELD)
        if data.get("type") is None:
            raise ConfigError(f"{_FIELD}.type: required ('server_vad' or 'semantic_vad')")
        return cls(**{key: value for key, value in data.items() if value is not None})

    def to_wire(self) -> dict[str, Any]:
        """The wire object with ``type`` and every field that is set."""
        wire: dict[str, Any] = {"type": self.type.value}
        for field in attrs.fields(type(self)):
            value = getattr(self, field.name)
            if field.name == "type" or value is None:
                continue
            wire[field.name] = value.value if isinstance(value, enum.Enum) else value
        return wire
