"""Summarise the JSON lines ``make soak`` collects: faults injected, survived, lost,
duplicated, double tool runs, recovery times."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def main(path: str) -> int:
    """Print one summary of every run in ``path``; exit 1 if anything was lost or doubled."""
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()
            if line.strip()]
    if not rows:
        print(f"no runs in {path}")
        return 1
    faults = sum(r["faults_injected"] for r in rows)
    bad = {key: sum(r[key] for r in rows) for key in ("lost", "duplicated", "double_tool_runs")}
    medians = [r["recovery_median_s"] for r in rows if r["recovery_median_s"] is not None]
    worst = max((r["recovery_max_s"] or 0.0) for r in rows)
    kinds = sorted({k for r in rows for k in r["kinds"]})
    print(f"{len(rows)} seeds, {faults} faults injected ({len(kinds)} kinds), "
          f"survived {faults if not any(bad.values()) else 'not all'}; lost {bad['lost']}, "
          f"duplicated {bad['duplicated']}, double tool runs {bad['double_tool_runs']}; "
          f"recovery median {statistics.median(medians) if medians else 0:.3f} s, "
          f"max {worst:.3f} s")
    return 1 if any(bad.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "chaos-report.jsonl"))
