"""``realtime-actors bridge``: serve the telephony bridge (Twilio Media Streams) for a session.

``--simulator`` runs the embedded simulator as the model (offline, no key). ``--call TEXT``
dials the bridge once with the simulated carrier, says TEXT, prints what the caller heard and
exits; without it the bridge serves until SIGINT or SIGTERM (exit status 0).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import Any, TextIO

import attrs

from ..errors import ConfigError
from ..session.events import AudioInterruptedEvent, HandoffEvent, SessionEvent
from ..session.run_config import ModelConfig
from ..simulator import Simulator
from ..telephony import (
    BridgeConfig,
    BridgeServer,
    CallEvent,
    CallStartedEvent,
    DtmfEvent,
    SimulatedCarrier,
    TelephonyBridge,
)
from ..telephony.codec import SESSION_AUDIO_VALUES
from ..telephony.server import DEFAULT_PATH
from .chat_demo import build_agent
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

NAME = "bridge"
SIMULATOR_KEY = "sk-realtime-actors-bridge-simulator"
"""The key sent to the embedded simulator (it accepts any key)."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]
             ) -> argparse.ArgumentParser:
    """Add the ``bridge`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        NAME,
        help="serve a telephony bridge (Twilio Media Streams) to a realtime agent",
        description="Serve a WebSocket for carrier media streams (Twilio Media Streams): "
        "each call is bridged to a new realtime session. Prints its ws:// URL, then serves "
        "until SIGINT or SIGTERM. --call dials it once with a simulated carrier instead. "
        "Exit status: 0 ok, 1 the simulated call failed, 2 bad options or no API key.",
    )
    add_connection_options(parser)
    parser.add_argument("--simulator", action="store_true",
                        help="use the embedded simulator as the model (offline; --url and "
                        "the API key are not used)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free)")
    parser.add_argument("--path", default=DEFAULT_PATH, help="WebSocket path of the stream")
    parser.add_argument("--session-audio", choices=SESSION_AUDIO_VALUES, default="pcm16",
                        help="pcm16: convert μ-law 8 kHz to the session's PCM16 24 kHz; "
                        "pcmu: set the session to audio/pcmu end to end (default pcm16)")
    parser.add_argument("--instructions", default=None, help="instructions of the agent")
    parser.add_argument("--demo-tools", action="store_true",
                        help="add a get_weather tool and a handoff to a Forecaster agent")
    parser.add_argument("--call", metavar="TEXT", default=None,
                        help="dial the bridge with the simulated carrier, say TEXT, print "
                        "what the caller heard, hang up and exit")
    parser.add_argument("--call-timeout", type=positive_float, default=30.0,
                        metavar="SECONDS", help="how long --call waits for the answer")
    add_log_level(parser)
    parser.set_defaults(func=run_bridge)
    return parser


def _printer(out: TextIO) -> Any:
    def show(_bridge: TelephonyBridge, event: CallEvent | SessionEvent) -> None:
        if isinstance(event, CallStartedEvent):
            out.write(f"[call] started {event.stream_sid}\n")
        elif isinstance(event, DtmfEvent):
            out.write(f"[call] caller pressed {event.digit}\n")
        elif isinstance(event, AudioInterruptedEvent):
            out.write(f"[call] interrupted at {event.audio_end_ms} ms heard; clear sent\n")
        elif isinstance(event, HandoffEvent):
            out.write(f"[call] handoff {event.from_agent.name} -> {event.to_agent.name}\n")
        else:
            return
        out.flush()
    return show


async def _serve(args: argparse.Namespace, model_config: ModelConfig, out: TextIO) -> int:
    config = BridgeConfig(session_audio=args.session_audio)
    agent = build_agent(args.instructions, args.demo_tools)
    server = BridgeServer(agent, model_config=model_config, config=config,
                          on_event=_printer(out), host=args.host, port=args.port,
                          path=args.path)
    try:
        await server.__aenter__()
    except OSError as exc:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}",
                       exit_code=EXIT_FAILURE) from None
    try:
        out.write(f"[bridge] {server.url} ({args.session_audio} session audio)\n")
        out.flush()
        if args.call is not None:
            return await _call(server.url, args.call, args.call_timeout, out)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
        out.write("[bridge] stopped\n")
        return EXIT_OK
    finally:
        await server.__aexit__(None, None, None)


async def _call(url: str, text: str, timeout: float, out: TextIO) -> int:
    async with SimulatedCarrier.dial(url) as call:
        out.write(f"[carrier] says: {text}\n")
        out.flush()
        call.say(text)
        try:
            heard = await call.hear_answer(timeout)
        except TimeoutError:
            out.write(f"[carrier] heard no complete answer within {timeout:g}s\n")
            return EXIT_FAILURE
    out.write(f"[carrier] heard: {heard} ({len(call.marks_played)} marks played)\n")
    return EXIT_OK


def run_bridge(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Serve the bridge (or place one simulated call with ``--call``); the exit status."""
    setup_logging(args.log_level)
    out = out if out is not None else sys.stdout
    if args.simulator:
        with Simulator() as sim:
            out.write(f"[simulator] {sim.ws_url}\n")
            config = ModelConfig(url=sim.ws_url, model=args.model, api_key=SIMULATOR_KEY)
            return asyncio.run(_serve(args, config, out))
    try:
        config = ModelConfig(url=args.url, model=args.model)
        config.build_url()
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    key = require_api_key(args.url, NAME)
    return asyncio.run(_serve(args, attrs.evolve(config, api_key=key), out))
