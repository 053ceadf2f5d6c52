"""Settings read from the environment (thread counts and the like)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..errors import ConfigError


def int_from_env(name: str, *, default: int, low: int, high: int,
                 env: Mapping[str, str] | None = None) -> int:
    """The integer in ``name`` (``os.environ`` unless ``env``); blank gives ``default``.

    Raises :class:`ConfigError` naming the variable for anything but an integer from ``low``
    to ``high``."""
    value = (os.environ if env is None else env).get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise ConfigError(f"{name} must be an integer from {low} to {high}, got {value!r}")
    return number
