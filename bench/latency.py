"""Measurement 2, added latency: server send -> application receipt at 50 events/s.

One paced stream of 40 ms deltas at 50/s; the server stamps each delta right before sending
it and the client reads the stamp where the application gets the event. The first 10 events
are warm-up.
"""

from __future__ import annotations

from typing import Any

from context import Context, lib_cmd, other_load, sdk_cmd, side_by_side, summary
from launch import bench_server, server_url

RATE = 50


def measure(ctx: Context) -> dict[str, Any]:
    """Run the latency comparison; returns its section of results.json."""
    secs = 3 if ctx.quick else 6
    n = secs * RATE
    with bench_server() as server:
        url = f"{server_url(server)}?mode=stream&rate={RATE}&ms=40&secs={secs}"
        commands = {
            "bare": lib_cmd("client_bare.py", "latency", "--url", url),
            "lib": lib_cmd("client_lib.py", "latency", "--n", str(n), "--url", url),
        }
        if ctx.sdk:
            commands["sdk"] = sdk_cmd("latency", "--n", str(n), "--url", url)
        ctx.log(f"latency: {secs}s at {RATE}/s x {ctx.reps} reps, {list(commands)}")
        runs = side_by_side(ctx, server, commands, ctx.reps)
    return {
        "rate": RATE, "secs": secs,
        "p50_ms": {name: summary(r, "p50_ms") for name, r in runs.items()},
        "p99_ms": {name: summary(r, "p99_ms") for name, r in runs.items()},
        "other_load_cores": other_load(runs),
        "runs": runs,
    }
