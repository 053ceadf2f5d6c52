"""Property tests of the pure backoff function (no wall clock)."""

from __future__ import annotations

import itertools
import random

import pytest

from realtime_actors.supervision import BackoffPolicy, SupervisionConfigError, backoff_delay


def _samples() -> list[tuple[float, float, float]]:
    rng = random.Random(1234)
    out = []
    for _ in range(300):
        base = rng.choice([0.0, 0.001, 0.05, 0.5, 3.0])
        cap = rng.choice([0.0, 0.1, 1.0, 30.0, 600.0])
        jitter = rng.uniform(0.5, 1.0)
        out.append((base, cap, jitter))
    out += [(0.05, 30.0, 0.5), (0.05, 30.0, 1.0)]
    return out


@pytest.mark.parametrize("attempt", [1, 2, 3, 7, 20, 100, 10_000])
def test_delay_within_jittered_bounds(attempt: int) -> None:
    for base, cap, jitter in _samples():
        nominal = min(cap, base * 2.0 ** min(attempt - 1, 64))
        delay = backoff_delay(attempt, base_s=base, cap_s=cap, jitter=jitter)
        assert 0.5 * nominal <= delay <= nominal
        assert delay <= cap


def test_delay_doubles_until_cap_then_stays() -> None:
    for base, cap, jitter in _samples():
        delays = [backoff_delay(n, base_s=base, cap_s=cap, jitter=jitter) for n in range(1, 40)]
        for prev, nxt in itertools.pairwise(delays):
            assert nxt >= prev
            if nxt < cap * jitter:
                assert nxt == pytest.approx(2 * prev)
        assert delays[-1] == pytest.approx(min(cap, base * 2.0**38) * jitter)


def test_first_attempt_is_base_times_jitter() -> None:
    assert backoff_delay(1, base_s=0.05, cap_s=10.0, jitter=0.8) == pytest.approx(0.04)
    assert backoff_delay(4, base_s=0.05, cap_s=10.0, jitter=1.0) == pytest.approx(0.4)
    assert backoff_delay(30, base_s=0.05, cap_s=10.0, jitter=0.5) == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("attempt", "base", "cap", "jitter"),
    [(0, 1.0, 1.0, 0.7), (1, -1.0, 1.0, 0.7), (1, 1.0, -1.0, 0.7), (1, 1.0, 1.0, 0.4),
     (1, 1.0, 1.0, 1.01)],
)
def test_bad_input_raises_typed_error(attempt: int, base: float, cap: float, jitter: float) -> None:
    with pytest.raises(SupervisionConfigError):
        backoff_delay(attempt, base_s=base, cap_s=cap, jitter=jitter)


def test_policy_uses_rng_in_jitter_range() -> None:
    policy = BackoffPolicy(base_s=0.1, cap_s=1.0)
    rng = random.Random(7)
    for attempt in range(1, 30):
        nominal = min(1.0, 0.1 * 2 ** (attempt - 1))
        assert 0.5 * nominal <= policy.delay(attempt, rng) <= nominal
    with pytest.raises(SupervisionConfigError):
        BackoffPolicy(base_s=-1.0)
