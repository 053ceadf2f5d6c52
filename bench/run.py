"""``make bench``: run every measurement and write bench/results.json and bench/RESULTS.md.

Usage: ``.venv/bin/python bench/run.py [--quick] [--only ingest,latency,...] [--no-sdk]
[--no-profile]``. The Agents SDK is installed into ``bench/.venv-agents`` on first use (with
py-spy, the profiler); if that fails the SDK columns say so and the rest is measured.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import cluster
import concurrency
import ingest
import latency
import report
import send_path
import targets
import voice
from common import BenchError, machine_info
from context import Context, lib_cmd
from frames import validate_frames
from launch import (
    AGENTS_PY,
    AGENTS_VENV,
    BENCH_DIR,
    REPO,
    bench_server,
    server_url,
    simulator,
    wait_quiet,
)
from launch import rest_url as simulator_rest_url
from profiling import profile_client

MEASUREMENTS = {
    "ingest": ingest.measure,
    "latency": latency.measure,
    "concurrency": concurrency.measure,
    "send_path": send_path.measure,
    "voice": voice.measure,
    "cluster": cluster.measure,
}
AGENTS_PACKAGES = ("openai-agents", "websocket-client", "py-spy")
SETUP_TIMEOUT_S = 600
QUIET_CORES = 0.25


def ensure_agents_venv(ctx: Context) -> tuple[bool, str]:
    """Create bench/.venv-agents with the Agents SDK (and py-spy) unless it is there."""
    check = [AGENTS_PY, "-c", "import agents.realtime"]

    def importable() -> bool:
        return subprocess.run(check, check=False, capture_output=True).returncode == 0

    if Path(AGENTS_PY).exists() and importable():
        return True, ""
    ctx.log(f"installing {', '.join(AGENTS_PACKAGES)} into {AGENTS_VENV}")
    base = getattr(sys, "_base_executable", sys.executable)
    steps = [[base, "-m", "venv", str(AGENTS_VENV)],
             [AGENTS_PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
             [AGENTS_PY, "-m", "pip", "install", "--quiet", *AGENTS_PACKAGES]]
    for step in steps:
        try:
            done = subprocess.run(step, check=False, capture_output=True, text=True,
                                  timeout=SETUP_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return False, f"the Agents SDK could not be installed ({exc}); SDK figures skipped"
        if done.returncode != 0:
            tail = " ".join(done.stderr.strip().splitlines()[-2:])
            return False, f"the Agents SDK could not be installed ({tail}); SDK figures skipped"
    ok = importable()
    return ok, "" if ok else "openai-agents installed but does not import; SDK figures skipped"


def versions(sdk: bool) -> dict[str, Any]:
    """Versions of everything measured."""
    out: dict[str, Any] = {}
    for dist in ("realtime-actors", "pykka", "websocket-client", "websockets", "numpy"):
        try:
            out[dist.replace("-", "_") if dist == "realtime-actors" else dist] = \
                importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = "not installed"
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--",
                                "realtime_actors", "voice_actors"],
                               capture_output=True, text=True, check=True).stdout.strip()
        out["git"] = head + (" + uncommitted library changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        out["git"] = "unknown"
    if sdk:
        code = ("import importlib.metadata as m, json; print(json.dumps({d: m.version(d) for d in "
                "('openai-agents', 'openai', 'websockets', 'pydantic')}))")
        done = subprocess.run([AGENTS_PY, "-c", code], check=False, capture_output=True,
                              text=True)
        out["agents_venv"] = json.loads(done.stdout) if done.returncode == 0 else {}
    return out


def profile_misses(ctx: Context, results: dict[str, Any],
                   checks: list[dict[str, Any]]) -> dict[str, Any]:
    """Profile the library client in the workload of each missed target."""
    missed = {c["key"] for c in checks if c["met"] is False}
    profiles: dict[str, Any] = {}
    plans: list[tuple[str, str, Any, float | None]] = []
    if "ingest_ratio" in missed:
        plans.append(("ingest_ratio", "client_lib.py ingest (flood of 60000)",
                      lambda url: lib_cmd("client_lib.py", "ingest", "--n", "60000", "--url",
                                          f"{url}?mode=flood&n=60000&ms=40"), None))
    if missed & {"latency_p50", "latency_p99"}:
        plans.append(("latency", "client_lib.py latency (6 s at 50/s)",
                      lambda url: lib_cmd("client_lib.py", "latency", "--n", "300", "--url",
                                          f"{url}?mode=stream&rate=50&ms=40&secs=6"), None))
    if missed & {"concurrency", "memory_per_session"}:
        # where the limit bites; py-spy cannot sample many hundreds of threads usefully
        failing = (results.get("concurrency", {}).get("lib", {}).get("first_failing")
                   or 100)
        n = min(100, failing)
        plans.append(("concurrency", f"client_lib_many.py ({n} sessions, 6 s of its window)",
                      lambda url: concurrency.lib_command(
                          f"{url}?mode=stream&rate=50&ms=40", n, 8.0), 6.0))
    if plans:
        with bench_server() as server:
            url = server_url(server)
            for key, what, make, duration in plans:
                ctx.log(f"profiling {what}")
                # the concurrency client spends ~3 s importing, ramping up and settling
                delay = 3.5 if duration else 1.5
                try:
                    # the concurrency client's main thread only paces starts and waits
                    profiles[key] = {"what": what, **profile_client(
                        make(url), server, delay_s=delay, duration_s=duration,
                        ignore_threads=("MainThread",) if duration else ())}
                except BenchError as exc:
                    profiles[key] = {"what": what, "profile": {"error": str(exc)}}
    if "voice_overhead" in missed:
        what = "client_voice.py"
        ctx.log(f"profiling {what}")
        with simulator() as sim:
            try:
                profiles["voice_overhead"] = {"what": what, **profile_client(
                    voice.command(simulator_rest_url(sim), 20), sim)}
            except BenchError as exc:
                profiles["voice_overhead"] = {"what": what, "profile": {"error": str(exc)}}
    return profiles


def main(argv: list[str] | None = None) -> int:
    """Run the bench; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short pass (1-2 min)")
    parser.add_argument("--only", default="", help=f"comma list of {', '.join(MEASUREMENTS)}")
    parser.add_argument("--no-sdk", action="store_true", help="skip the Agents SDK")
    parser.add_argument("--no-profile", action="store_true", help="skip profiling misses")
    parser.add_argument("--out", default=str(BENCH_DIR), help="where to write the results")
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                        help="before each measurement, wait up to SECONDS for other "
                             "processes to use under 0.25 cores (a shared machine)")
    args = parser.parse_args(argv)
    only = [m for m in args.only.split(",") if m] or list(MEASUREMENTS)
    unknown = set(only) - set(MEASUREMENTS)
    if unknown:
        parser.error(f"unknown measurements: {', '.join(sorted(unknown))}")
    ctx = Context(quick=args.quick, sdk=False, profile=not args.no_profile and not args.quick)
    if not args.no_sdk:
        ctx.sdk, ctx.sdk_note = ensure_agents_venv(ctx)
        if ctx.sdk_note:
            ctx.log(ctx.sdk_note)
    started = time.monotonic()
    out = Path(args.out)
    previous: dict[str, Any] = {}
    if args.only and (out / "results.json").exists():
        # re-running some measurements: keep the others from the last run
        previous = json.loads((out / "results.json").read_text(encoding="utf-8"))
    results: dict[str, Any] = {
        **{k: v for k, v in previous.items() if k in MEASUREMENTS},
        "mode": "quick" if args.quick else "full",
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_info(),
        "versions": versions(ctx.sdk),
        "sdk_note": ctx.sdk_note or ("skipped (--no-sdk)" if args.no_sdk else ""),
        "frames": validate_frames(),
    }
    for name in only:
        if args.wait_quiet > 0:
            load = wait_quiet(QUIET_CORES, args.wait_quiet)
            ctx.log(f"other load before {name}: {load:.2f} cores")
        try:
            results[name] = MEASUREMENTS[name](ctx)
        except (BenchError, OSError) as exc:
            ctx.log(f"{name} failed: {exc}")
            results[name] = {"error": str(exc)}
    checks = targets.evaluate(results)
    results["targets"] = checks
    if ctx.profile:
        fresh = profile_misses(ctx, results, checks)
        results["profiles"] = {**previous.get("profiles", {}), **fresh}
    loads = [results[n].get("other_load_cores") for n in MEASUREMENTS
             if isinstance(results.get(n), dict)]
    loads = [x for x in loads if x is not None]
    results["other_load_cores"] = sum(loads) / len(loads) if loads else None
    results["duration_s"] = time.monotonic() - started
    if previous:
        results["rerun"] = f"only {', '.join(only)} re-run; the rest is from {previous['date']}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    report.write(results, out / "RESULTS.md")
    ctx.log(f"wrote {out / 'results.json'} and {out / 'RESULTS.md'}")
    for c in checks:
        status = {True: "met", False: "MISSED", None: "n/a"}[c["met"]]
        ctx.log(f"  {c['label']}: {c['value']} {c['unit']} ({status})")
    return 0


if __name__ == "__main__":
    os.chdir(BENCH_DIR)
    sys.exit(main())
