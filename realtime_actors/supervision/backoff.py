"""Restart backoff: exponential growth, a cap and multiplicative jitter (pure functions)."""

from __future__ import annotations

import random

import attrs

from realtime_actors.supervision.errors import SupervisionConfigError

JITTER_LOW = 0.5
JITTER_HIGH = 1.0


def backoff_delay(attempt: int, *, base_s: float, cap_s: float, jitter: float) -> float:
    """Delay before restart ``attempt`` (1-based): ``min(cap, base*2**(attempt-1)) * jitter``.

    ``jitter`` is a sample of U(0.5, 1.0) supplied by the caller, which keeps this function pure.
    Raises :class:`SupervisionConfigError` on an attempt below 1, negative base/cap, or a jitter
    outside [0.5, 1.0].
    """
    if attempt < 1:
        raise SupervisionConfigError(f"attempt must be >= 1, got {attempt}")
    if base_s < 0 or cap_s < 0:
        raise SupervisionConfigError(f"base_s and cap_s must be >= 0, got {base_s}, {cap_s}")
    if not JITTER_LOW <= jitter <= JITTER_HIGH:
        raise SupervisionConfigError(f"jitter must be in [0.5, 1.0], got {jitter}")
    # Cap the exponent so huge attempt numbers cannot overflow a float.
    exponent = min(attempt - 1, 64)
    return min(cap_s, base_s * 2.0**exponent) * jitter


def _non_negative(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value < 0:
        raise SupervisionConfigError(f"{attribute.name} must be >= 0, got {value}")


@attrs.frozen(kw_only=True)
class BackoffPolicy:
    """Restart delay policy of a supervisor. ``base_s=0`` restarts immediately (no timer)."""

    base_s: float = attrs.field(default=0.0, validator=_non_negative)
    cap_s: float = attrs.field(default=30.0, validator=_non_negative)

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Delay for restart number ``attempt`` using ``rng`` for the jitter."""
        return backoff_delay(
            attempt,
            base_s=self.base_s,
            cap_s=self.cap_s,
            jitter=rng.uniform(JITTER_LOW, JITTER_HIGH),
        )
