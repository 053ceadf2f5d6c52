"""Measurement 3, concurrency: the most real-time sessions one process holds.

Every session gets 50 deltas/s of 40 ms from the server and appends 20 ms chunks at real
time; starts are spread over 1 s with random phase. A level passes when, over the
measurement window, the p99 send -> receipt latency is under 50 ms, at least 95% of the
expected deltas were received and of the expected chunks were appended, and no session
failed. The search goes up a ladder of levels until one fails, then tries the midpoint; in
a full run the best level is run twice more (median p99, resident memory and threads).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from common import BenchError, repeat_summary
from context import Context, lib_cmd, sdk_cmd
from launch import ServerProcess, bench_server, run_client, server_url

P99_LIMIT_MS = 50.0
MIN_DELIVERED = 0.95
LADDER_FULL = (50, 100, 200, 300, 400, 500, 650, 800)
LADDER_QUICK = (50, 150)
BELOW = (25, 10)

Make = Callable[[str, int, float], list[str]]


def lib_command(url: str, sessions: int, window_s: float) -> list[str]:
    """The library's concurrency client, default ``RunConfig`` (the memory target's figure)."""
    return lib_cmd("client_lib_many.py", "--sessions", str(sessions),
                   "--window-s", str(window_s), "--url", url)


def lean_command(url: str, sessions: int, window_s: float) -> list[str]:
    """The library's concurrency client with ``event_buffer=0`` (no Session.events buffer)."""
    return [*lib_command(url, sessions, window_s), "--lean"]


def reactor_feeder_command(url: str, sessions: int, window_s: float) -> list[str]:
    """The library's concurrency client with its feeders as quick actors on the reactor."""
    return [*lib_command(url, sessions, window_s), "--feeder", "reactor"]


def sdk_command(url: str, sessions: int, window_s: float) -> list[str]:
    """The Agents SDK's concurrency client."""
    return sdk_cmd("many", "--sessions", str(sessions), "--window-s", str(window_s),
                   "--url", url)


def verdict(r: dict[str, Any]) -> tuple[bool, str]:
    """Whether a level run passed, and why not."""
    if "error" in r:
        return False, "client failed"
    reasons = []
    if not r["p99_ms"] < P99_LIMIT_MS:
        reasons.append(f"p99 {r['p99_ms']:.1f} ms")
    if r["events"] < MIN_DELIVERED * r["expected_events"]:
        reasons.append(f"received {r['events']}/{r['expected_events']}")
    if r["sent_chunks"] < MIN_DELIVERED * r["expected_chunks"]:
        reasons.append(f"appended {r['sent_chunks']}/{r['expected_chunks']}")
    if r["session_errors"]:
        reasons.append(f"{r['session_errors']} sessions failed")
    return not reasons, ", ".join(reasons) or "ok"


def per_session(r: dict[str, Any]) -> dict[str, Any]:
    """Resident memory and threads per session, from one level run.

    Memory per session is the growth from half of the sessions started to all of them
    (one-time costs of the first session are left out); the average over all sessions,
    one-time costs included, is kept too. Threads exclude the bench's own threads.
    """
    n = r["sessions"]
    lib_threads = r["threads"] - r["base_threads"] - r["bench_threads"]
    second_half = n - r["half_sessions"]
    marginal = (r["rss"] - r["half_rss"]) / second_half / 1024 if second_half else None
    return {"rss_per_session_kb": marginal,
            "rss_avg_per_session_kb": (r["rss"] - r["base_rss"]) / n / 1024,
            "base_rss_mb": r["base_rss"] / 2**20,
            "threads_per_session": lib_threads / n,
            "threads_total": r["threads"]}


def search(ctx: Context, server: ServerProcess, name: str, make: Make) -> dict[str, Any]:
    """Find the largest passing level for one client."""
    url = f"{server_url(server)}?mode=stream&rate=50&ms=40"
    window_s = 2.0 if ctx.quick else 4.0
    levels: list[dict[str, Any]] = []

    def attempt(n: int) -> bool:
        try:
            r = run_client(make(url, n, window_s), server=server, timeout=180)
        except BenchError as exc:
            r = {"error": str(exc), "sessions": n}
        ok, why = verdict(r)
        r["passed"], r["why"] = ok, why
        levels.append(r)
        p99 = r.get("p99_ms")
        ctx.log(f"  {name} {n} sessions: {'pass' if ok else 'FAIL'} ({why}; p99 "
                f"{p99 if p99 is None else round(p99, 1)} ms)")
        return ok

    best, failed = 0, None
    for n in LADDER_QUICK if ctx.quick else LADDER_FULL:
        if attempt(n):
            best = n
        else:
            failed = n
            break
    if best == 0:
        for n in BELOW:
            if attempt(n):
                best = n
                break
            failed = n
    if not ctx.quick and best and failed and failed - best >= 10:
        step = 10 if failed - best > 20 else 5
        mid = (best + failed) // 2 // step * step
        if mid > best and attempt(mid):
            best = mid
        elif mid > best:
            failed = mid
    best_runs = [r for r in levels if r.get("sessions") == best and r["passed"]]
    if not ctx.quick and best:
        for _ in range(2):
            attempt(best)
        best_runs = [r for r in levels if r.get("sessions") == best and "error" not in r]
    out: dict[str, Any] = {
        "max_sessions": best,
        "first_failing": failed,
        "levels": levels,
    }
    if best_runs:
        out["best_passed_runs"] = sum(1 for r in best_runs if r["passed"])
        out["best_runs"] = len(best_runs)
        out["p99_ms_at_max"] = repeat_summary(r["p99_ms"] for r in best_runs)
        out["p50_ms_at_max"] = repeat_summary(r["p50_ms"] for r in best_runs)
        stats = [per_session(r) for r in best_runs]
        for key in stats[0]:
            out[key] = repeat_summary(s[key] for s in stats)
    return out


def measure(ctx: Context) -> dict[str, Any]:
    """Run the concurrency search for the library and the SDK."""
    out: dict[str, Any] = {"p99_limit_ms": P99_LIMIT_MS, "rate": 50, "delta_ms": 40,
                           "append_chunk_ms": 20}
    with bench_server() as server:
        ctx.log("concurrency: library")
        out["lib"] = search(ctx, server, "lib", lib_command)
        ctx.log("concurrency: library, feeders on the reactor")
        out["lib_reactor_feeder"] = search(ctx, server, "lib_reactor_feeder",
                                           reactor_feeder_command)
        if not ctx.quick:
            ctx.log("concurrency: library, RunConfig(event_buffer=0)")
            out["lib_lean"] = search(ctx, server, "lib_lean", lean_command)
        if ctx.sdk:
            ctx.log("concurrency: Agents SDK")
            out["sdk"] = search(ctx, server, "sdk", sdk_command)
    return out
