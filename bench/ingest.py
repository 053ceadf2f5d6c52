"""Measurement 1, ingest: output-audio deltas per second delivered to the application.

The bench server floods one connection with N deltas of 40 ms (GA frames); each client
counts the deltas it hands to the application, first to last: the bare websocket-client loop
(the limit), this library (a subscriber actor, default config and ``raw_events=True``) and
the Agents SDK (``async for`` over the session).
"""

from __future__ import annotations

from typing import Any

from context import Context, lib_cmd, other_load, ratio, sdk_cmd, side_by_side, summary
from launch import bench_server, server_url

DELTA_MS = 40


def measure(ctx: Context) -> dict[str, Any]:
    """Run the ingest comparison; returns its section of results.json."""
    n = 20_000 if ctx.quick else 60_000
    with bench_server() as server:
        url = f"{server_url(server)}?mode=flood&n={n}&ms={DELTA_MS}"
        commands = {
            "bare": lib_cmd("client_bare.py", "ingest", "--url", url),
            "lib": lib_cmd("client_lib.py", "ingest", "--n", str(n), "--url", url),
            "lib_raw": lib_cmd("client_lib.py", "ingest", "--raw-events", "--n", str(n),
                               "--url", url),
        }
        if ctx.sdk:
            commands["sdk"] = sdk_cmd("ingest", "--n", str(n), "--url", url)
        ctx.log(f"ingest: {n} deltas of {DELTA_MS} ms x {ctx.reps} reps, {list(commands)}")
        runs = side_by_side(ctx, server, commands, ctx.reps)
    out: dict[str, Any] = {
        "deltas": n, "delta_ms": DELTA_MS,
        "events_per_s": {name: summary(r, "events_per_s") for name, r in runs.items()},
        "ratio_to_bare": {name: ratio(r, runs["bare"], "events_per_s")
                          for name, r in runs.items() if name != "bare"},
        "other_load_cores": other_load(runs),
        "runs": runs,
    }
    return out
