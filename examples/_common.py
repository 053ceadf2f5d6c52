"""Shared set-up for the examples: the embedded simulator by default, the real service with
``--live`` (an API key is then resolved from the environment)."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path

import realtime_actors as rt
from realtime_actors.simulator import Scenario, Simulator


def parse_args(description: str) -> argparse.Namespace:
    """Common command-line options of every example."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--live", action="store_true",
                        help="talk to api.openai.com instead of the embedded simulator")
    parser.add_argument("--out", type=Path, default=Path("demo-output"),
                        help="folder for audio files the example writes")
    return parser.parse_args()


@contextlib.contextmanager
def model_config(live: bool, scenario: Scenario | None = None) -> Iterator[rt.ModelConfig]:
    """A ModelConfig for the simulator (started in-process) or for the real service."""
    if live:
        yield rt.ModelConfig()
        return
    with Simulator(scenario) as sim:
        print(f"[simulator] {sim.ws_url}")
        yield rt.ModelConfig(url=sim.ws_url, api_key="sk-simulator-demo-key")
