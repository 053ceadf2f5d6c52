"""The agents of ``realtime-actors chat``: a plain assistant, or (``--demo-tools``) one with a
``get_weather`` tool and a handoff to a forecaster, so tool calls and handoffs show up.

With the embedded simulator, the scripted model calls a tool when the user's text names it:
``get weather for "Paris"`` calls ``get_weather``, ``transfer me to the forecaster`` hands
off. :func:`demo_tool_arguments` gives the simulator the arguments ``get_weather`` expects.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..agents.agent import RealtimeAgent, agent, handoff
from ..tools.function_tool import function_tool

DEFAULT_INSTRUCTIONS = "You are a concise, friendly assistant. Answer in one or two sentences."
ASSISTANT_NAME = "Assistant"
FORECASTER_NAME = "Forecaster"
DEFAULT_CITY = "Paris"
_CONDITIONS = ("sunny", "cloudy", "light rain", "windy", "clear skies")


@function_tool
def get_weather(city: str) -> str:
    """Get the current weather in a city (demo data, the same answer every time).

    Args:
        city: Name of the city, e.g. "Paris".
    """
    name = city.strip() or DEFAULT_CITY
    score = sum(map(ord, name.lower()))
    return f"{_CONDITIONS[score % len(_CONDITIONS)]}, {10 + score % 20} C in {name}"


def build_agent(instructions: str | None, demo_tools: bool) -> RealtimeAgent:
    """The agent the chat starts with."""
    text = instructions if instructions is not None else DEFAULT_INSTRUCTIONS
    if not demo_tools:
        return agent(ASSISTANT_NAME, instructions=text)
    agents: dict[str, RealtimeAgent] = {}  # the lazy handoff back finds the assistant here
    forecaster = agent(
        FORECASTER_NAME,
        instructions="You are a weather forecaster. Use get_weather for any city, then "
        "describe the weather in one sentence. Hand back to the assistant for anything else.",
        tools=[get_weather],
        handoffs=[handoff(lambda: agents[ASSISTANT_NAME], tool_name="transfer_to_assistant",
                          tool_description="Hand back to the general assistant.")],
        handoff_description="Weather forecasts for any city.",
    )
    assistant = agent(
        ASSISTANT_NAME,
        instructions=f"{text} Use get_weather for current weather; transfer to the "
        "Forecaster for forecasts.",
        tools=[get_weather],
        handoffs=[forecaster],
    )
    agents[ASSISTANT_NAME] = assistant
    return assistant


def demo_tool_arguments(tool_name: str, user_text: str) -> Mapping[str, Any]:
    """Arguments of the simulator's scripted call: ``get_weather`` gets the first quoted
    word, else the capitalised word after "in"/"for", else Paris; other tools get none."""
    if tool_name != get_weather.name:
        return {}
    quoted = re.findall(r'"([^"]+)"', user_text)
    if quoted:
        return {"city": quoted[0]}
    named = re.search(r"\b(?:in|for)\s+([A-Z][\w-]*)", user_text)
    return {"city": named.group(1) if named else DEFAULT_CITY}
