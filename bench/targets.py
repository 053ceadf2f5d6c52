"""The targets of issue 7 and how each is read from the results."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    """One target: where its figure is in results.json and the bound it must meet."""

    key: str
    label: str
    measurement: str
    figure: Callable[[Mapping[str, Any]], float | None]
    bound: float
    higher_is_better: bool
    unit: str

    def check(self, results: Mapping[str, Any]) -> dict[str, Any]:
        """The figure, the bound and whether it is met (None: not measured)."""
        try:
            value = self.figure(results)
        except (KeyError, TypeError):
            value = None
        met = None
        if value is not None:
            met = value >= self.bound if self.higher_is_better else value <= self.bound
        return {"key": self.key, "label": self.label, "measurement": self.measurement,
                "value": value, "bound": self.bound, "unit": self.unit,
                "higher_is_better": self.higher_is_better, "met": met}


def _median(node: Mapping[str, Any]) -> float | None:
    value = node.get("median")
    return None if value is None else float(value)


TARGETS = (
    Target("ingest_ratio", "ingest vs bare loop", "ingest",
           lambda r: _median(r["ingest"]["ratio_to_bare"]["lib"]), 0.8, True, "x"),
    Target("latency_p50", "one stream p50", "latency",
           lambda r: _median(r["latency"]["p50_ms"]["lib"]), 0.5, False, "ms"),
    Target("latency_p99", "one stream p99", "latency",
           lambda r: _median(r["latency"]["p99_ms"]["lib"]), 1.0, False, "ms"),
    Target("concurrency", "real-time sessions at p99 < 50 ms", "concurrency",
           lambda r: float(r["concurrency"]["lib"]["max_sessions"]), 300, True, "sessions"),
    Target("memory_per_session", "resident memory per streaming session (default RunConfig)",
           "concurrency",
           lambda r: _median(r["concurrency"]["lib"]["rss_per_session_kb"]), 100, False, "KB"),
    Target("base_rss", "process base", "concurrency",
           lambda r: _median(r["concurrency"]["lib"]["base_rss_mb"]), 60, False, "MB"),
    Target("voice_overhead", "voice overhead to first audio", "voice",
           lambda r: _median(r["voice"]["overhead_ms"]), 10, False, "ms"),
)


def evaluate(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Check every target against the results."""
    return [t.check(results) for t in TARGETS]
