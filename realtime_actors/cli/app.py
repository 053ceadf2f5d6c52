"""The ``realtime-actors`` parser and entry point.

Subcommands, one module each: ``simulator`` (serve the embedded simulator with faults),
``probe`` (the diagnostics probe), ``chat`` (an interactive text session) and ``bridge``
(the telephony bridge). Exit status: 0 success, 1 the command ran and failed, 2 bad usage or
configuration.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from ..version import __version__
from . import bridge_cmd, chat, probe, simulator_cmd
from .common import CliError

PROG = "realtime-actors"


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``realtime-actors`` with every subcommand."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Actor-model framework for the OpenAI Realtime API: serve the simulator, "
        "probe the service, or chat with an agent.",
        epilog="Run 'realtime-actors <command> --help' for the options of a command. "
        "Exit status: 0 success, 1 failure, 2 bad usage or configuration.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="command", required=True)
    simulator_cmd.register(subparsers)
    probe.register(subparsers)
    chat.register(subparsers)
    bridge_cmd.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (argparse exits 2 on bad usage)."""
    args = build_parser().parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.func  # set by each subcommand
    try:
        return command(args)
    except CliError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr, flush=True)
        return exc.exit_code
