"""Helpers shared by the bench runner, the bench server and every client process.

Standard library only: the Agents SDK client imports this module from its own virtualenv.

Timestamps: the server writes ``time.monotonic_ns()`` (CLOCK_MONOTONIC, one clock for every
process of the machine) into the first 8 bytes of each audio delta's PCM, so every client,
whatever it decodes, can compute send -> receipt latency from the audio it receives.
"""

from __future__ import annotations

import base64
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

RESULT_PREFIX = "BENCH-RESULT "
STAMP_BYTES = 9
"""Bytes of PCM the stamp occupies: 8 of timestamp and one zero (a whole base64 group)."""
SAMPLE_RATE = 24_000
BYTES_PER_MS = SAMPLE_RATE * 2 // 1000
BENCH_KEY = "sk-bench-local-0123456789abcdef"
"""The API key every client sends (the bench server only checks that one is present)."""


class BenchError(RuntimeError):
    """A benchmark step failed (a server did not start, a client gave no result, ...)."""


def now_ns() -> int:
    """The shared monotonic clock, in nanoseconds."""
    return time.monotonic_ns()


def stamp_b64(t_ns: int) -> str:
    """Base64 of the stamp bytes (12 characters: it replaces the first group of the delta)."""
    return base64.b64encode(t_ns.to_bytes(8, "little") + b"\0").decode("ascii")


def read_stamp(pcm: bytes) -> int:
    """The send timestamp (ns) embedded in the first bytes of a delta's PCM."""
    return int.from_bytes(pcm[:8], "little")


# ---------------------------------------------------------------------------- statistics
def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) by linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * p / 100.0
    lo = math.floor(rank)
    hi = min(lo + 1, len(ordered) - 1)
    return float(ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo))


def latency_summary(latencies_ns: Sequence[int]) -> dict[str, float]:
    """p50/p90/p99/max of latencies in milliseconds, with the sample count."""
    ms = [v / 1e6 for v in latencies_ns]
    return {
        "count": len(ms),
        "p50_ms": percentile(ms, 50),
        "p90_ms": percentile(ms, 90),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms) if ms else math.nan,
    }


def repeat_summary(values: Iterable[float]) -> dict[str, Any]:
    """Median and spread of repeated measurements (spread = (max - min) / median)."""
    vals = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    if not vals:
        return {"median": None, "min": None, "max": None, "spread": None, "runs": []}
    med = statistics.median(vals)
    spread = (max(vals) - min(vals)) / med if med else None
    return {"median": med, "min": min(vals), "max": max(vals), "spread": spread, "runs": vals}


# ---------------------------------------------------------------------------- processes
def _proc_status(pid: int | str = "self") -> dict[str, str]:
    fields: dict[str, str] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def rss_bytes(pid: int | str = "self") -> int:
    """Resident set size of a process (Linux ``/proc``)."""
    return int(_proc_status(pid)["VmRSS"].split()[0]) * 1024


def thread_count(pid: int | str = "self") -> int:
    """OS threads of a process (Linux ``/proc``)."""
    return int(_proc_status(pid)["Threads"])


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU time a process has used, in seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def emit_result(result: Mapping[str, Any]) -> None:
    """Print a client's result as one line the runner recognises."""
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()


def parse_result(stdout: str) -> dict[str, Any]:
    """The result line of a client's output; raises BenchError when there is none."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    raise BenchError("client printed no result line")


# ---------------------------------------------------------------------------- machine
def machine_info() -> dict[str, Any]:
    """Cores, CPU model, memory, OS and Python of this machine."""
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        model = platform.processor()
    mem_total = 0
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem_total = int(line.split()[1]) * 1024
                    break
    except OSError:
        mem_total = 0
    return {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": model,
        "memory_gb": round(mem_total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "python_impl": platform.python_implementation(),
    }
