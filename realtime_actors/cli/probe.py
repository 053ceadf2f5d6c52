"""``realtime-actors probe``: one minimal text turn over a raw WebSocket, to tell whether the
service (or a simulator) answers, and why not when it does not."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Mapping
from typing import Any

import attrs

from ..diagnostics import format_probe_failure, probe_text_turn, skip_reason_for_error
from ..diagnostics.types import ProbeProof
from ..errors import ConfigError, RealtimeError
from ..session.run_config import ModelConfig
from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    CliError,
    add_connection_options,
    add_log_level,
    positive_float,
    require_api_key,
    setup_logging,
)

logger = logging.getLogger(__name__)

NAME = "probe"
DEFAULT_TIMEOUT_S = 15.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]
             ) -> argparse.ArgumentParser:
    """Add the ``probe`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        NAME,
        help="check that the Realtime API answers one minimal text turn",
        description="Open a Realtime WebSocket, wait for session.created, ask for one text "
        "response and wait for response.done. Exit status: 0 the probe passed, 1 it failed "
        "(the report and any skip reason are printed), 2 bad options or no API key.",
    )
    add_connection_options(parser)
    parser.add_argument("--timeout", type=positive_float, default=DEFAULT_TIMEOUT_S,
                        metavar="SECONDS",
                        help=f"time allowed for each step (default {DEFAULT_TIMEOUT_S:g})")
    parser.add_argument("--json", action="store_true",
                        help="print the proof as one JSON object instead of a text line")
    add_log_level(parser, default="ERROR")  # the report line already tells the outcome
    parser.set_defaults(func=run)
    return parser


def _jsonable(value: Any) -> Any:
    if attrs.has(type(value)):
        return {k: _jsonable(v) for k, v in attrs.asdict(value, recurse=False).items()}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def proof_to_dict(proof: ProbeProof) -> dict[str, Any]:
    """The proof as a JSON-safe dict, with ``skip_reason`` added."""
    data = _jsonable(proof)
    if not isinstance(data, dict):
        data = {name: _jsonable(getattr(proof, name, None))
                for name in ("ok", "model", "session_id", "event_types", "error")}
    data["skip_reason"] = _skip_reason(proof)
    return data


def _skip_reason(proof: ProbeProof) -> str | None:
    return None if proof.error is None else skip_reason_for_error(proof.error)


def run(args: argparse.Namespace) -> int:
    """Run the probe and print its outcome; returns the exit status."""
    setup_logging(args.log_level)
    try:
        model_config = ModelConfig(url=args.url, model=args.model,
                                   connect_timeout_s=args.timeout)
        model_config.build_url()
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    key = require_api_key(args.url, "probe")
    model_config = attrs.evolve(model_config, api_key=key)
    try:
        proof = probe_text_turn(model_config=model_config, timeout=args.timeout)
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    except (RealtimeError, OSError, TimeoutError) as exc:
        raise CliError(f"probe failed: {type(exc).__name__}: {exc}",
                       exit_code=EXIT_FAILURE) from None
    if args.json:
        print(json.dumps(proof_to_dict(proof), sort_keys=True), flush=True)
    else:
        print(format_probe_failure(proof), flush=True)  # says "passed" for a passed probe
        reason = _skip_reason(proof)
        if reason is not None:
            print(f"skip reason: {reason}", flush=True)
    return EXIT_OK if proof.ok else EXIT_FAILURE
