"""``realtime-actors bridge``: the telephony bridge from the command line, as a subprocess."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

import pytest

from realtime_actors.cli import EXIT_OK, EXIT_USAGE
from realtime_actors.telephony import SimulatedCarrier
from tests.cli.support import RUN_TIMEOUT_S, LineReader, clean_env, cli_command, run_cli


def test_bridge_with_the_simulator_places_one_simulated_call(tmp_path: Path) -> None:
    result = run_cli(["bridge", "--simulator", "--session-audio", "pcmu",
                      "--call", "what time is it"], clean_env(tmp_path))
    assert result.returncode == EXIT_OK, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("[simulator] ws://127.0.0.1:")
    assert lines[1].startswith("[bridge] ws://127.0.0.1:") and "(pcmu session audio)" in lines[1]
    assert "[call] started MZsimulated0001" in lines
    assert lines[-1].startswith("[carrier] heard: You said: what time is it (")
    assert result.stderr == ""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_bridge_serves_calls_until_signalled(sig: signal.Signals, tmp_path: Path) -> None:
    proc = subprocess.Popen(cli_command(["bridge", "--simulator"]), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=clean_env(tmp_path))
    try:
        reader = LineReader(proc)  # type: ignore[arg-type]
        url = reader.wait_for("[bridge] ws://").split()[1]

        async def call() -> str:
            async with SimulatedCarrier.dial(url) as carrier:
                carrier.say("hello bridge")
                return await carrier.hear_answer(30)

        assert asyncio.run(call()) == "You said: hello bridge"
        reader.wait_for("[call] started")
        proc.send_signal(sig)
        assert proc.wait(timeout=RUN_TIMEOUT_S) == EXIT_OK
        assert reader.read_to_end()[-1] == "[bridge] stopped"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=RUN_TIMEOUT_S)
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()


def test_bridge_without_a_key_exits_2(tmp_path: Path) -> None:
    result = run_cli(["bridge", "--url", "wss://example.invalid/v1/realtime"],
                     clean_env(tmp_path))
    assert result.returncode == EXIT_USAGE
    assert result.stderr.startswith("realtime-actors bridge: error: ")
    assert "OPENAI_API_KEY" in result.stderr
