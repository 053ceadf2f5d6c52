"""Function tools: :func:`function_tool` turns a typed, documented Python function into a
:class:`FunctionTool` the model can call.

The tool's JSON Schema comes from the signature and docstring (see :mod:`.tool_schema`).
:meth:`FunctionTool.to_definition` gives the JSON-safe GA tool dict for ``session.update``;
:meth:`FunctionTool.invoke` checks the model's JSON arguments, calls the function and encodes the
result as the string sent back as ``function_call_output``.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import datetime
import decimal
import enum
import inspect
import json
import math
import pathlib
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Generic, ParamSpec, Protocol, TypeVar, overload

import attrs

from ..errors import ConfigError, RealtimeError
from ..validation import checked
from .schema import FunctionSignature, build_function_signature, check_value

__all__ = [
    "AnyFunctionTool",
    "FunctionTool",
    "ToolArgumentsError",
    "ToolCancelledError",
    "ToolContext",
    "ToolError",
    "ToolTimeoutError",
    "UnknownToolError",
    "encode_tool_result",
    "function_tool",
    "run_maybe_awaitable",
]

_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

P = ParamSpec("P")
R = TypeVar("R")


class ToolError(RealtimeError):
    """A function tool could not be run or its result could not be encoded. The message is
    meant for the model (it becomes ``Error: <message>``)."""


class ToolArgumentsError(ToolError, ValueError):
    """The model's arguments are not valid JSON or do not match the tool's parameters."""


class ToolTimeoutError(ToolError, TimeoutError):
    """A tool ran past its deadline; its late result is discarded."""


class UnknownToolError(ToolError, LookupError):
    """The model called a tool the current agent does not have."""


class ToolCancelledError(ToolError):
    """A tool call was cancelled (interrupt, handoff, close) before it produced a result."""


@attrs.frozen(kw_only=True)
class ToolContext:
    """Injected into a tool whose first parameter is annotated ``ToolContext``.

    A long-running tool should watch ``cancelled`` (set on timeout, interrupt or close) and
    return early when it is set.
    """

    call_id: str
    tool_name: str
    agent_name: str | None = None
    cancelled: threading.Event = attrs.field(factory=threading.Event, repr=False)


def _json_copy(value: Mapping[str, Any]) -> dict[str, Any]:
    try:
        copied = json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as err:
        raise ConfigError(f"tool parameters schema is not JSON-safe ({err})") from err
    if not isinstance(copied, dict) or copied.get("type") != "object":
        raise ConfigError('tool parameters schema must be a JSON object with "type": "object"')
    return copied


def _check_name(_instance: Any, _attribute: Any, value: str) -> None:
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise ConfigError(
            f"invalid tool name {value!r}: use 1-64 characters from letters, digits, '_' and '-'"
        )


def _check_timeout(_instance: Any, _attribute: Any, value: float | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(f"tool timeout must be a positive number of seconds, not {value!r}")
    if not math.isfinite(value):
        raise ConfigError("tool timeout must be finite (use None for no timeout)")


def _check_callable(_instance: Any, _attribute: Any, value: Any) -> None:
    if not callable(value):
        raise ConfigError(f"tool func must be callable, not {type(value).__name__}")


@attrs.frozen(kw_only=True, eq=False)
class FunctionTool(Generic[P, R]):
    """A function the model can call; calling the tool itself calls the function (same
    signature, same result), so a decorated function stays usable in your own code.

    ``parameters`` is the JSON Schema of the arguments object. ``timeout_s`` overrides the
    executor's default timeout (None: use the default). ``signature`` is set when the tool was
    built by :func:`function_tool`; a hand-built tool (``signature=None``) gets its decoded
    arguments as keyword arguments after they are checked against ``parameters``.
    """

    name: str = attrs.field(validator=_check_name)
    description: str = attrs.field(default="", validator=checked(attrs.validators.instance_of(str)))
    parameters: dict[str, Any] = attrs.field(converter=_json_copy, repr=False)
    func: Callable[P, R] = attrs.field(validator=_check_callable, repr=False)
    timeout_s: float | None = attrs.field(default=None, validator=_check_timeout)
    signature: FunctionSignature | None = attrs.field(default=None, repr=False)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Call the function directly (no argument checks, no JSON, no timeout)."""
        return self.func(*args, **kwargs)

    def to_definition(self) -> dict[str, Any]:
        """The GA tool definition: ``{"type": "function", "name", "description",
        "parameters"}``; a fresh JSON-safe dict on every call."""
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": copy.deepcopy(self.parameters),
        }

    def parse_arguments(self, arguments_json: str) -> dict[str, Any]:
        """Decode and check the model's arguments; raise :class:`ToolArgumentsError`."""
        if not isinstance(arguments_json, str):
            raise ToolArgumentsError(
                f"arguments for tool {self.name!r} must be a JSON string, "
                f"not {type(arguments_json).__name__}"
            )
        if not arguments_json.strip():
            arguments: Any = {}
        else:
            try:
                arguments = json.loads(arguments_json)
            except json.JSONDecodeError as err:
                raise ToolArgumentsError(
                    f"invalid JSON arguments for tool {self.name!r}: {err}"
                ) from None
        if not isinstance(arguments, dict):
            raise ToolArgumentsError(
                f"arguments for tool {self.name!r} must be a JSON object, "
                f"got {type(arguments).__name__}"
            )
        problems = check_value(self.parameters, arguments, "")
        if problems:
            raise ToolArgumentsError(
                f"invalid arguments for tool {self.name!r}: {'; '.join(problems)}"
            )
        return arguments

    def invoke(self, arguments_json: str, ctx: ToolContext | None = None) -> str:
        """Check ``arguments_json``, call the function (a coroutine function runs under
        ``asyncio.run``) and return the encoded result (see :func:`encode_tool_result`).

        Raises :class:`ToolArgumentsError` for bad arguments, :class:`ToolError` for a result
        that cannot be encoded; an exception raised by the function propagates unchanged.
        """
        arguments = self.parse_arguments(arguments_json)
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        if self.signature is None:
            kwargs = arguments
        else:
            if self.signature.takes_context:
                if ctx is None:
                    ctx = ToolContext(call_id="", tool_name=self.name)
                args.append(ctx)
            for spec in self.signature.params:
                if spec.name in arguments:
                    value = spec.node.convert(arguments[spec.name])
                elif spec.required:  # pragma: no cover - check_value reports it first
                    raise ToolArgumentsError(f"missing required argument {spec.name!r}")
                else:
                    value = spec.default
                if spec.positional_only:
                    args.append(value)
                else:
                    kwargs[spec.name] = value
        func: Callable[..., R] = self.func  # the arguments are checked against the schema
        result = run_maybe_awaitable(func(*args, **kwargs), what=f"tool {self.name!r}")
        return encode_tool_result(result, tool_name=self.name)


def run_maybe_awaitable(value: Any, *, what: str) -> Any:
    """Return ``value``, or run it to completion with ``asyncio.run`` if it is awaitable.

    Raises :class:`ToolError` when called from a thread that is already running an event loop.
    """
    if not inspect.isawaitable(value):
        return value
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        if inspect.iscoroutine(value):
            value.close()
        raise ToolError(f"{what} is async and cannot run inside a running event loop thread")

    async def _await() -> Any:
        return await value

    return asyncio.run(_await())


def _to_json(value: Any) -> Any:
    if attrs.has(type(value)):
        return attrs.asdict(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, enum.Enum):
        return value.value
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return value.tolist()
    if callable(getattr(value, "model_dump", None)):  # pydantic v2 models
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal | pathlib.PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"a value of type {type(value).__name__} is not JSON-serialisable")


def encode_tool_result(value: Any, *, tool_name: str) -> str:
    """Encode a tool's return value for the model: a str as is, None as ``""``, anything else
    as JSON (attrs classes, dataclasses, enums, numpy values, pydantic models, sets, dates...).

    Raises :class:`ToolError` (never showing the value itself) when it cannot be encoded.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    try:
        return json.dumps(value, default=_to_json, allow_nan=False, ensure_ascii=False)
    except TypeError as err:
        raise ToolError(f"tool {tool_name!r} returned a result that is not JSON: {err}") from err
    except ValueError as err:
        raise ToolError(
            f"tool {tool_name!r} returned a result that cannot be encoded as JSON "
            "(a NaN/Infinity float or a circular reference)"
        ) from err


AnyFunctionTool = FunctionTool[..., Any]
"""A function tool of any signature (what agents hold)."""


class ToolDecorator(Protocol):
    """What ``function_tool(name=..., ...)`` returns: a decorator keeping the signature."""

    def __call__(self, func: Callable[P, R], /) -> FunctionTool[P, R]:
        """Build the tool from ``func``."""
        ...


def _make_tool(
    func: Callable[P, R], name: str | None, description: str | None, timeout: float | None
) -> FunctionTool[P, R]:
    if isinstance(func, FunctionTool):
        raise ConfigError(f"{func.name!r} is already a FunctionTool")
    tool_name = name if name is not None else getattr(func, "__name__", type(func).__name__)
    label = f"tool function {tool_name!r}"
    signature = build_function_signature(func, context_type=ToolContext, label=label)
    return FunctionTool(
        name=tool_name,
        description=signature.description if description is None else description,
        parameters=signature.parameters,
        func=func,
        timeout_s=timeout,
        signature=signature,
    )


@overload
def function_tool(func: Callable[P, R], /) -> FunctionTool[P, R]: ...


@overload
def function_tool(
    *, name: str | None = None, description: str | None = None, timeout: float | None = None
) -> ToolDecorator: ...


def function_tool(
    func: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
) -> FunctionTool[P, R] | ToolDecorator:
    """Build a :class:`FunctionTool` from a typed function; use bare (``@function_tool``) or
    with options (``@function_tool(name=..., description=..., timeout=...)``).

    The description defaults to the docstring summary, parameter descriptions come from a
    Google-style ``Args:`` section or reST ``:param x:`` fields. An unsupported annotation is a
    :class:`ConfigError` naming the parameter. The tool is callable like the function.
    """
    if func is not None:
        return _make_tool(func, name, description, timeout)
    return _decorator(name, description, timeout)


def _decorator(name: str | None, description: str | None, timeout: float | None
               ) -> ToolDecorator:
    def decorate(target: Callable[P, R], /) -> FunctionTool[P, R]:
        return _make_tool(target, name, description, timeout)

    return decorate
