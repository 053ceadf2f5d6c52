"""Helpers of the example tests: run examples as subprocesses with a clean environment and
read what they print and write."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from collections.abc import Mapping
from pathlib import Path

import attrs

from realtime_actors.audio.pcm import read_wav
from realtime_actors.simulator.speech_codec import decode

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RUN_TIMEOUT_S = 90.0
KEY_VARS = ("OPENAI_API_KEY", "CODEX_API_KEY", "CODEX_HOME")
TEST_KEY = "sk-test-examples-0123456789abcdef"


@attrs.frozen(kw_only=True)
class Run:
    """A finished example process."""

    name: str
    code: int
    out: str
    err: str
    out_dir: Path

    def summary(self) -> dict[str, str]:
        """The ``key=value`` pairs of the SUMMARY line (exactly one must be printed)."""
        lines = [line for line in self.out.splitlines() if line.startswith("SUMMARY: ")]
        assert len(lines) == 1, self.describe()
        return dict(pair.split("=", 1) for pair in lines[0].removeprefix("SUMMARY: ").split())

    def lines(self, prefix: str) -> list[str]:
        """Printed lines starting with ``prefix`` (leading spaces ignored)."""
        return [line.strip() for line in self.out.splitlines()
                if line.strip().startswith(prefix)]

    def describe(self) -> str:
        """Everything the process printed, for assertion messages."""
        return f"{self.name} exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


def clean_env(codex_home: Path, **extra: str) -> dict[str, str]:
    """The environment without any API key (CODEX_HOME at an empty folder), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in KEY_VARS}
    env["CODEX_HOME"] = str(codex_home)
    env.update(extra)
    return env


@attrs.frozen(kw_only=True)
class Started:
    """A running example process and the stem of its log files."""

    process: subprocess.Popen[bytes]
    logs: Path


def start(script: str, args: list[str], env: Mapping[str, str], logs: Path) -> Started:
    """Start an example with stdout/stderr to files under ``logs``."""
    logs.mkdir(parents=True, exist_ok=True)
    stem = logs / f"{script}-{len(list(logs.iterdir()))}"
    with open(f"{stem}.out", "w") as out, open(f"{stem}.err", "w") as err:
        process = subprocess.Popen([sys.executable, str(EXAMPLES / f"{script}.py"), *args],
                                   stdout=out, stderr=err, env=dict(env), cwd=logs)
    return Started(process=process, logs=stem)


def finish(name: str, started: Started, out_dir: Path, timeout: float) -> Run:
    """Wait for an example started by :func:`start` (killed after ``timeout``)."""
    try:
        code = started.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        started.process.kill()
        started.process.wait()
        code = -9
    return Run(name=name, code=code, out=Path(f"{started.logs}.out").read_text(),
               err=Path(f"{started.logs}.err").read_text(), out_dir=out_dir)


def run(script: str, args: list[str], env: Mapping[str, str], tmp: Path) -> Run:
    """Run one example to its end."""
    out_dir = tmp / "out"
    process = start(script, [*args, "--out", str(out_dir)], env, tmp / "logs")
    return finish(script, process, out_dir, RUN_TIMEOUT_S)


def wav_text(path: Path, min_ms: float = 100) -> str | None:
    """Check ``path`` is a valid, non-empty 24 kHz mono 16-bit WAV; return what it says."""
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getframerate(), w.getsampwidth()) == (1, 24000, 2)
        assert w.getnframes() >= min_ms * 24
    return decode(read_wav(path).samples[:, 0])
