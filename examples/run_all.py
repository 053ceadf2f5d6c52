"""Run every example offline (against the embedded simulator), one after another.

Exits non-zero if any example fails. Used by ``make demo``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
OUT = Path("demo-output")


def main() -> int:
    examples = sorted(p for p in HERE.glob("*.py") if not p.name.startswith(("_", "run_all")))
    OUT.mkdir(exist_ok=True)
    failed = []
    for path in examples:
        print(f"=== {path.name}", flush=True)
        start = time.monotonic()
        result = subprocess.run([sys.executable, str(path), "--out", str(OUT)], check=False,
                                timeout=300)
        status = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
        print(f"=== {path.name}: {status} in {time.monotonic() - start:.1f}s\n", flush=True)
        if result.returncode != 0:
            failed.append(path.name)
    print(f"{len(examples) - len(failed)} of {len(examples)} examples passed; "
          f"audio output (if any) is under {OUT.resolve()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
