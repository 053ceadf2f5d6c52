"""Helpers of the CLI tests: a clean environment, running the CLI as a subprocess, a
simulator served by the CLI in a subprocess, and a chat subprocess read line by line."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

KEY_VARIABLES = ("OPENAI_API_KEY", "CODEX_API_KEY", "CODEX_HOME")
SECRET_KEY = "sk-cli-test-0123456789abcdefSECRET"
"""A key tests give the CLI and then look for in its output (it must never appear)."""
RUN_TIMEOUT_S = 60.0
"""Upper bound of one CLI run (runs normally take about a second)."""


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any API key source (HOME and CODEX_HOME point at
    an empty folder), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in KEY_VARIABLES}
    env["HOME"] = str(home)
    env["CODEX_HOME"] = str(home / "codex-home")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def cli_command(args: Sequence[str]) -> list[str]:
    """The command line running ``python -m realtime_actors`` with ``args``."""
    return [sys.executable, "-m", "realtime_actors", *args]


def run_cli(args: Sequence[str], env: Mapping[str, str], stdin: str = "") -> \
        subprocess.CompletedProcess[str]:
    """Run the CLI to completion, with ``stdin`` piped in; returns its exit code and output."""
    return subprocess.run(cli_command(args), input=stdin, capture_output=True, text=True,
                          env=dict(env), timeout=RUN_TIMEOUT_S, check=False)


@contextmanager
def reaped(proc: subprocess.Popen[Any]) -> Iterator[subprocess.Popen[Any]]:
    """Yield ``proc``; on the way out kill it if the test did not end it, wait for it and
    close its pipes."""
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=RUN_TIMEOUT_S)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@attrs.frozen(kw_only=True)
class ServedSimulator:
    """A ``realtime-actors simulator`` subprocess and the URLs it printed."""

    proc: subprocess.Popen[str]
    ws_url: str
    http_url: str
    faults: str

    def stop(self, sig: signal.Signals = signal.SIGINT) -> int:
        """Send ``sig`` and return the exit code."""
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=RUN_TIMEOUT_S)

    def stop_and_read(self, sig: signal.Signals) -> tuple[int, str, str]:
        """Send ``sig``; return the exit code and the rest of stdout and stderr."""
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=RUN_TIMEOUT_S)
        return self.proc.returncode, out, err


def _value(line: str, label: str) -> str:
    if not line.startswith(f"{label}: "):
        raise AssertionError(f"expected a {label!r} line, got {line!r}")
    return line.split(": ", 1)[1].strip()


@contextmanager
def served_simulator(args: Sequence[str], env: Mapping[str, str]) -> Iterator[ServedSimulator]:
    """Start ``realtime-actors simulator --port 0 --http-port 0 <args>``, read its URLs, and
    kill it on the way out if the test did not stop it."""
    proc = subprocess.Popen(
        cli_command(["simulator", "--port", "0", "--http-port", "0", *args]),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(env),
    )
    with reaped(proc):
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        yield ServedSimulator(proc=proc, ws_url=_value(lines[0], "realtime"),
                              http_url=_value(lines[1], "rest"), faults=_value(lines[2], "faults"))


class LineReader:
    """Reads lines of a subprocess's stdout with a deadline (``select`` on the pipe), keeping
    every line read so far."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self._fd = proc.stdout.fileno()
        self._buffer = b""
        self._eof = False
        self.lines: list[str] = []

    def _fill(self, deadline: float) -> bool:
        left = deadline - time.monotonic()
        if self._eof or left <= 0:
            return False
        ready, _, _ = select.select([self._fd], [], [], left)
        if not ready:
            return False
        chunk = os.read(self._fd, 65536)
        self._eof = not chunk
        self._buffer += chunk
        return bool(chunk)

    def _take_lines(self) -> None:
        *complete, self._buffer = self._buffer.split(b"\n")
        self.lines.extend(line.decode() for line in complete)

    def wait_for(self, prefix: str, timeout: float = RUN_TIMEOUT_S) -> str:
        """The first line (read so far or next) starting with ``prefix``; raises
        ``AssertionError`` at end of output or after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            self._take_lines()
            for line in self.lines:
                if line.startswith(prefix):
                    return line
            if not self._fill(deadline):
                raise AssertionError(f"no line starting with {prefix!r} in {self.lines!r}")

    def read_to_end(self, timeout: float = RUN_TIMEOUT_S) -> list[str]:
        """Every line until the end of the output (the process closed its stdout)."""
        deadline = time.monotonic() + timeout
        while self._fill(deadline):
            pass
        if not self._eof:
            raise AssertionError(f"output did not end within {timeout}s: {self.lines!r}")
        self._take_lines()
        if self._buffer:
            self.lines.append(self._buffer.decode())
            self._buffer = b""
        return self.lines


@contextmanager
def chat_process(args: Sequence[str], env: Mapping[str, str], stderr_path: Path) -> \
        Iterator[tuple[subprocess.Popen[bytes], LineReader]]:
    """Start ``realtime-actors chat <args>`` with stdin an open pipe (so it waits for input),
    stdout piped and stderr written to ``stderr_path``; killed on the way out if still
    running."""
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen(cli_command(["chat", *args]), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=err, env=dict(env))
    with reaped(proc):
        yield proc, LineReader(proc)
