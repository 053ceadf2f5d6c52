"""``realtime-actors chat``: an interactive text session in the terminal.

Each line read from stdin is sent as a user message; the assistant's text is printed as it
streams, tool calls and handoffs as they happen. End of input, ``/quit``, SIGINT (Ctrl-C) or
SIGTERM closes the session (and stops the embedded simulator) and exits 0. Works with stdin
piped (each line waits for the previous answer).
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from typing import TextIO

import attrs

from ..errors import ConfigError
from ..protocol.session_config import SessionModelSettings
from ..runtime.stop_signals import StopRequested, StopSignals, wait_event
from ..session.handle import Session, SessionClosedError, run
from ..session.run_config import ModelConfig, RunConfig
from ..simulator import Scenario, Simulator
from .chat_demo import build_agent, demo_tool_arguments
from .chat_input import QUIT_COMMANDS, InputFeed, input_lines, local_command
from .chat_view import ChatView
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

__all__ = ["QUIT_COMMANDS", "ChatLoop", "input_lines", "register", "run_chat"]

logger = logging.getLogger(__name__)

NAME = "chat"
SIMULATOR_KEY = "sk-realtime-actors-chat-simulator"
"""The key sent to the embedded simulator (it accepts any key)."""
DEFAULT_TURN_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]
             ) -> argparse.ArgumentParser:
    """Add the ``chat`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        NAME,
        help="chat with a realtime agent in the terminal (text)",
        description="An interactive text session: type a message per line; the answer "
        "streams back, with tool calls and handoffs shown as they happen. End of input, "
        "/quit, Ctrl-C or SIGTERM ends the session. Exit status: 0 ended by you (or a "
        "signal), 1 the session ended by itself, 2 bad options or no API key.",
    )
    add_connection_options(parser)
    parser.add_argument("--instructions", default=None,
                        help="instructions of the assistant agent")
    parser.add_argument("--simulator", action="store_true",
                        help="start the embedded simulator in this process and talk to it "
                        "(offline; --url and the API key are not used)")
    parser.add_argument("--demo-tools", action="store_true",
                        help='add a get_weather tool and a handoff to a Forecaster agent (with '
                        '--simulator: say \'get weather for "Rome"\' or \'transfer me to the '
                        "forecaster')")
    parser.add_argument("--turn-timeout", type=positive_float, default=DEFAULT_TURN_TIMEOUT_S,
                        metavar="SECONDS",
                        help="give up waiting for an answer after this long "
                        f"(default {DEFAULT_TURN_TIMEOUT_S:g})")
    add_log_level(parser, default="ERROR")  # connection trouble is shown as chat lines
    parser.set_defaults(func=run_chat)
    return parser


class ChatLoop:
    """One chat: a thread showing the session's events, and the input loop sending lines."""

    def __init__(self, session: Session, view: ChatView, turn_timeout_s: float) -> None:
        self.session = session
        self.view = view
        self.turn_timeout_s = turn_timeout_s
        self.turn_done = threading.Event()
        self.connected_or_ended = threading.Event()
        # daemon: a session that never reports its end must not keep the process alive
        self._thread = threading.Thread(target=self._show_events, name="chat-events",
                                        daemon=True)

    def _show_events(self) -> None:
        try:
            for event in self.session.events():
                if self.view.handle(event):
                    self.turn_done.set()
                if self.view.connected or self.view.ended_reason is not None:
                    self.connected_or_ended.set()
        finally:
            self.turn_done.set()
            self.connected_or_ended.set()

    def start(self, connect_timeout_s: float) -> bool:
        """Start showing events and wait for the connection; False if it did not open."""
        self._thread.start()
        wait_event(self.connected_or_ended, connect_timeout_s)
        return self.view.connected and self.view.ended_reason is None

    def send(self, text: str) -> bool:
        """Send one user line and wait for the end of the turn; False once the session
        has ended."""
        self.turn_done.clear()
        try:
            self.session.send_message(text)
        except SessionClosedError:
            return False
        if not wait_event(self.turn_done, self.turn_timeout_s):
            self.view.line(f"[chat] no complete answer within {self.turn_timeout_s:g}s")
        return self.view.ended_reason is None

    def close(self) -> None:
        """Close the session and wait for the last events to be shown."""
        self.session.close(timeout=STOP_TIMEOUT_S)
        self._thread.join(STOP_TIMEOUT_S)
        if self._thread.is_alive():
            logger.error("the chat event thread did not finish within %.0fs", STOP_TIMEOUT_S)


def _chat(model_config: ModelConfig, args: argparse.Namespace, stdin: TextIO, out: TextIO,
          signals: StopSignals) -> int:
    run_config = RunConfig(
        model_settings=SessionModelSettings(output_modalities=["text"]), raw_events=False,
        retry_first_connection=False)  # a first connection that fails: one line, at once
    first_agent = build_agent(args.instructions, args.demo_tools)
    try:
        session = run(first_agent, config=run_config, model_config=model_config)
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    view = ChatView(out)
    loop = ChatLoop(session, view, args.turn_timeout)
    feed = InputFeed(stdin, out, "you> ")
    ended_by_itself = False
    try:
        with signals.interruptible():
            if loop.start(model_config.connect_timeout_s + STOP_TIMEOUT_S):
                view.line(f"[chat] connected to {model_config.url} as {first_agent.name}; "
                          "type /help for commands, /quit or end the input to leave")
                while (text := feed.next_line()) is not None:
                    shown, sent = local_command(text)
                    if shown is not None:
                        view.line(shown)
                    if sent is not None and not loop.send(sent):
                        break
            elif view.ended_reason is None:
                view.line("[chat] the connection did not open in time")
                ended_by_itself = True
            elif view.connect_failure is not None:
                view.line(_with_hint(view.connect_failure, model_config.url))
    except StopRequested as exc:
        view.line(f"[chat] interrupted ({exc.signum.name})")
    except KeyboardInterrupt:
        view.line("[chat] interrupted")
    finally:
        # signals from here on are held by `signals`: closing is never cut short
        ended_by_itself = ended_by_itself or view.ended_reason is not None
        feed.close()
        loop.close()
    if view.connected:
        view.line("[chat] session closed")
    return EXIT_FAILURE if ended_by_itself else EXIT_OK


def _with_hint(failure: str, url: str) -> str:
    """The failure line of a first connection, with what to check."""
    if " http_401" in failure or " http_403" in failure:
        return f"{failure} (check the API key: OPENAI_API_KEY or CODEX_API_KEY)"
    if " connect_failed" in failure:
        where = url.partition("?")[0]
        return f"{failure} (is {where} reachable?)"
    return failure


def run_chat(args: argparse.Namespace, stdin: TextIO | None = None,
             out: TextIO | None = None) -> int:
    """Run the chat until end of input, ``/quit``, SIGINT or SIGTERM; returns the exit
    status (0 when ended by the user or a signal, 1 when the session ended by itself)."""
    setup_logging(args.log_level)
    stdin = stdin if stdin is not None else sys.stdin
    out = out if out is not None else sys.stdout
    with StopSignals() as signals:
        if args.simulator:
            scenario = Scenario(tool_arguments=demo_tool_arguments, model=args.model)
            with Simulator(scenario) as sim:
                out.write(f"[simulator] {sim.ws_url}\n")
                config = ModelConfig(url=sim.ws_url, model=args.model, api_key=SIMULATOR_KEY)
                return _chat(config, args, stdin, out, signals)
        try:
            config = ModelConfig(url=args.url, model=args.model)
            config.build_url()
        except ConfigError as exc:
            raise CliError(str(exc)) from None
        key = require_api_key(args.url, NAME)
        return _chat(attrs.evolve(config, api_key=key), args, stdin, out, signals)
