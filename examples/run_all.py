"""Run every example offline (against the embedded simulator), one after another.

Each example runs as its own process with ``--offline`` (even when an API key is set), its
output is shown as it comes, and a table of results follows. Exits non-zero if any example
fails. Used by ``make demo``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from pathlib import Path

import attrs

HERE = Path(__file__).resolve().parent
TIMEOUT_S = 300.0
ORDER = (
    "realtime_basic.py", "realtime_tools.py", "realtime_handoffs.py", "live_realtime_voice.py",
    "voice_pipeline.py", "voice_multi_turn.py", "voice_with_agent.py", "threaded_server.py",
    "listener_actors.py", "telephony_bridge.py", "cluster_two_hosts.py",
)


@attrs.frozen(kw_only=True)
class Outcome:
    """How one example ended."""

    name: str
    code: int | None
    """Exit code; None when it was killed after the timeout."""
    seconds: float
    last_line: str
    """The SUMMARY (or SKIPPED / FAILED) line it printed last."""

    @property
    def ok(self) -> bool:
        """Exit code 0."""
        return self.code == 0


def examples() -> list[Path]:
    """The example scripts (helpers start with ``_``): those of :data:`ORDER` first, in that
    order, then any others by name."""
    found = [p for p in HERE.glob("*.py")
             if not p.name.startswith("_") and p.name != Path(__file__).name]
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(found, key=lambda p: (rank.get(p.name, len(ORDER)), p.name))


def run_one(path: Path, out: Path, timeout: float) -> Outcome:
    """Run one example offline, echoing its output; kill it after ``timeout`` seconds."""
    start = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, str(path), "--offline", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=HERE.parent,
    )
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        process.kill()

    watchdog = threading.Timer(timeout, kill)
    watchdog.start()
    last = ""
    try:
        assert process.stdout is not None
        for line in process.stdout:
            print(f"    {line}", end="", flush=True)
            if line.startswith(("SUMMARY:", "SKIPPED:", "FAILED:")):
                last = line.strip()
        code = process.wait()
    finally:
        watchdog.cancel()
        watchdog.join()
    return Outcome(name=path.name, code=None if killed.is_set() else code,
                   seconds=time.monotonic() - start, last_line=last)


def table(outcomes: list[Outcome]) -> str:
    """The result table."""
    width = max(len(o.name) for o in outcomes)
    rows = [f"{'example'.ljust(width)}  result   time    last line", "-" * (width + 40)]
    for o in outcomes:
        result = "ok" if o.ok else ("TIMEOUT" if o.code is None else f"exit {o.code}")
        rows.append(f"{o.name.ljust(width)}  {result:<7}  {o.seconds:5.1f}s  {o.last_line}")
    return "\n".join(rows)


def main() -> int:
    """Run them all, print the table, exit 1 if any failed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("demo-output"),
                        help="folder for the WAV files (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_S,
                        help="seconds each example may take (default: %(default)s)")
    parser.add_argument("--only", nargs="+", metavar="NAME", default=None,
                        help="run only these examples (file names, e.g. realtime_basic.py)")
    args = parser.parse_args()
    selected = examples()
    if args.only:
        names = {name if name.endswith(".py") else f"{name}.py" for name in args.only}
        unknown = names - {p.name for p in selected}
        if unknown:
            parser.error(f"unknown example(s): {', '.join(sorted(unknown))}")
        selected = [p for p in selected if p.name in names]
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    outcomes = []
    for path in selected:
        print(f"=== {path.name}", flush=True)
        outcomes.append(run_one(path, out, args.timeout))
    print()
    print(table(outcomes))
    failed = [o.name for o in outcomes if not o.ok]
    print(f"\n{len(outcomes) - len(failed)} of {len(outcomes)} examples passed; "
          f"audio files are under {out}")
    if failed:
        print(f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
