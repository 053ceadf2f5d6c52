"""A voice pipeline whose answers come from a realtime agent (with a function tool): each
spoken question is transcribed, answered by the agent in one text-mode session that remembers
earlier turns, and spoken back."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from _audio import save_wav, spoken
from _common import LiveGuard, connect, run_example, say, summary
from _voice import check_turns, play, start_pipeline

import realtime_actors as rt
import voice_actors as va
from realtime_actors.simulator import ReplyContext, Scenario

QUESTIONS = ["Hello, my name is Ana.", "Please check order 42 for me."]
GREETING = "Welcome to the order desk."
_ORDERS = {"42": "shipped yesterday", "7": "being packed"}
tool_calls: list[str] = []


@rt.function_tool
def check_order(order_id: str) -> str:
    """Look up the status of an order.

    Args:
        order_id: The order number, e.g. 42.
    """
    status = _ORDERS.get(order_id.strip(), "unknown")
    tool_calls.append(order_id)
    say(f"[tool] check_order({order_id!r}) -> {status}")
    return status


def scripted_arguments(tool_name: str, user_text: str) -> Mapping[str, Any]:
    """Offline only: the order number the simulated model passes to the tool."""
    numbers = re.findall(r"\d+", user_text)
    return {"order_id": numbers[0] if numbers else "0"}


def scripted_reply(ctx: ReplyContext) -> str:
    """Offline only: the simulated model's answer, using what it remembers of the caller."""
    text = (f"Order status: {ctx.last_tool_output}." if ctx.last_tool_output is not None
            else f"You said: {ctx.user_text}")
    names = [m.group(1) for t in ctx.history for m in [re.search(r"my name is (\w+)", t)] if m]
    return f"{text} Anything else, {names[-1]}?" if names else text


class PrintingAgentWorkflow(va.AgentWorkflow):
    """An AgentWorkflow that prints what it heard and what the agent answered."""

    def run(self, transcript: str) -> Iterator[str]:
        """Answer through the agent, printing both sides."""
        say(f"[user] {transcript}")
        reply: list[str] = []
        for piece in super().run(transcript):
            reply.append(piece)
            yield piece
        say(f"[agent] OrderDesk: {''.join(reply)}")


def main(args: argparse.Namespace) -> int:
    """Two spoken questions on one pipeline: the agent keeps the conversation."""
    desk = rt.agent("OrderDesk", tools=[check_order],
                    instructions="You answer questions about orders; use check_order for any "
                    "order number. Reply in one short sentence.")
    with connect(args, Scenario(reply=scripted_reply, tool_arguments=scripted_arguments)) as target:
        guard = LiveGuard(target)
        workflow = PrintingAgentWorkflow(desk, model_config=target.model_config,
                                         turn_timeout_s=target.timeout_s, greeting=GREETING)
        turns: list[bytes] = []
        with start_pipeline(workflow, target, "voice_with_agent") as pipeline:
            for text in QUESTIONS:
                pcm = spoken(text, target, guard)
                result = pipeline.run(va.AudioInput.from_pcm(pcm))
                turns += play(result, guard, target.timeout_s * 2, first_turn=len(turns) + 1)
    check_turns(turns, len(QUESTIONS) + 1)
    for number, pcm in enumerate(turns, start=1):
        save_wav(args.out, f"voice_with_agent_turn{number}.wav", pcm)
    say(summary(turns=len(turns), tools=len(tool_calls),
                  audio_ms=sum(len(t) for t in turns) // 48))
    return 0


if __name__ == "__main__":
    sys.exit(run_example(main, __doc__ or ""))
