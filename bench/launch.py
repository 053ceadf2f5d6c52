"""Launching servers and clients as separate processes.

:class:`ServerProcess` starts the bench server (``bench/server.py``) or the embedded simulator
(``python -m realtime_actors.simulator``) in a process of its own and waits for the address it
prints. :func:`run_client` runs one client process and returns its result line, with the CPU
the server, the client and everything else on the machine used meanwhile.
"""

from __future__ import annotations

import logging
import os
import queue
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from common import BenchError, cpu_seconds, parse_result

logger = logging.getLogger("bench.launch")

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
MAIN_PY = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv").exists() else sys.executable
AGENTS_VENV = BENCH_DIR / ".venv-agents"
AGENTS_PY = str(AGENTS_VENV / "bin" / "python")
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = f"{BENCH_DIR}{os.pathsep}{REPO}"
    env["PYTHONUNBUFFERED"] = "1"
    return env


class ServerProcess:
    """A server in its own process; ``lines`` are the address lines it printed at start."""

    def __init__(self, argv: Sequence[str], ready: Callable[[list[str]], bool],
                 name: str) -> None:
        self.argv = list(argv)
        self.ready = ready
        self.name = name
        self.proc: subprocess.Popen[str] | None = None
        self.lines: list[str] = []
        self._log: list[str] = []

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        """The server's process id."""
        if self.proc is None:
            raise BenchError(f"{self.name} is not running")
        return self.proc.pid

    def start(self) -> None:
        """Start the process and wait until it printed its address lines."""
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=_clean_env(), cwd=BENCH_DIR)
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                lines.put(line.rstrip("\n"))
            lines.put(None)

        threading.Thread(target=pump, name=f"{self.name}-output", daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.ready(self.lines):
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise BenchError(f"{self.name} did not start in {START_TIMEOUT_S}s") from None
            if line is None:
                raise BenchError(f"{self.name} exited at start: {' | '.join(self._log[-5:])}")
            self._log.append(line)
            if line.startswith(("ready ", "realtime: ", "rest: ")):
                self.lines.append(line)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after a timeout."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            logger.warning("%s ignored SIGTERM; killing it", self.name)
            proc.kill()
            proc.wait(STOP_TIMEOUT_S)

    def cpu_seconds(self) -> float:
        """CPU time the server used so far."""
        return cpu_seconds(self.pid)


def bench_server() -> ServerProcess:
    """The bench server (flood/stream/sink workloads)."""
    return ServerProcess([MAIN_PY, str(BENCH_DIR / "server.py"), "--port", "0"],
                         lambda lines: any(x.startswith("ready ") for x in lines), "bench-server")


def simulator(pacing: float = 0.0) -> ServerProcess:
    """The embedded simulator, through its own command line."""
    return ServerProcess(
        [MAIN_PY, "-m", "realtime_actors.simulator", "--port", "0", "--http-port", "0",
         "--pacing", str(pacing)],
        lambda lines: any(x.startswith("rest: ") for x in lines), "simulator")


def server_url(server: ServerProcess) -> str:
    """The ws:// URL a bench server printed."""
    for line in server.lines:
        if line.startswith("ready "):
            return line.split(" ", 1)[1]
    raise BenchError("the bench server printed no address")


def rest_url(server: ServerProcess) -> str:
    """The REST base URL (``.../v1``) the simulator printed."""
    for line in server.lines:
        if line.startswith("rest: "):
            return line.split(" ", 1)[1].rstrip("/")
    raise BenchError("the simulator printed no REST address")


def _system_busy_s() -> float:
    with open("/proc/stat", encoding="ascii") as fh:
        fields = fh.readline().split()[1:]
    values = [int(x) for x in fields]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def machine_busy_cores(sample_s: float = 2.0) -> float:
    """CPU (in cores) the machine uses over ``sample_s``: other load, when nothing of the
    bench is running."""
    busy0, t0 = _system_busy_s(), time.monotonic()
    time.sleep(sample_s)  # sampling window, not a wait for an event
    return (_system_busy_s() - busy0) / (time.monotonic() - t0)


def wait_quiet(limit_cores: float, max_wait_s: float) -> float:
    """Wait (at most ``max_wait_s``) until other processes use less than ``limit_cores``;
    returns the last load seen."""
    deadline = time.monotonic() + max_wait_s
    load = machine_busy_cores()
    while load >= limit_cores and time.monotonic() < deadline:
        load = machine_busy_cores()
    return load


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_client(argv: Sequence[str], *, server: ServerProcess | None = None,
               timeout: float = 300.0,
               on_start: Callable[[subprocess.Popen[str]], Any] | None = None) -> dict[str, Any]:
    """Run a client process to completion; its result plus CPU accounting.

    ``cpu`` in the result: wall time, seconds of CPU used by the client and by the server
    during the run, and by the rest of the machine (other load makes a figure noisy).
    ``on_start`` is called with the client's process right after it started (profilers).
    """
    server_cpu0 = server.cpu_seconds() if server is not None else 0.0
    busy0 = _system_busy_s()
    children0 = _children_cpu_s()
    t0 = time.monotonic()
    proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=_clean_env(), cwd=BENCH_DIR)
    if on_start is not None:
        on_start(proc)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise BenchError(f"client timed out after {timeout}s: {' '.join(argv[1:3])}") from None
    wall = time.monotonic() - t0
    client_cpu = _children_cpu_s() - children0
    server_cpu = (server.cpu_seconds() - server_cpu0) if server is not None else 0.0
    busy = _system_busy_s() - busy0
    if proc.returncode != 0:
        tail = "\n".join(err.strip().splitlines()[-8:])
        raise BenchError(f"client {' '.join(argv[1:3])} failed ({proc.returncode}):\n{tail}")
    result = parse_result(out)
    result["cpu"] = {"wall_s": round(wall, 3), "client_s": round(client_cpu, 3),
                     "server_s": round(server_cpu, 3),
                     "other_s": round(max(0.0, busy - client_cpu - server_cpu), 3)}
    return result
