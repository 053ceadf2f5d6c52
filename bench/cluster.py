"""Measurement 6, the cluster extra: the Ray hop's added latency per audio delta (sessions
in this process vs on 1 and 2 host processes), deltas per second through the hop, and the
cost of a checkpoint per turn (memory, files, a Ray actor). See ``client_cluster.py``."""

from __future__ import annotations

from typing import Any

from common import BenchError
from context import Context, lib_cmd
from launch import bench_server, run_client, server_url

SESSIONS = 8


def measure(ctx: Context) -> dict[str, Any]:
    """Run the cluster figures; returns its section of results.json."""
    secs = 3 if ctx.quick else 6
    out: dict[str, Any] = {"sessions": SESSIONS, "secs": secs, "hop": {}}
    with bench_server() as server:
        url = f"{server_url(server)}?mode=stream&rate=50&ms=40&secs={secs}"
        for hosts in (0, 1, 2):
            ctx.log(f"cluster hop: {SESSIONS} streams on {hosts or 'no'} hosts")
            out["hop"][f"hosts_{hosts}"] = run_client(lib_cmd(
                "client_cluster.py", "hop", "--url", url, "--sessions", str(SESSIONS),
                "--hosts", str(hosts), "--secs", str(secs)), server=server)
        n = 2000 if ctx.quick else 5000
        ctx.log(f"cluster flood: {n} deltas through the hop")
        out["flood"] = run_client(lib_cmd(
            "client_cluster.py", "flood", "--n", str(n),
            "--url", f"{server_url(server)}?mode=flood&n={n}&ms=40"), server=server)
    ctx.log("cluster checkpoint cost per turn")
    out["checkpoint"] = run_client(lib_cmd("client_cluster.py", "checkpoint", "--turns",
                                           "10" if ctx.quick else "30"))
    base = out["hop"]["hosts_0"]
    for hosts in (1, 2):
        run = out["hop"][f"hosts_{hosts}"]
        if "p50_ms" not in run or "p50_ms" not in base:
            raise BenchError("a hop run gave no latencies")
        run["added_p50_ms"] = run["p50_ms"] - base["p50_ms"]
        run["added_p99_ms"] = run["p99_ms"] - base["p99_ms"]
    return out


def rows(r: dict[str, Any]) -> list[str]:
    """Markdown lines of the cluster section (empty when it was not measured)."""
    c = r.get("cluster")
    if not isinstance(c, dict) or "hop" not in c:
        return []
    lines = ["## Cluster (Ray)", "",
             f"{c['sessions']} paced streams (50 deltas/s each), events pulled in batches by a "
             "consumer thread per session in the driver process.", "",
             "| sessions run | p50 ms | p99 ms | added p50 | added p99 | deltas/s |",
             "|---|---|---|---|---|---|"]
    for key, label in (("hosts_0", "in the consumer's process"), ("hosts_1", "on 1 host"),
                       ("hosts_2", "on 2 hosts")):
        h = c["hop"].get(key, {})
        lines.append(f"| {label} | {h.get('p50_ms', float('nan')):.2f} | "
                     f"{h.get('p99_ms', float('nan')):.2f} | "
                     f"{h.get('added_p50_ms', 0.0):.2f} | {h.get('added_p99_ms', 0.0):.2f} | "
                     f"{h.get('deltas_per_s', float('nan')):.0f} |")
    flood = c.get("flood", {})
    lines += ["", f"One flood through the hop: {flood.get('deltas_per_s', float('nan')):,.0f} "
              "deltas/s received.", "", "| checkpoint store | turn ms | checkpoint ms/turn | "
              "snapshot bytes (items) at the end |", "|---|---|---|---|"]
    cp = c.get("checkpoint", {})
    for name in ("none", "memory", "file", "ray_actor"):
        e = cp.get(name, {})
        if name == "none":
            lines.append(f"| none | {e.get('turn_ms_median', float('nan')):.2f} | - | - |")
        else:
            lines.append(f"| {name} | {e.get('turn_ms_median', float('nan')):.2f} | "
                         f"{e.get('checkpoint_ms_median', float('nan')):.2f} | "
                         f"{e.get('snapshot_bytes_last', 0)} ({e.get('items_last', 0)}) |")
    return [*lines, ""]
