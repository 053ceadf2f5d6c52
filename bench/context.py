"""What every measurement module shares: the run settings and side-by-side repetitions."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from common import BenchError, repeat_summary
from launch import AGENTS_PY, MAIN_PY, ServerProcess, run_client

Command = Callable[[], list[str]]


@dataclass
class Context:
    """Settings of one bench run."""

    quick: bool
    sdk: bool
    """Whether the Agents SDK virtualenv is usable."""
    profile: bool
    """Profile the library client where a target is missed."""
    sdk_note: str = ""
    started: float = field(default_factory=time.monotonic)

    @property
    def reps(self) -> int:
        """Repetitions of each side-by-side measurement."""
        return 2 if self.quick else 3

    def log(self, message: str) -> None:
        """Progress on stderr, with the time since the start."""
        print(f"[{time.monotonic() - self.started:6.1f}s] {message}", file=sys.stderr,
              flush=True)


def lib_cmd(script: str, *args: str) -> list[str]:
    """A client command run by the project's interpreter."""
    return [MAIN_PY, script, *args]


def sdk_cmd(*args: str) -> list[str]:
    """An Agents SDK client command, run by the bench's own virtualenv."""
    return [AGENTS_PY, "client_sdk.py", *args]


def side_by_side(ctx: Context, server: ServerProcess | None,
                 commands: Mapping[str, Sequence[str]], reps: int,
                 timeout: float = 300.0) -> dict[str, list[dict[str, Any]]]:
    """Run each client ``reps`` times, interleaved (A B C, A B C, ...), so every comparison
    is made in the same conditions. A failed run is kept as ``{"error": ...}``."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in commands}
    for rep in range(reps):
        for name, argv in commands.items():
            try:
                result = run_client(argv, server=server, timeout=timeout)
            except BenchError as exc:
                ctx.log(f"  {name} run {rep + 1} failed: {exc}")
                result = {"error": str(exc)}
            runs[name].append(result)
    return runs


def summary(runs: Sequence[Mapping[str, Any]], key: str) -> dict[str, Any]:
    """Median/spread of ``key`` over the successful runs."""
    return repeat_summary(r[key] for r in runs if "error" not in r and key in r)


def ratio(runs_a: Sequence[Mapping[str, Any]], runs_b: Sequence[Mapping[str, Any]],
          key: str) -> dict[str, Any]:
    """Median/spread of a/b computed per repetition (a and b ran side by side)."""
    values = [a[key] / b[key] for a, b in zip(runs_a, runs_b, strict=False)
              if "error" not in a and "error" not in b and b.get(key)]
    return repeat_summary(values)


def other_load(runs: Mapping[str, Sequence[Mapping[str, Any]]]) -> float | None:
    """Average CPU (in cores) other processes used while these runs went on."""
    other = wall = 0.0
    for series in runs.values():
        for r in series:
            cpu = r.get("cpu")
            if cpu:
                other += cpu["other_s"]
                wall += cpu["wall_s"]
    return round(other / wall, 2) if wall else None


def require(condition: bool, message: str) -> None:
    """Raise BenchError unless ``condition``."""
    if not condition:
        raise BenchError(message)
