"""How many leading arguments a user callback takes (dynamic instructions, ``is_enabled``,
handoff hooks accept ``(ctx, agent)``, ``(ctx)`` or nothing), read from its signature."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..errors import ConfigError


def _counts(func: Callable[..., Any], label: str) -> tuple[int, int]:
    """(required, accepted) positional argument counts; accepted is large for ``*args``."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{label}: cannot read the signature ({err})") from err
    required = accepted = 0
    for param in sig.parameters.values():
        if param.kind is param.VAR_POSITIONAL:
            accepted = 1_000
        elif param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            accepted += 1
            required += param.default is param.empty
        elif param.kind is param.KEYWORD_ONLY and param.default is param.empty:
            raise ConfigError(f"{label}: keyword-only parameter {param.name!r} has no default")
    return required, accepted


def arity(func: Callable[..., Any], label: str, allowed: tuple[int, ...]) -> int:
    """How many of the (up to max(allowed)) leading arguments ``func`` takes."""
    required, accepted = _counts(func, label)
    count = min(accepted, max(allowed))
    if count < required or count not in allowed:
        raise ConfigError(
            f"{label}: must accept {' or '.join(map(str, allowed))} positional arguments"
        )
    return count


def call_by_arity(func: Callable[..., Any], label: str, allowed: tuple[int, ...],
                  *args: Any) -> Any:
    """Call ``func`` with as many of ``args`` as it takes (see :func:`arity`)."""
    return func(*args[: arity(func, label, allowed)])
