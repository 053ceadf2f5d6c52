"""Handoffs: a greeter agent hands technical questions over to a support agent."""

from __future__ import annotations

import argparse
import sys

from _common import LiveGuard, connect, run_example, say, summary
from _events import EventPrinter, run_turn

import realtime_actors as rt
from realtime_actors.simulator import ReplyContext, Scenario

GREETER_INSTRUCTIONS = (
    "You are the Greeter. Welcome the caller briefly. Route every technical question to "
    "TechSupport with the transfer tool."
)
SUPPORT_INSTRUCTIONS = "You are TechSupport. Handle technical troubleshooting, one step at a time."
QUESTIONS = [
    "Hi, I'm Sam.",
    "My internet keeps dropping, please transfer me to tech support.",
    "What should I try first?",
]


def scripted_reply(ctx: ReplyContext) -> str:
    """Offline only: what the simulated model says as each agent."""
    if ctx.instructions.startswith("You are TechSupport"):
        if ctx.last_tool_output is not None:
            return "TechSupport here. I can help with your connection."
        return "Restart your router, then check that the cable is plugged in."
    return "Welcome! How can I help you today?"


def main(args: argparse.Namespace) -> int:
    """Three turns; the second one is handed over to TechSupport."""
    support = rt.agent("TechSupport", instructions=SUPPORT_INSTRUCTIONS,
                       handoff_description="Technical troubleshooting.")
    greeter = rt.agent("Greeter", instructions=GREETER_INSTRUCTIONS, handoffs=[support])
    config = rt.RunConfig(
        model_settings=rt.SessionModelSettings(output_modalities=["text"]), raw_events=False
    )
    printer = EventPrinter()
    with connect(args, Scenario(reply=scripted_reply)) as target:
        guard = LiveGuard(target)
        try:
            session = rt.run(greeter, config=config, model_config=target.model_config)
        except rt.RealtimeError as err:
            raise guard.fail(err, "the session could not start") from err
        with session:
            for text in QUESTIONS:
                run_turn(session, text, printer, guard, target.timeout_s)
                printer.say(f"[session] current agent: {session.current_agent().name}")
            final_agent = session.current_agent().name
    say(summary(turns=printer.turns, responses=printer.responses, tools=printer.tools,
                  handoffs=printer.handoffs, agent=final_agent))
    return 0 if printer.turns == len(QUESTIONS) and printer.handoffs >= 1 else 1


if __name__ == "__main__":
    sys.exit(run_example(main, __doc__ or ""))
