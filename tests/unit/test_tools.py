"""Tests of function_tool: schema building, argument checking, invocation and result encoding."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import threading
from typing import Any, Literal, Optional

import attrs
import numpy as np
import pydantic
import pytest

from realtime_actors.errors import ConfigError, RealtimeError
from realtime_actors.tools.docstrings import parse_docstring
from realtime_actors.tools.function_tool import (
    FunctionTool,
    ToolArgumentsError,
    ToolContext,
    ToolError,
    encode_tool_result,
    function_tool,
)


class Color(enum.Enum):
    """A test enum."""

    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    """An int enum."""

    LOW = 1
    HIGH = 2


@attrs.frozen
class Point:
    """An attrs result."""

    x: int
    y: int


@dataclasses.dataclass
class Box:
    """A dataclass result."""

    label: str
    points: list[Point]


class Weather(pydantic.BaseModel):
    """A pydantic result."""

    city: str
    when: datetime.date


def _props(tool: FunctionTool) -> dict[str, Any]:
    return tool.parameters["properties"]


# ----------------------------------------------------------------------- schema


def test_bare_decorator_builds_schema_from_signature_and_google_docstring() -> None:
    @function_tool
    def get_weather(city: str, days: int = 3, metric: bool = True) -> str:
        """Get the weather forecast.

        Longer explanation that is not part of the summary.

        Args:
            city: The city, for example
                "Paris".
            days (int): How many days.
        """
        return city

    assert isinstance(get_weather, FunctionTool)
    assert get_weather.name == "get_weather"
    assert get_weather.description == "Get the weather forecast."
    assert get_weather.parameters == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": 'The city, for example "Paris".'},
            "days": {"type": "integer", "description": "How many days.", "default": 3},
            "metric": {"type": "boolean", "default": True},
        },
        "required": ["city"],
        "additionalProperties": False,
    }


def test_decorator_with_options_overrides_name_description_and_timeout() -> None:
    @function_tool(name="lookup", description="Look things up.", timeout=2.5)
    def find(query: str) -> str:
        """Ignored summary."""
        return query

    assert (find.name, find.description, find.timeout_s) == ("lookup", "Look things up.", 2.5)


def test_a_decorated_tool_is_callable_like_its_function() -> None:
    calls: list[tuple[ToolContext, str, int]] = []

    @function_tool
    def repeat(ctx: ToolContext, word: str, times: int = 2) -> str:
        """Repeat a word.

        Args:
            word: The word.
            times: How many times.
        """
        calls.append((ctx, word, times))
        return " ".join([word] * times)

    @function_tool(name="halve", timeout=1.0)
    def half(value: float, /) -> float:
        return value / 2

    ctx = ToolContext(call_id="c1", tool_name="repeat")
    assert repeat(ctx, "hi") == "hi hi"
    assert repeat(ctx, word="ho", times=3) == "ho ho ho"
    assert calls == [(ctx, "hi", 2), (ctx, "ho", 3)]
    assert half(3.0) == 1.5
    with pytest.raises(TypeError):
        half(value=3.0)  # type: ignore[call-arg]  # positional-only, as in the function
    # everything else a tool does is unchanged
    assert isinstance(repeat, FunctionTool) and repeat.name == "repeat"
    assert repeat.invoke('{"word": "ha"}') == "ha ha"
    assert set(repeat.to_definition()["parameters"]["properties"]) == {"word", "times"}
    assert (half.name, half.timeout_s) == ("halve", 1.0)


def test_rest_param_docstring_descriptions() -> None:
    @function_tool
    def convert(amount: float, currency: str) -> float:
        """Convert money.

        :param amount: The amount
            to convert.
        :param str currency: ISO code.
        :returns: the converted amount
        """
        return amount

    assert _props(convert)["amount"] == {"type": "number", "description": "The amount to convert."}
    assert _props(convert)["currency"]["description"] == "ISO code."
    assert convert.description == "Convert money."


def test_container_literal_enum_and_optional_schemas() -> None:
    @function_tool
    def f(
        *,
        tags: list[str],
        scores: dict[str, float],
        ids: tuple[int, ...],
        unit: Literal["c", "f"],
        color: Color,
        level: Level,
        note: str | None,
        legacy: Optional[int] = None,  # noqa: UP045 - Optional spelling is part of the test
        flag: bool | None = False,
    ) -> None:
        """F."""

    props = _props(f)
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert props["scores"] == {"type": "object", "additionalProperties": {"type": "number"}}
    assert props["ids"] == {"type": "array", "items": {"type": "integer"}}
    assert props["unit"] == {"type": "string", "enum": ["c", "f"]}
    assert props["color"] == {"type": "string", "enum": ["red", "blue"]}
    assert props["level"] == {"type": "integer", "enum": [1, 2]}
    assert props["note"] == {"type": ["string", "null"], "default": None}
    assert props["legacy"] == {"type": ["integer", "null"], "default": None}
    assert props["flag"] == {"type": ["boolean", "null"], "default": False}
    assert f.parameters["required"] == ["tags", "scores", "ids", "unit", "color", "level"]


def test_union_of_types_becomes_any_of() -> None:
    @function_tool
    def f(value: int | str | None) -> None:
        """F."""

    assert _props(f)["value"] == {
        "anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}],
        "default": None,
    }


def test_tool_context_first_parameter_is_injected_and_not_in_schema() -> None:
    seen: list[ToolContext] = []

    @function_tool
    def f(ctx: ToolContext, x: int) -> str:
        """F."""
        seen.append(ctx)
        return str(x)

    assert list(_props(f)) == ["x"]
    ctx = ToolContext(call_id="call_1", tool_name="f", agent_name="A")
    assert f.invoke('{"x": 4}', ctx) == "4"
    assert seen == [ctx]
    assert f.invoke('{"x": 5}', None) == "5"
    assert seen[1].tool_name == "f" and not seen[1].cancelled.is_set()


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        ("object", "unsupported type annotation object"),
        ("list", r"annotation list; use list\[T\]"),
        ("tuple[int, str]", r"unsupported annotation tuple\[int, str\]"),
        ("dict[int, str]", "dict keys must be str"),
        ("Any", "unsupported type annotation Any"),
        ("Point", "unsupported type annotation Point"),
    ],
)
def test_unsupported_annotation_is_config_error_naming_the_parameter(
    annotation: str, message: str
) -> None:
    namespace: dict[str, Any] = {}
    exec(
        f"from __future__ import annotations\ndef bad(ok: int, weird: {annotation}) -> None:\n"
        "    '''Bad.'''\n",
        {"Any": Any, "Point": Point},
        namespace,
    )
    with pytest.raises(ConfigError, match=message) as info:
        function_tool(namespace["bad"])
    assert "'weird'" in str(info.value)


def test_missing_annotation_var_args_and_misplaced_context_are_config_errors() -> None:
    def no_annotation(x) -> None:  # type: ignore[no-untyped-def]
        """F."""

    def var_args(*args: int) -> None:
        """F."""

    def late_ctx(x: int, ctx: ToolContext) -> None:
        """F."""

    with pytest.raises(ConfigError, match=r"'x'.*missing type annotation"):
        function_tool(no_annotation)
    with pytest.raises(ConfigError, match=r"'args'.*not supported"):
        function_tool(var_args)
    with pytest.raises(ConfigError, match=r"'ctx'.*first parameter"):
        function_tool(late_ctx)


def test_unresolvable_annotation_names_the_parameter() -> None:
    namespace: dict[str, Any] = {}
    exec(
        "from __future__ import annotations\ndef f(a: int, b: Missing) -> None:\n    pass\n",
        {},
        namespace,
    )
    with pytest.raises(ConfigError, match=r"parameter 'b'.*Missing"):
        function_tool(namespace["f"])


def test_invalid_tool_name_and_timeout_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="invalid tool name"):
        function_tool(lambda: None)
    with pytest.raises(ConfigError, match="invalid tool name"):
        function_tool(name="has space")(lambda: None)
    with pytest.raises(ConfigError, match="timeout"):
        function_tool(name="ok", timeout=0)(lambda: None)
    assert issubclass(ToolError, RealtimeError)


def test_to_definition_is_json_safe_and_a_fresh_copy() -> None:
    @function_tool
    def ping(host: str) -> str:
        """Ping a host."""
        return host

    definition = ping.to_definition()
    assert json.loads(json.dumps(definition)) == definition
    assert definition == {
        "type": "function",
        "name": "ping",
        "description": "Ping a host.",
        "parameters": ping.parameters,
    }
    definition["parameters"]["properties"].clear()
    assert "host" in ping.parameters["properties"]


def test_hand_built_tool_checks_its_schema_and_gets_keyword_arguments() -> None:
    tool = FunctionTool(
        name="echo",
        description="Echo.",
        parameters={
            "type": "object",
            "properties": {"text": {"type": "string"}},
            "required": ["text"],
            "additionalProperties": False,
        },
        func=lambda text: text.upper(),
    )
    assert tool.invoke('{"text": "hi"}') == "HI"
    with pytest.raises(ToolArgumentsError, match="missing required argument 'text'"):
        tool.invoke("{}")
    with pytest.raises(ConfigError, match="JSON-safe"):
        FunctionTool(name="x", parameters={"type": "object", "f": print}, func=print)
    with pytest.raises(ConfigError, match='"type": "object"'):
        FunctionTool(name="x", parameters={"type": "string"}, func=print)


def test_docstring_parser_stops_args_section_at_next_section() -> None:
    parsed = parse_docstring(
        """Summary line one
        continues here.

        Args:
            a: First.
            b: Second,
                wrapped.

        Returns:
            c: not a parameter.
        """
    )
    assert parsed.summary == "Summary line one continues here."
    assert parsed.params == {"a": "First.", "b": "Second, wrapped."}
    assert parse_docstring(None).summary == ""


def test_numpy_docstring_descriptions() -> None:
    @function_tool
    def book(city: str, nights: int = 1) -> str:
        """Book a hotel
        for a stay.

        Parameters
        ----------
        city : str
            Where to stay,
            a city name.
        nights
            How many nights.

        Returns
        -------
        str
            The booking reference.
        """
        return city

    assert book.description == "Book a hotel for a stay."
    assert _props(book)["city"] == {"type": "string", "description": "Where to stay, a city name."}
    assert _props(book)["nights"]["description"] == "How many nights."


def test_a_docstring_without_sections_is_all_summary_up_to_the_first_blank_line() -> None:
    parsed = parse_docstring("One line.\n\nMore detail that is not the summary.")
    assert (parsed.summary, parsed.params) == ("One line.", {})


# ----------------------------------------------------------------------- invoke


@function_tool
def _kitchen_sink(
    *,
    tags: list[str],
    color: Color,
    ids: tuple[int, ...] = (),
    ratio: float = 1.0,
    count: int = 0,
    maybe: Color | None = None,
    mixed: int | Color = 0,
) -> dict[str, Any]:
    """Everything."""
    return {
        "tags": tags,
        "color": repr(color),
        "ids": repr(ids),
        "ratio": repr(ratio),
        "count": repr(count),
        "maybe": repr(maybe),
        "mixed": repr(mixed),
    }


def test_invoke_converts_json_values_to_annotated_python_types() -> None:
    out = json.loads(
        _kitchen_sink.invoke(
            '{"tags": ["a"], "color": "blue", "ids": [1, 2.0], "ratio": 2, "count": 3.0,'
            ' "maybe": "red", "mixed": "blue"}'
        )
    )
    assert out == {
        "tags": ["a"],
        "color": "<Color.BLUE: 'blue'>",
        "ids": "(1, 2)",
        "ratio": "2.0",
        "count": "3",
        "maybe": "<Color.RED: 'red'>",
        "mixed": "<Color.BLUE: 'blue'>",
    }


def test_invoke_fills_defaults_and_none_for_absent_optionals() -> None:
    out = json.loads(_kitchen_sink.invoke('{"tags": [], "color": "red"}'))
    assert (out["ids"], out["maybe"], out["mixed"]) == ("()", "None", "0")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("not json", "invalid JSON arguments for tool '_kitchen_sink'"),
        ("[1, 2]", "must be a JSON object, got list"),
        ('{"color": "red"}', "missing required argument 'tags'"),
        ('{"tags": [], "color": "red", "extra": 1}', "unexpected argument 'extra'"),
        ('{"tags": [1], "color": "red"}', "argument 'tags[0]': expected string, got integer"),
        ('{"tags": [], "color": "green"}', "argument 'color': must be one of"),
        ('{"tags": [], "color": "red", "count": true}', "expected integer, got boolean"),
        ('{"tags": [], "color": "red", "count": 1.5}', "expected integer, got number"),
        ('{"tags": [], "color": "red", "ratio": "x"}', "expected number, got string"),
        ('{"tags": "a", "color": "red"}', "argument 'tags': expected array, got string"),
    ],
)
def test_invalid_arguments_raise_tool_arguments_error(arguments: str, message: str) -> None:
    with pytest.raises(ToolArgumentsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        _kitchen_sink.invoke(arguments)


def test_empty_arguments_string_means_no_arguments() -> None:
    @function_tool
    def now() -> str:
        """Now."""
        return "tick"

    assert now.invoke("") == "tick"
    with pytest.raises(ToolArgumentsError, match="must be a JSON string"):
        now.invoke(b"{}")  # type: ignore[arg-type]


def test_positional_only_parameters_are_passed_positionally() -> None:
    @function_tool
    def sub(a: int, b: int, /) -> int:
        """Subtract."""
        return a - b

    assert sub.invoke('{"b": 1, "a": 5}') == "4"


def test_async_tool_runs_with_asyncio_run() -> None:
    @function_tool
    async def double(x: int) -> int:
        """Double."""
        return 2 * x

    assert double.invoke('{"x": 21}') == "42"


def test_function_exceptions_propagate_unchanged() -> None:
    @function_tool
    def fail() -> None:
        """Fail."""
        raise KeyError("missing")

    with pytest.raises(KeyError, match="missing"):
        fail.invoke("{}")


# ----------------------------------------------------------------------- results


def test_encode_result_types() -> None:
    assert encode_tool_result("as is", tool_name="t") == "as is"
    assert encode_tool_result(None, tool_name="t") == ""
    assert encode_tool_result({"a": [1, 2.5, True]}, tool_name="t") == '{"a": [1, 2.5, true]}'
    assert json.loads(encode_tool_result(Point(1, 2), tool_name="t")) == {"x": 1, "y": 2}
    box = Box(label="b", points=[Point(0, 1)])
    assert json.loads(encode_tool_result(box, tool_name="t")) == {
        "label": "b",
        "points": [{"x": 0, "y": 1}],
    }
    assert encode_tool_result(np.int64(7), tool_name="t") == "7"
    assert encode_tool_result(np.arange(3), tool_name="t") == "[0, 1, 2]"
    assert encode_tool_result(Color.RED, tool_name="t") == '"red"'
    weather = Weather(city="Oslo", when=datetime.date(2025, 1, 2))
    assert json.loads(encode_tool_result(weather, tool_name="t")) == {
        "city": "Oslo",
        "when": "2025-01-02",
    }
    assert encode_tool_result({3, 1, 2}, tool_name="t") == "[1, 2, 3]"
    assert encode_tool_result("é", tool_name="t") == "é"


def test_non_serialisable_result_is_a_tool_error_without_the_value_repr() -> None:
    class Secretive:
        def __repr__(self) -> str:
            return "SECRET-VALUE"

    with pytest.raises(ToolError) as info:
        encode_tool_result({"x": Secretive()}, tool_name="leaky")
    assert "Secretive" in str(info.value) and "leaky" in str(info.value)
    assert "SECRET-VALUE" not in str(info.value)
    with pytest.raises(ToolError, match="NaN"):
        encode_tool_result(float("nan"), tool_name="t")


def test_invoke_encodes_structured_results() -> None:
    @function_tool
    def where() -> Point:
        """Where."""
        return Point(3, 4)

    assert json.loads(where.invoke("{}")) == {"x": 3, "y": 4}


def test_tool_context_cancelled_defaults_to_a_fresh_event() -> None:
    a = ToolContext(call_id="1", tool_name="t")
    b = ToolContext(call_id="1", tool_name="t")
    assert isinstance(a.cancelled, threading.Event) and a.cancelled is not b.cancelled
