"""The simulator's command line, run as a subprocess."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from tests.cli.support import reaped
from tests.simulator.realtime_client import connect_session


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_urls_serves_and_exits_zero_on_signal(sig: signal.Signals) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "realtime_actors.simulator", "--host", "127.0.0.1", "--port", "0",
         "--pacing", "0", "--api-key", "sk-cli"],
        stdout=subprocess.PIPE,
        text=True,
    )
    with reaped(proc):
        assert proc.stdout is not None
        ws_line = proc.stdout.readline().strip()
        rest_line = proc.stdout.readline().strip()
        assert ws_line.startswith("realtime: ws://127.0.0.1:")
        assert ws_line.endswith("/v1/realtime")
        assert rest_line.startswith("rest: http://127.0.0.1:") and rest_line.endswith("/v1")
        url = ws_line.split(" ", 1)[1]
        with connect_session(url, key="sk-cli") as client:
            client.configure(instructions="cli")
        proc.send_signal(sig)
        assert proc.wait(timeout=15) == 0
