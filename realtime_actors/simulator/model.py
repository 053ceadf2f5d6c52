"""The scripted model: decides between a reply and a function call (sans-I/O)."""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np

from . import speech_codec
from .conversation import StoredItem, history_texts, latest_user
from .responses import ModelOutput
from .scenario import ReplyContext, Scenario
from .tool_arguments import schema_arguments

logger = logging.getLogger(__name__)

INAUDIBLE = "(inaudible)"
TRANSFER_PREFIX = "transfer_to_"


def transcribe(scenario: Scenario, pcm24k: np.ndarray, turn_index: int) -> str:
    """Transcript of an audio turn: the scenario's function, else the speech codec."""
    if scenario.transcript is not None:
        return scenario.transcript(pcm24k.astype("<i2").tobytes(), turn_index)
    text = speech_codec.decode(pcm24k.astype(np.int16))
    return text if text else INAUDIBLE


def tool_named_in(text: str, tool_names: tuple[str, ...]) -> str | None:
    """The first declared tool the user's text names, or None.

    A tool is named by its name, or its name with ``_`` as spaces (case-insensitive); a
    ``transfer_to_<x>`` tool also by ``<x>`` with ``_`` as spaces or removed, or by the word
    "transfer" together with that agent.
    """
    lowered = text.lower()
    for name in tool_names:
        low = name.lower()
        if low in lowered or low.replace("_", " ") in lowered:
            return name
        if low.startswith(TRANSFER_PREFIX):
            agent = low[len(TRANSFER_PREFIX) :]
            variants = {agent.replace("_", " "), agent.replace("_", ""), agent}
            if any(v and v in lowered for v in variants):
                return name
            if "transfer" in lowered and any(p and p in lowered for p in agent.split("_")):
                return name
    return None


def _function_names(tools: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(t["name"] for t in tools if t.get("type", "function") == "function")


def _arguments(
    scenario: Scenario, tools: list[dict[str, Any]], name: str, user_text: str
) -> dict[str, Any]:
    scripted = scenario.tool_arguments(name, user_text) if scenario.tool_arguments else None
    if scripted is not None:
        return dict(scripted)
    schema = next((t.get("parameters") for t in tools if t.get("name") == name), None)
    return schema_arguments(schema, user_text)


def decide(
    scenario: Scenario,
    items: list[StoredItem],
    *,
    instructions: str,
    tools: list[dict[str, Any]],
    tool_choice: Any,
) -> ModelOutput:
    """What the model says next given the conversation items (oldest first).

    Raises whatever the scenario's callables raise; the caller fails the response.
    """
    tool_names = _function_names(tools)
    last = items[-1] if items else None
    user = latest_user(items)
    user_text = (user.text or "") if user is not None else ""
    earlier = items[: items.index(user)] if user is not None else items
    last_tool_output: str | None = None
    if last is not None and last.item.get("type") == "function_call_output":
        last_tool_output = str(last.item.get("output", ""))
    elif tool_names and tool_choice != "none":
        forced = tool_choice.get("name") if isinstance(tool_choice, dict) else None
        name = forced if forced in tool_names else tool_named_in(user_text, tool_names)
        if name is None and tool_choice == "required":
            name = tool_names[0]
        if name is not None:
            arguments = _arguments(scenario, tools, name, user_text)
            return ModelOutput(call_name=name, call_arguments=json.dumps(arguments))
    ctx = ReplyContext(
        user_text=user_text,
        instructions=instructions,
        tool_names=tool_names,
        history=history_texts(earlier),
        last_tool_output=last_tool_output,
    )
    return ModelOutput(text=scenario.reply(ctx))
