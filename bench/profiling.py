"""Profiling a client process with py-spy (sampling every thread, waits left out).

:func:`profile_client` runs a client under ``py-spy record --pid`` and returns a digest of
the collapsed stacks: CPU share per thread kind, top functions by own time, and top
functions by inclusive time within the library, pykka and the socket layer. Samples of
threads that are waiting (a lock, a condition, ``select``, a blocking ``recv``) are dropped,
so the shares are of the time threads were running (py-spy's own idle detection and its
``--gil`` and ``--nonblocking`` modes proved unreliable with hundreds of threads). py-spy
pauses the process for each sample, so a profiled run is slower than a measured one.
If py-spy is not installed, the digest says so (the runner installs it into
``bench/.venv-agents``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from launch import AGENTS_VENV, ServerProcess, run_client

RATE_HZ = 50
_LINE_NO = re.compile(r":\d+\)$")
_THREAD = re.compile(r"^thread \(\d+\): ?(.*?)(-\d+)?$")
WAITS = ("Condition.wait", "Event.wait", "Thread.join", "_wait_for_tstate_lock", "select",
         "poll", "sleep", "recv", "recv_into", "readinto", "accept", "ThreadingFuture.get",
         "Future.result")
LIBRARY_MARKERS = ("realtime_actors/", "voice_actors/", "pykka/", "websocket/", "json/",
                   "base64", "threading.py", "queue.py", "attrs/", "requests/", "urllib3/")


def py_spy_path() -> str | None:
    """The py-spy executable, if any."""
    local = AGENTS_VENV / "bin" / "py-spy"
    if local.exists():
        return str(local)
    return shutil.which("py-spy")


def _frame_name(frame: str) -> str:
    return _LINE_NO.sub(")", frame)


def _waiting(frame: str) -> bool:
    name = frame.split(" (", 1)[0]
    return name in WAITS or name.rsplit(".", 1)[-1] in WAITS


def digest(lines: Sequence[str], top: int = 12,
           ignore_threads: Sequence[str] = ()) -> dict[str, Any]:
    """Summarise py-spy raw (collapsed) stacks recorded with ``--threads``; samples of
    threads named in ``ignore_threads`` (the bench's own) are left out."""
    threads: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        thread = frames[0]
        match = _THREAD.match(thread)
        if match is not None:
            frames = frames[1:]
            thread = match.group(1) or "main"
        if not frames or _waiting(frames[-1]) or thread in ignore_threads:
            continue
        total += count
        threads[thread or "unnamed"] += count
        own[_frame_name(frames[-1])] += count
        for name in {_frame_name(f) for f in frames}:
            if any(marker in name for marker in LIBRARY_MARKERS):
                inclusive[name] += count

    def shares(counter: Counter[str]) -> list[list[Any]]:
        return [[name, round(100.0 * n / total, 1)] for name, n in counter.most_common(top)]

    return {"samples": total, "rate_hz": RATE_HZ, "threads": shares(threads), "own": shares(own),
            "inclusive": shares(inclusive)}


def profile_client(argv: Sequence[str], server: ServerProcess | None,
                   timeout: float = 300.0, delay_s: float = 1.5,
                   duration_s: float | None = None,
                   ignore_threads: Sequence[str] = ()) -> dict[str, Any]:
    """Run a client under py-spy, attached after ``delay_s`` (imports and set-up are left
    out) for ``duration_s`` (None: until it exits); returns ``{"result": ...,
    "profile": digest}``."""
    spy = py_spy_path()
    if spy is None:
        result = run_client(argv, server=server, timeout=timeout)
        return {"result": result, "profile": {"error": "py-spy is not installed"}}
    with tempfile.TemporaryDirectory(prefix="bench-prof-") as tmp:
        out = Path(tmp) / "stacks.txt"
        procs: list[subprocess.Popen[bytes]] = []

        timers: list[threading.Timer] = []

        def spy_on(pid: int) -> None:
            limit = [] if duration_s is None else ["--duration", str(max(1, round(duration_s)))]
            procs.append(subprocess.Popen(
                [spy, "record", "--pid", str(pid), "--rate", str(RATE_HZ), "--format",
                 "raw", "--threads", *limit, "--output", str(out)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))

        def attach(proc: subprocess.Popen[str]) -> None:
            timer = threading.Timer(delay_s, spy_on, args=(proc.pid,))
            timer.daemon = True
            timers.append(timer)
            timer.start()

        result = run_client(argv, server=server, timeout=timeout, on_start=attach)
        for timer in timers:
            timer.cancel()
            timer.join(timeout=5)
        error = None
        for proc in procs:
            try:
                _, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
            if proc.returncode not in (0, None) and not out.exists():
                error = err.decode(errors="replace").strip().splitlines()[-1:] or ["failed"]
        if not out.exists():
            return {"result": result, "profile": {"error": f"py-spy wrote nothing: {error}"}}
        return {"result": result,
                "profile": digest(out.read_text(encoding="utf-8").splitlines(),
                                  ignore_threads=ignore_threads)}
