"""The targets of issue 13 and how each is read from the results."""

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


def _sessions(r: Mapping[str, Any], client: str) -> float:
    return float(r["concurrency"][client]["max_sessions"])


def _vs_sdk(r: Mapping[str, Any], client: str) -> float | None:
    sdk = _sessions(r, "sdk")
    return _sessions(r, client) / sdk if sdk else None


def _send_vs_sdk(r: Mapping[str, Any]) -> float | None:
    rates = r["send_path"]["audio_s_per_s"]
    lib, sdk = _median(rates["lib"]), _median(rates["sdk"])
    return None if lib is None or not sdk else lib / sdk


TARGETS = (
    Target("ingest_ratio", "ingest vs bare loop", "ingest",
           lambda r: _median(r["ingest"]["ratio_to_bare"]["lib"]), 1.0, True, "x"),
    Target("latency_p50", "one stream p50", "latency",
           lambda r: _median(r["latency"]["p50_ms"]["lib"]), 0.3, False, "ms"),
    Target("latency_p99", "one stream p99", "latency",
           lambda r: _median(r["latency"]["p99_ms"]["lib"]), 0.7, False, "ms"),
    Target("concurrency", "real-time sessions at p99 < 50 ms (feeder threads)", "concurrency",
           lambda r: _sessions(r, "lib"), 300, True, "sessions"),
    Target("concurrency_vs_sdk", "real-time sessions vs the SDK (feeder threads)",
           "concurrency", lambda r: _vs_sdk(r, "lib"), 1.2, True, "x"),
    Target("concurrency_reactor", "real-time sessions at p99 < 50 ms (feeders on the reactor)",
           "concurrency", lambda r: _sessions(r, "lib_reactor_feeder"), 300, True, "sessions"),
    Target("concurrency_reactor_vs_sdk", "real-time sessions vs the SDK (feeders on the "
           "reactor)", "concurrency", lambda r: _vs_sdk(r, "lib_reactor_feeder"), 1.2, True,
           "x"),
    Target("send_vs_sdk", "send path vs the SDK", "send_path", _send_vs_sdk, 1.0, True, "x"),
    Target("memory_per_session", "resident memory per streaming session (default RunConfig)",
           "concurrency",
           lambda r: _median(r["concurrency"]["lib"]["rss_per_session_kb"]), 100, False, "KB"),
    Target("base_rss", "process base", "concurrency",
           lambda r: _median(r["concurrency"]["lib"]["base_rss_mb"]), 60, False, "MB"),
    Target("voice_overhead", "voice overhead to first audio", "voice",
           lambda r: _median(r["voice"]["overhead_ms"]), 2, False, "ms"),
)


def evaluate(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Check every target against the results."""
    return [t.check(results) for t in TARGETS]
