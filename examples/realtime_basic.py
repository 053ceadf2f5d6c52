"""A text conversation with a realtime agent: two turns, each reply printed when it ends."""

from __future__ import annotations

import argparse
import sys

from _common import LiveGuard, connect, run_example, say, summary
from _events import EventPrinter, run_session_turns

import realtime_actors as rt

QUESTIONS = ["Hello from realtime-actors!", "What can you do?"]


def main(args: argparse.Namespace) -> int:
    """Run two text turns with one agent and print the summary."""
    assistant = rt.agent("Assistant", instructions="You are concise and helpful.")
    config = rt.RunConfig(
        model_settings=rt.SessionModelSettings(output_modalities=["text"]), raw_events=False
    )
    printer = EventPrinter()
    with connect(args) as target:
        guard = LiveGuard(target)
        run_session_turns(
            lambda: rt.run(assistant, config=config, model_config=target.model_config),
            QUESTIONS, printer, guard, target.timeout_s,
        )
    say(summary(turns=printer.turns, responses=printer.responses, tools=printer.tools))
    return 0 if printer.turns == len(QUESTIONS) else 1


if __name__ == "__main__":
    sys.exit(run_example(main, __doc__ or ""))
