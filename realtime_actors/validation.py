"""attrs validators for configuration classes that raise :class:`~realtime_actors.errors.
ConfigError`: :func:`checked` wraps ``attrs.validators`` (``gt(0)``, ``ge(0)``,
``instance_of``, ...), which raise ValueError or TypeError."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from .errors import ConfigError

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]

NOT_BOOL: Validator = attrs.validators.not_(attrs.validators.instance_of(bool),
                                            msg="must be a number, not a bool")
NUMBER: Validator = attrs.validators.and_(NOT_BOOL, attrs.validators.instance_of(int | float))
"""An int or a float (not a bool)."""
INTEGER: Validator = attrs.validators.and_(NOT_BOOL, attrs.validators.instance_of(int))
"""An int (not a bool)."""


def checked(*validators: Validator, error: type[ConfigError] = ConfigError) -> Validator:
    """One validator running ``validators`` in order; where one raises ValueError or TypeError,
    raises ``error`` instead, e.g. ``ReconnectPolicy.window_s must be > 0: -1``."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        for validator in validators:
            try:
                validator(instance, attribute, value)
            except (ValueError, TypeError) as exc:
                if isinstance(exc, ConfigError):
                    raise
                reason = str(exc.args[0]) if exc.args else str(exc)
                reason = reason.removeprefix(f"'{attribute.name}' ")
                raise error(f"{type(instance).__name__}.{attribute.name} {reason}") from exc

    return check
