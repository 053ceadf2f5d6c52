"""Live mode and skip rules of the examples (a simulator in the test process stands in for
the real service, reached with ``--url``/``--rest-url``), and ``run_all.py``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from realtime_actors.simulator import FaultPlan, RestFault, Scenario, Simulator
from tests.examples.support import EXAMPLES, RUN_TIMEOUT_S, TEST_KEY, clean_env, run


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty CODEX_HOME."""
    path = tmp_path / "codex-home"
    path.mkdir()
    return path


def test_a_key_in_the_environment_makes_the_example_live(
    sim: Simulator, home: Path, tmp_path: Path
) -> None:
    result = run("realtime_basic", ["--url", sim.ws_url],
                 clean_env(home, OPENAI_API_KEY=TEST_KEY), tmp_path)
    assert result.code == 0, result.describe()
    assert "[mode] API key found in OPENAI_API_KEY; running live" in result.out
    assert "embedded simulator" not in result.out
    assert len(sim.connections) == 1  # it talked to the "live" endpoint
    assert TEST_KEY not in result.out + result.err


def test_offline_flag_wins_over_a_key(sim: Simulator, home: Path, tmp_path: Path) -> None:
    result = run("realtime_basic", ["--offline", "--url", sim.ws_url],
                 clean_env(home, CODEX_API_KEY=TEST_KEY), tmp_path)
    assert result.code == 0, result.describe()
    assert "[mode] offline: embedded simulator" in result.out
    assert sim.connections == []


def test_live_flag_without_a_key_fails_clearly(home: Path, tmp_path: Path) -> None:
    result = run("realtime_basic", ["--live"], clean_env(home), tmp_path)
    assert result.code == 1, result.describe()
    assert result.lines("FAILED:")[0].startswith("FAILED: --live needs an API key")


def test_insufficient_quota_is_skipped(sim: Simulator, home: Path, tmp_path: Path) -> None:
    sim.scenario = Scenario(faults=FaultPlan(fail_responses="insufficient_quota"))
    result = run("realtime_tools", ["--url", sim.ws_url],
                 clean_env(home, CODEX_API_KEY=TEST_KEY), tmp_path)
    assert result.code == 0, result.describe()
    assert result.lines("SKIPPED:") == ["SKIPPED: insufficient_quota"]
    assert "SUMMARY" not in result.out
    assert len(sim.connections) == 1  # no probe is needed for a quota error


def test_server_error_proven_by_the_probe_is_skipped(
    sim: Simulator, home: Path, tmp_path: Path
) -> None:
    sim.scenario = Scenario(faults=FaultPlan(fail_responses="server_error"))
    result = run("realtime_handoffs", ["--url", sim.ws_url],
                 clean_env(home, OPENAI_API_KEY=TEST_KEY), tmp_path)
    assert result.code == 0, result.describe()
    assert result.lines("[probe]")[0].startswith("[probe] realtime probe failed:")
    skipped = result.lines("SKIPPED:")
    assert len(skipped) == 1
    assert re.fullmatch(r"SKIPPED: realtime_upstream_server_error \(session_id=\S+\)",
                        skipped[0]), skipped
    assert len(sim.connections) == 2  # the example's session, then the probe


def test_server_error_the_probe_does_not_reproduce_fails(
    sim: Simulator, home: Path, tmp_path: Path
) -> None:
    first_only = Scenario(faults=lambda i: FaultPlan(fail_responses="server_error") if i == 0
                          else None)
    sim.scenario = first_only
    result = run("realtime_basic", ["--url", sim.ws_url],
                 clean_env(home, OPENAI_API_KEY=TEST_KEY), tmp_path)
    assert result.code == 1, result.describe()
    assert result.lines("[probe]")[0].startswith("[probe] realtime probe passed")
    assert "SKIPPED" not in result.out
    assert result.lines("FAILED:")[0].startswith("FAILED: the session reported an error")


def test_voice_quota_error_is_skipped(sim: Simulator, home: Path, tmp_path: Path) -> None:
    sim.scenario = Scenario(rest_faults=(
        RestFault(status=429, code="insufficient_quota", times=5, endpoint="transcriptions"),))
    result = run("voice_pipeline", ["--url", sim.ws_url, "--rest-url", sim.http_url],
                 clean_env(home, OPENAI_API_KEY=TEST_KEY), tmp_path)
    assert result.code == 0, result.describe()
    assert result.lines("SKIPPED:") == ["SKIPPED: insufficient_quota"]
    assert "transcriptions" in [r.endpoint for r in sim.rest.requests]


def test_a_skip_met_in_a_server_thread_ends_the_threaded_server_example(
    sim: Simulator, home: Path, tmp_path: Path
) -> None:
    sim.scenario = Scenario(faults=FaultPlan(fail_responses="insufficient_quota"))
    result = run("threaded_server", ["--url", sim.ws_url, "--clients", "2"],
                 clean_env(home, OPENAI_API_KEY=TEST_KEY), tmp_path)
    assert result.code == 0, result.describe()
    assert sorted(result.lines("[http] c")) == [
        "[http] c1 turn 1 -> 503: skipped: insufficient_quota",
        "[http] c2 turn 1 -> 503: skipped: insufficient_quota",
    ]  # each client stops after its failed turn
    assert len(result.lines("[session] closed conversation")) == 2
    assert result.lines("SKIPPED:") == ["SKIPPED: insufficient_quota"]


def test_agent_quota_error_in_a_voice_run_is_skipped(
    sim: Simulator, home: Path, tmp_path: Path
) -> None:
    sim.scenario = Scenario(faults=FaultPlan(fail_responses="insufficient_quota"))
    result = run("voice_with_agent", ["--url", sim.ws_url, "--rest-url", sim.http_url],
                 clean_env(home, OPENAI_API_KEY=TEST_KEY), tmp_path)
    assert result.code == 0, result.describe()
    assert result.lines("SKIPPED:") == ["SKIPPED: insufficient_quota"]


# ---------------------------------------------------------------------------- run_all
def test_run_all_runs_examples_offline_and_prints_a_table(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    env = clean_env(home, OPENAI_API_KEY=TEST_KEY)  # a key must not make it go live
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / "run_all.py"), "--only", "realtime_basic",
         "realtime_tools", "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=RUN_TIMEOUT_S, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    table = completed.stdout.split("\n\n")[-2]
    assert re.search(r"realtime_basic\.py\s+ok\s+[\d.]+s\s+SUMMARY: turns=2", table), table
    assert re.search(r"realtime_tools\.py\s+ok\s+[\d.]+s\s+SUMMARY: turns=2", table), table
    assert "[mode] offline" in completed.stdout
    assert "2 of 2 examples passed" in completed.stdout


def test_run_all_fails_when_an_example_fails(home: Path, tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / "run_all.py"), "--only", "voice_pipeline",
         "--timeout", "0.05", "--out", str(tmp_path / "demo")],
        capture_output=True, text=True, env=clean_env(home), timeout=RUN_TIMEOUT_S,
        check=False)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert re.search(r"voice_pipeline\.py\s+TIMEOUT", completed.stdout)
    assert "FAILED: voice_pipeline.py" in completed.stdout
