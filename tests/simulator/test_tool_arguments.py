"""Scripted function-call arguments satisfy the tool's JSON schema (checked by jsonschema)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from realtime_actors.cli import build_parser as cli_parser
from realtime_actors.cli.common import CliError
from realtime_actors.cli.simulator_cmd import scenario_from_args
from realtime_actors.simulator import Scenario, ScriptedArguments, Simulator, schema_arguments
from realtime_actors.simulator.errors import SimulatorError
from tests.cli.support import reaped
from tests.simulator.realtime_client import RtClient, connect_session

WEATHER = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
           "additionalProperties": False}
BOOKING = {
    "type": "object",
    "properties": {
        "guest": {"$ref": "#/$defs/Guest"},
        "nights": {"type": "integer", "minimum": 1, "maximum": 14},
        "budget": {"type": "number"},
        "room": {"type": "string", "enum": ["single", "double", "suite"]},
        "breakfast": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "optional": {"type": "string"},
    },
    "required": ["guest", "nights", "budget", "room", "breakfast", "tags", "note"],
    "additionalProperties": False,
    "$defs": {"Guest": {
        "type": "object",
        "properties": {"name": {"type": "string", "minLength": 2},
                       "address": {"type": "object",
                                   "properties": {"street": {"type": "string"},
                                                  "floor": {"type": ["integer", "null"]}},
                                   "required": ["street", "floor"]}},
        "required": ["name", "address"]}},
}


def _valid(schema: dict[str, Any], value: Any) -> Any:
    jsonschema.Draft202012Validator(schema).validate(value)
    return value


@pytest.mark.parametrize(("text", "city"), [
    ('what is the weather in "New York"?', "New York"),
    ("What is the weather in Rome today?", "Rome"),
    ("weather please", "weather"),
    ("", "unknown"),
])
def test_a_string_parameter_takes_quoted_text_then_a_capitalised_word(text: str,
                                                                       city: str) -> None:
    assert _valid(WEATHER, schema_arguments(WEATHER, text)) == {"city": city}


def test_every_type_of_a_nested_schema_is_filled_and_valid() -> None:
    text = 'Book a suite for "Ada Lovelace" at Baker Street, floor 2, 30 nights, 250.5 dollars'
    args = _valid(BOOKING, schema_arguments(BOOKING, text))
    assert args["guest"]["name"] == "Ada Lovelace"
    assert args["guest"]["address"]["street"] == "Baker"
    assert args["guest"]["address"]["floor"] == 2
    assert (args["nights"], args["budget"]) == (14, 250.5)  # 30 clamped to the maximum
    assert args["room"] == "suite" and args["breakfast"] is True
    assert len(args["tags"]) == 2 and "optional" not in args


def test_first_enum_value_negated_boolean_and_bounds_without_numbers() -> None:
    schema = {"type": "object", "required": ["unit", "alerts", "days", "limit"], "properties": {
        "unit": {"enum": ["celsius", "fahrenheit"]}, "alerts": {"type": "boolean"},
        "days": {"type": "integer", "minimum": 1}, "limit": {"type": "number", "maximum": -2}}}
    args = _valid(schema, schema_arguments(schema, "no alerts please"))
    assert args == {"unit": "celsius", "alerts": False, "days": 1, "limit": -2.0}


def test_no_schema_or_no_required_parameter_gives_empty_arguments() -> None:
    assert schema_arguments(None, "Rome") == {}
    assert schema_arguments({"type": "object", "properties": {}}, "Rome") == {}


def _call_arguments(client: RtClient, text: str) -> dict[str, Any]:
    client.user_text(text)
    client.send({"type": "response.create"})
    done = client.recv_until("response.done")[-1]["response"]
    client.expect("rate_limits.updated")
    call = done["output"][0]
    assert call["type"] == "function_call"
    return json.loads(call["arguments"])


def _tools() -> list[dict[str, Any]]:
    return [{"type": "function", "name": "get_weather", "parameters": WEATHER},
            {"type": "function", "name": "book_room", "parameters": BOOKING}]


def test_calls_over_the_socket_validate_against_the_declared_schemas() -> None:
    with Simulator() as sim, connect_session(sim.ws_url) as client:
        client.configure(tools=_tools(), output_modalities=["text"])
        weather = _call_arguments(client, "get weather in Oslo")
        assert _valid(WEATHER, weather) == {"city": "Oslo"}
        _valid(BOOKING, _call_arguments(client, 'book room for "Grace Hopper", 2 nights'))


def test_scenario_tool_arguments_override_and_fall_back_to_the_schema() -> None:
    scripted = ScriptedArguments({"book_room": {"anything": "goes"}})
    with Simulator(Scenario(tool_arguments=scripted)) as sim:
        with connect_session(sim.ws_url) as client:
            client.configure(tools=_tools(), output_modalities=["text"])
            assert _call_arguments(client, "book room") == {"anything": "goes"}
            assert _call_arguments(client, "get weather in Lima") == {"city": "Lima"}


def test_scripted_arguments_file_errors_are_typed(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('["not", "an", "object"]')
    with pytest.raises(SimulatorError, match="expected a JSON object"):
        ScriptedArguments.from_json_file(bad)
    with pytest.raises(SimulatorError, match="cannot read tool arguments"):
        ScriptedArguments.from_json_file(tmp_path / "missing.json")
    args = cli_parser().parse_args(["simulator", "--tool-arguments", str(bad)])
    with pytest.raises(CliError, match="expected a JSON object"):
        scenario_from_args(args)


def test_cli_tool_arguments_file_scripts_the_call(tmp_path: Path) -> None:
    table = tmp_path / "args.json"
    table.write_text(json.dumps({"get_weather": {"city": "Kyoto"}}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "realtime_actors.simulator", "--port", "0",
         "--tool-arguments", str(table)],
        stdout=subprocess.PIPE, text=True)
    with reaped(proc):
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().split(" ", 1)[1]
        with connect_session(url) as client:
            client.configure(tools=_tools(), output_modalities=["text"])
            assert _call_arguments(client, "get weather in Rome") == {"city": "Kyoto"}
        proc.terminate()
        assert proc.wait(timeout=15) == 0


def test_optional_properties_are_filled_only_with_what_the_text_names() -> None:
    schema = {"type": "object", "properties": {
        "query": {"type": "string"}, "count": {"type": "integer"}, "flag": {"type": "boolean"},
        "unit": {"enum": ["celsius", "fahrenheit"]}}}
    assert _valid(schema, schema_arguments(schema, 'weather for "Paris" in fahrenheit')) == {
        "query": "Paris", "unit": "fahrenheit"}
    assert schema_arguments(schema, "weather 3 days") == {"count": 3}
    assert schema_arguments(schema, "weather") == {}
