"""The README's quickstarts run as written (offline, no key), and its claims about the
``make simulator`` ports hold."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from realtime_actors.audio.pcm import read_wav
from realtime_actors.simulator.speech_codec import decode

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
RUN_TIMEOUT_S = 120.0


def snippet(heading: str) -> str:
    """The first ```python block after the line ``heading``."""
    start = README.index(f"\n{heading}\n")
    match = re.compile(r"```python\n(.*?)```", re.S).search(README, start)
    assert match is not None, heading
    return match.group(1)


def run_snippet(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENAI_API_KEY", "CODEX_API_KEY", "CODEX_HOME")}
    env.update(HOME=str(cwd), CODEX_HOME=str(cwd / "codex-home"), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=RUN_TIMEOUT_S, check=False)


def test_the_realtime_quickstart_runs_as_written(tmp_path: Path) -> None:
    result = run_snippet(snippet("## Quickstart: a realtime session"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "AgentEndEvent(" in result.stdout and "status='completed'" in result.stdout


def test_the_voice_quickstart_runs_as_written_and_saves_the_answer(tmp_path: Path) -> None:
    result = run_snippet(snippet("### Quickstart"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "failed:" not in result.stdout
    samples = read_wav(tmp_path / "answer.wav").samples[:, 0]
    assert decode(samples) == "Hello! I am listening. You said: What time is it?"


def test_the_asyncio_quickstart_runs_as_written(tmp_path: Path) -> None:
    result = run_snippet(snippet("## asyncio (`rt.arun`)"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "You said: Hello"


def test_the_telephony_quickstart_runs_as_written(tmp_path: Path) -> None:
    result = run_snippet(snippet("## Telephony bridge (`realtime_actors.telephony`)"),
                         tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["caller heard: You said: What time is it?",
                                          "caller pressed 1"]


@pytest.mark.parametrize(("option", "port"), [("--port", "8765"), ("--http-port", "8766")])
def test_make_simulator_serves_the_ports_the_readme_gives(option: str, port: str) -> None:
    recipe = (ROOT / "Makefile").read_text().split("\nsimulator:", 1)[1].split("\n\n", 1)[0]
    assert f"{option} {port}" in recipe
    assert "`make simulator` serves the simulator on 127.0.0.1:8765 (REST on 8766)" in README
