"""Function tools: the agent calls typed Python functions and answers with their results."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping
from typing import Any

from _common import LiveGuard, connect, run_example, say, summary
from _events import EventPrinter, run_session_turns

import realtime_actors as rt
from realtime_actors.simulator import Scenario

QUESTIONS = [
    "Please get weather for Paris.",
    "Now convert temperature: 21 degrees Celsius, in Fahrenheit please.",
]
_FORECASTS = {"paris": "sunny, 21 C", "oslo": "snow, -3 C", "lima": "cloudy, 18 C"}


@rt.function_tool
def get_weather(city: str) -> str:
    """Get the current weather of a city.

    Args:
        city: The city name, e.g. Paris.
    """
    return _FORECASTS.get(city.strip().lower(), f"no forecast for {city}")


@rt.function_tool
def convert_temperature(celsius: float) -> dict[str, float]:
    """Convert a temperature from degrees Celsius to degrees Fahrenheit.

    Args:
        celsius: The temperature in degrees Celsius.
    """
    return {"celsius": celsius, "fahrenheit": round(celsius * 9 / 5 + 32, 1)}


def scripted_arguments(tool_name: str, user_text: str) -> Mapping[str, Any]:
    """Offline only: the arguments the simulated model passes to each tool."""
    if tool_name == "get_weather":
        cities = re.findall(r"\b([A-Z][a-z]+)\b", user_text)
        return {"city": cities[-1] if cities else "Paris"}
    numbers = re.findall(r"-?\d+(?:\.\d+)?", user_text)
    return {"celsius": float(numbers[0]) if numbers else 0.0}


def main(args: argparse.Namespace) -> int:
    """Ask two questions that need tools and print each call and answer."""
    assistant = rt.agent(
        "WeatherBot",
        instructions="Answer with the tools: get_weather for weather, convert_temperature to "
        "convert Celsius to Fahrenheit. Be brief.",
        tools=[get_weather, convert_temperature],
    )
    config = rt.RunConfig(
        model_settings=rt.SessionModelSettings(output_modalities=["text"]), raw_events=False
    )
    printer = EventPrinter()
    with connect(args, Scenario(tool_arguments=scripted_arguments)) as target:
        guard = LiveGuard(target)
        run_session_turns(
            lambda: rt.run(assistant, config=config, model_config=target.model_config),
            QUESTIONS, printer, guard, target.timeout_s,
        )
    say(summary(turns=printer.turns, responses=printer.responses, tools=printer.tools))
    return 0 if printer.turns == len(QUESTIONS) and printer.tools >= 1 else 1


if __name__ == "__main__":
    sys.exit(run_example(main, __doc__ or ""))
