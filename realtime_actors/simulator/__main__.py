"""Command line: ``python -m realtime_actors.simulator --port 8765`` serves until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import logging
import sys

from .errors import SimulatorError
from .scenario import Scenario
from .simulator import Simulator
from .tool_arguments import ScriptedArguments

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the simulator CLI."""
    parser = argparse.ArgumentParser(
        prog="python -m realtime_actors.simulator",
        description="Serve a scripted OpenAI Realtime API (GA) and audio REST API locally.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="WebSocket port (0: any free)")
    parser.add_argument("--http-port", type=int, default=0, help="REST port (0: any free)")
    parser.add_argument(
        "--pacing", type=float, default=0.0,
        help="output audio pacing: 1.0 real time, 0 as fast as possible",
    )
    parser.add_argument("--api-key", default=None, help="the only accepted bearer key")
    parser.add_argument("--seed", type=int, default=0, help="seed of ids and delta sizes")
    parser.add_argument("--log-level", default="WARNING", help="logging level")
    parser.add_argument(
        "--tool-arguments", metavar="FILE", default=None,
        help='JSON file {"tool_name": {...arguments...}}: the scripted model calls those tools '
        "with these arguments (other tools: filled from their schema and the user's text)",
    )
    return parser


def tool_arguments_from_args(args: argparse.Namespace) -> ScriptedArguments | None:
    """The ``--tool-arguments`` table, or None; raises ``SimulatorError`` for a bad file."""
    if args.tool_arguments is None:
        return None
    return ScriptedArguments.from_json_file(args.tool_arguments)


def _print_urls(sim: Simulator) -> None:
    print(f"realtime: {sim.ws_url}", flush=True)
    print(f"rest: {sim.http_url}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the simulator until SIGINT or SIGTERM; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.pacing < 0:
        print("--pacing must be >= 0", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level.upper())
    try:
        tool_arguments = tool_arguments_from_args(args)
    except SimulatorError as exc:
        print(f"simulator: {exc}", file=sys.stderr)
        return 2
    scenario = Scenario(
        output_pacing=args.pacing,
        api_keys=frozenset({args.api_key}) if args.api_key else None,
        seed=args.seed,
        tool_arguments=tool_arguments,
    )
    sim = Simulator(scenario, host=args.host, port=args.port, http_port=args.http_port)
    try:
        sim.serve(on_ready=_print_urls)
    except (SimulatorError, OSError) as exc:
        print(f"simulator: cannot serve: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
