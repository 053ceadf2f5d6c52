"""``realtime-actors simulator``: serve the embedded simulator with scenario and fault options.

The base options (host, ports, pacing, API key, seed, log level) are those of
``python -m realtime_actors.simulator``, taken from its parser; this command adds the fault
options of :class:`~realtime_actors.simulator.FaultPlan` and the session lifetime.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

import attrs

from ..simulator import FaultPlan, Scenario, Simulator
from ..simulator.__main__ import build_parser as simulator_base_parser
from ..simulator.__main__ import tool_arguments_from_args
from ..simulator.errors import SimulatorError
from ..simulator.scenario import FAILURE_CODES
from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    CliError,
    non_negative_float,
    positive_float,
    positive_int,
    setup_logging,
)

logger = logging.getLogger(__name__)

NAME = "simulator"
HANDSHAKE_STATUSES = range(300, 600)
CLOSE_CODES = range(1000, 5000)


def _in_range(allowed: range, wanted: str) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
        if value not in allowed:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    parse.__name__ = wanted
    return parse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]
             ) -> argparse.ArgumentParser:
    """Add the ``simulator`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        NAME,
        parents=[simulator_base_parser()],
        add_help=False,  # the base parser brings -h/--help
        help="serve the embedded Realtime API simulator (offline, scripted model)",
        description="Serve a scripted OpenAI Realtime API (GA) and audio REST API on this "
        "machine, with optional faults. Prints the ws:// and http:// URLs, then serves "
        "until SIGINT or SIGTERM (exit status 0).",
    )
    parser.add_argument("--model", default="gpt-realtime",
                        help="model name the simulator reports (default gpt-realtime)")
    parser.add_argument("--session-seconds", type=positive_float, default=3600.0,
                        help="session lifetime; then session_expired and close 1001")
    faults = parser.add_argument_group("faults (applied to every connection)")
    faults.add_argument("--handshake-status", type=_in_range(HANDSHAKE_STATUSES, "an HTTP "
                        "status 300-599"), metavar="STATUS",
                        help="reject the WebSocket upgrade with this HTTP status (e.g. 401)")
    faults.add_argument("--fail-responses", choices=FAILURE_CODES, metavar="CODE",
                        help=f"fail responses with this error code ({', '.join(FAILURE_CODES)})")
    faults.add_argument("--fail-response-count", type=positive_int, metavar="N",
                        help="fail only the first N responses (with --fail-responses)")
    faults.add_argument("--drop-after-events", type=positive_int, metavar="N",
                        help="drop the TCP connection after N server events")
    faults.add_argument("--drop-mid-response", action="store_true",
                        help="drop the TCP connection after the first output delta")
    faults.add_argument("--close-code", type=_in_range(CLOSE_CODES, "a close code "
                        "1000-4999"), metavar="CODE",
                        help="close the WebSocket with this code (after --close-after-events)")
    faults.add_argument("--close-after-events", type=positive_int, default=1, metavar="N",
                        help="server events before --close-code applies (default 1)")
    faults.add_argument("--expire-after-events", type=positive_int, metavar="N",
                        help="send session_expired and close 1001 after N server events")
    faults.add_argument("--event-delay", type=non_negative_float, default=0.0,
                        metavar="SECONDS", help="sleep before each server event (slow network)")
    parser.set_defaults(func=run)
    return parser


def fault_plan_from_args(args: argparse.Namespace) -> FaultPlan | None:
    """The fault plan the options ask for, or None when they ask for none.

    Raises :class:`CliError` for options that only make sense together.
    """
    if args.fail_response_count is not None and args.fail_responses is None:
        raise CliError("--fail-response-count needs --fail-responses")
    plan = FaultPlan(
        handshake_status=args.handshake_status,
        drop_after_events=args.drop_after_events,
        drop_mid_response=args.drop_mid_response,
        close_code=args.close_code,
        close_after_events=args.close_after_events,
        expire_after_events=args.expire_after_events,
        fail_responses=args.fail_responses,
        fail_response_count=args.fail_response_count,
        event_delay_s=args.event_delay,
    )
    # close_after_events alone injects nothing
    return None if plan == FaultPlan(close_after_events=plan.close_after_events) else plan


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """The simulator's scenario described by the parsed options."""
    if args.pacing < 0:
        raise CliError("--pacing must be >= 0")
    try:
        tool_arguments = tool_arguments_from_args(args)
    except SimulatorError as exc:
        raise CliError(str(exc)) from None
    return Scenario(
        tool_arguments=tool_arguments,
        model=args.model,
        output_pacing=args.pacing,
        api_keys=frozenset({args.api_key}) if args.api_key else None,
        seed=args.seed,
        session_seconds=args.session_seconds,
        faults=fault_plan_from_args(args),
    )


def _describe_faults(plan: FaultPlan | None) -> str:
    if plan is None:
        return "none"
    default = FaultPlan()
    changed = [
        f"{field.name}={getattr(plan, field.name)}"
        for field in attrs.fields(FaultPlan)
        if getattr(plan, field.name) != getattr(default, field.name)
        and (field.name != "close_after_events" or plan.close_code is not None)
    ]
    return ", ".join(changed)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM (see :meth:`Simulator.serve`); returns the exit status
    (0 when stopped by either signal)."""
    scenario = scenario_from_args(args)
    setup_logging(args.log_level)

    def announce(sim: Simulator) -> None:
        print(f"realtime: {sim.ws_url}", flush=True)
        print(f"rest: {sim.http_url}", flush=True)
        print(f"faults: {_describe_faults(scenario.faults_for(0) if scenario.faults else None)}",
              flush=True)

    sim = Simulator(scenario, host=args.host, port=args.port, http_port=args.http_port)
    try:
        reason = sim.serve(on_ready=announce)
    except SimulatorError as exc:  # the WebSocket port: its message names host and port
        raise CliError(str(exc), exit_code=EXIT_FAILURE) from None
    except OSError as exc:  # the REST port
        raise CliError(f"cannot serve REST on {args.host}:{args.http_port}: {exc}",
                       exit_code=EXIT_FAILURE) from None
    print(f"simulator stopped ({reason.name if reason else 'stop'})", flush=True)
    return EXIT_OK
