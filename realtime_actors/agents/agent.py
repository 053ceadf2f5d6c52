"""Realtime agents and handoffs.

A :class:`RealtimeAgent` bundles instructions, function tools and handoffs. Handoffs are
advertised to the model as parameterless function tools named ``transfer_to_<snake_case>``;
:func:`find_handoff` looks one up by its exact name (never a suffix match).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import attrs

from ..errors import ConfigError, RealtimeError
from ..protocol.session_config import SessionModelSettings
from ..tools.function_tool import AnyFunctionTool, FunctionTool, function_tool, run_maybe_awaitable
from ..validation import checked
from .arity import arity, call_by_arity
from .guardrails import GuardrailFunc

T = TypeVar("T")

__all__ = [
    "Handoff",
    "HandoffError",
    "RealtimeAgent",
    "RunContext",
    "agent",
    "all_tool_definitions",
    "find_handoff",
    "find_tool",
    "handoff",
    "handoff_tool_name",
    "handoffs_of",
    "invoke_handoff",
    "resolve_instructions",
    "transfer_message",
]

_HANDOFF_PREFIX = "transfer_to_"
_MAX_TOOL_NAME = 64


class HandoffError(RealtimeError):
    """A handoff could not be carried out (its ``on_invoke`` hook or lazy target failed)."""


@attrs.frozen(kw_only=True)
class RunContext:
    """Caller-supplied context passed to dynamic instructions, ``is_enabled`` and handoff
    hooks (``RunConfig.context``)."""

    context: Any = None


def _to_tuple(value: Iterable[T]) -> tuple[T, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ConfigError(f"expected a list or tuple, not {type(value).__name__}")
    return tuple(value)


# Converters of RealtimeAgent's sequences: their parameter types are what its __init__ accepts.
def _tools(tools: Iterable[AnyFunctionTool]) -> tuple[AnyFunctionTool, ...]:
    return _to_tuple(tools)


def _handoffs(handoffs: Iterable[RealtimeAgent | Handoff]) -> tuple[RealtimeAgent | Handoff, ...]:
    return _to_tuple(handoffs)


def _guardrails(guardrails: Iterable[GuardrailFunc]) -> tuple[GuardrailFunc, ...]:
    return _to_tuple(guardrails)


def _check_instructions(instance: RealtimeAgent, _attribute: Any, value: Any) -> None:
    if value is None or isinstance(value, str):
        return
    if not callable(value):
        raise ConfigError(
            f"instructions of agent {instance.name!r} must be a str, a callable or None, "
            f"not {type(value).__name__}"
        )
    arity(value, f"instructions of agent {instance.name!r}", (0, 1, 2))


def _check_name(_instance: Any, _attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"agent name must be a non-empty str, not {value!r}")


@attrs.frozen(kw_only=True, eq=False)
class RealtimeAgent:
    """An agent: instructions, tools and handoffs (compared by identity).

    ``instructions`` is a str, None (``""``) or a callable taking ``(ctx, agent)``, ``(ctx)`` or
    nothing and returning a str. ``model_settings`` holds optional per-agent session overrides
    (a ``SessionModelSettings``). ``handoff_description`` is appended to the description of
    handoff tools pointing at this agent.
    """

    name: str = attrs.field(validator=_check_name)
    instructions: str | Callable[..., str] | None = attrs.field(
        default=None, validator=_check_instructions, repr=False
    )
    tools: tuple[AnyFunctionTool, ...] = attrs.field(default=(), converter=_tools, repr=False)
    handoffs: tuple[RealtimeAgent | Handoff, ...] = attrs.field(
        default=(), converter=_handoffs, repr=False
    )
    output_guardrails: tuple[GuardrailFunc, ...] = attrs.field(
        default=(), converter=_guardrails, repr=False
    )
    model_settings: SessionModelSettings | None = attrs.field(default=None, repr=False)
    handoff_description: str | None = attrs.field(default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        seen: dict[str, str] = {}
        for tool in self.tools:
            if not isinstance(tool, FunctionTool):
                raise ConfigError(
                    f"agent {self.name!r}: tools must be FunctionTool, not {type(tool).__name__}"
                )
            _claim(seen, tool.name, f"tool {tool.name!r}", self.name)
        for entry in self.handoffs:
            if isinstance(entry, RealtimeAgent):
                _claim(seen, handoff_tool_name(entry.name), f"handoff to {entry.name!r}", self.name)
            elif isinstance(entry, Handoff):
                _claim(seen, entry.tool_name, f"handoff {entry.tool_name!r}", self.name)
            else:
                raise ConfigError(
                    f"agent {self.name!r}: handoffs must be RealtimeAgent or Handoff, "
                    f"not {type(entry).__name__}"
                )
        for guardrail in self.output_guardrails:
            if not callable(guardrail):
                raise ConfigError(
                    f"agent {self.name!r}: output guardrails must be callable, "
                    f"not {type(guardrail).__name__}"
                )
        if not isinstance(self.model_settings, SessionModelSettings | None):
            raise ConfigError(f"agent {self.name!r}: model_settings must be a SessionModelSettings "
                              f"or None, not {type(self.model_settings).__name__}")
        if self.handoff_description is not None and not isinstance(self.handoff_description, str):
            raise ConfigError(f"agent {self.name!r}: handoff_description must be a str or None")

    def clone(self, **changes: Any) -> RealtimeAgent:
        """A copy with some fields replaced (validated again)."""
        return attrs.evolve(self, **changes)


def _claim(seen: dict[str, str], tool_name: str, what: str, agent_name: str) -> None:
    if tool_name in seen:
        raise ConfigError(
            f"agent {agent_name!r}: {what} and {seen[tool_name]} share the tool name {tool_name!r}"
        )
    seen[tool_name] = what


def _check_target(_instance: Any, _attribute: Any, value: Any) -> None:
    if not isinstance(value, RealtimeAgent) and not callable(value):
        raise ConfigError(
            f"handoff target must be a RealtimeAgent or a zero-argument callable returning one, "
            f"not {type(value).__name__}"
        )


def _check_tool_name(_instance: Any, _attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value):
        raise ConfigError(f"invalid handoff tool name {value!r}")


def _check_on_invoke(_instance: Any, _attribute: Any, value: Any) -> None:
    if value is not None:
        if not callable(value):
            raise ConfigError(f"handoff on_invoke must be callable, not {type(value).__name__}")
        arity(value, "handoff on_invoke", (0, 1))


def _check_enabled(_instance: Any, _attribute: Any, value: Any) -> None:
    if isinstance(value, bool):
        return
    if not callable(value):
        raise ConfigError(f"handoff is_enabled must be a bool or callable, not {value!r}")
    arity(value, "handoff is_enabled", (0, 1, 2))


@attrs.frozen(kw_only=True, eq=False)
class Handoff:
    """A handoff tool: calling ``tool_name`` switches the session to ``agent``.

    ``agent`` may be a zero-argument callable returning the agent (resolved when the handoff
    runs), which allows agents that hand back to each other. ``on_invoke(ctx)`` runs for its
    side effect when the handoff happens. ``is_enabled`` is a bool or a callable
    ``(ctx, owning_agent) -> bool``.
    """

    agent: RealtimeAgent | Callable[[], RealtimeAgent] = attrs.field(validator=_check_target)
    tool_name: str = attrs.field(validator=_check_tool_name)
    tool_description: str = attrs.field(validator=checked(attrs.validators.instance_of(str)))
    on_invoke: Callable[..., Any] | None = attrs.field(default=None, validator=_check_on_invoke)
    is_enabled: bool | Callable[..., bool] = attrs.field(default=True, validator=_check_enabled)

    def resolve(self, ctx: RunContext, arguments_json: str = "") -> RealtimeAgent:
        """Carry out the handoff (see :func:`invoke_handoff`); ``arguments_json`` is ignored
        since handoff tools take no parameters. Raises :class:`HandoffError`."""
        return invoke_handoff(self, ctx)

    def to_definition(self) -> dict[str, Any]:
        """The GA function tool dict advertising this handoff (no parameters)."""
        return {
            "type": "function",
            "name": self.tool_name,
            "description": self.tool_description,
            "parameters": {
                "type": "object",
                "properties": {},
                "required": [],
                "additionalProperties": False,
            },
        }


def handoff_tool_name(name: str) -> str:
    """``transfer_to_`` + the snake_case of ``name``: ``TechSupport`` →
    ``transfer_to_tech_support``, ``"Billing Agent"`` → ``transfer_to_billing_agent``.

    Accents are folded to ASCII, whitespace and ``-`` separate words, other characters are
    dropped. Raises :class:`ConfigError` if nothing is left or the name is too long.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", ascii_name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", spaced)
    spaced = re.sub(r"[\s\-_]+", "_", spaced)
    snake = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "", spaced)).strip("_").lower()
    if not snake:
        raise ConfigError(f"cannot derive a handoff tool name from agent name {name!r}")
    tool_name = _HANDOFF_PREFIX + snake
    if len(tool_name) > _MAX_TOOL_NAME:
        raise ConfigError(
            f"handoff tool name for agent {name!r} exceeds {_MAX_TOOL_NAME} characters; "
            "pass tool_name= to handoff()"
        )
    return tool_name


def _default_description(target: RealtimeAgent) -> str:
    text = f"Handoff to the {target.name} agent to handle the request."
    if target.handoff_description and target.handoff_description.strip():
        text = f"{text} {target.handoff_description.strip()}"
    return text


def handoff(
    target: RealtimeAgent | Callable[[], RealtimeAgent],
    *,
    tool_name: str | None = None,
    tool_description: str | None = None,
    on_invoke: Callable[..., Any] | None = None,
    is_enabled: bool | Callable[..., bool] = True,
) -> Handoff:
    """Build a :class:`Handoff` with the default name and description of ``target``. A lazy
    target (a callable) needs an explicit ``tool_name``."""
    if isinstance(target, RealtimeAgent):
        name = tool_name if tool_name is not None else handoff_tool_name(target.name)
        description = tool_description or _default_description(target)
    else:
        if tool_name is None:
            raise ConfigError("a handoff to a lazily resolved agent needs tool_name=")
        name = tool_name
        description = tool_description or "Handoff to another agent to handle the request."
    return Handoff(
        agent=target, tool_name=name, tool_description=description, on_invoke=on_invoke,
        is_enabled=is_enabled,
    )  # fmt: skip


def agent(
    name: str,
    *,
    instructions: str | Callable[..., str] | None = None,
    tools: Iterable[AnyFunctionTool | Callable[..., Any]] = (),
    handoffs: Iterable[RealtimeAgent | Handoff] = (),
    output_guardrails: Iterable[GuardrailFunc] = (),
    model_settings: SessionModelSettings | None = None,
    handoff_description: str | None = None,
) -> RealtimeAgent:
    """Build a :class:`RealtimeAgent`; plain functions in ``tools`` are wrapped with
    :func:`function_tool`. Duplicate tool names (tools and handoffs) raise ConfigError."""
    wrapped = [t if isinstance(t, FunctionTool) else function_tool(t) for t in _to_tuple(tools)]
    return RealtimeAgent(
        name=name,
        instructions=instructions,
        tools=wrapped,
        handoffs=_to_tuple(handoffs),
        output_guardrails=_to_tuple(output_guardrails),
        model_settings=model_settings,
        handoff_description=handoff_description,
    )


def resolve_instructions(agent: RealtimeAgent, ctx: RunContext) -> str:
    """The agent's instructions as a str: None gives ``""``; a callable is called with
    ``(ctx, agent)``, ``(ctx)`` or nothing, by its arity. Failures raise ConfigError."""
    value = agent.instructions
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    label = f"instructions of agent {agent.name!r}"
    try:
        result = run_maybe_awaitable(call_by_arity(value, label, (0, 1, 2), ctx, agent), what=label)
    except ConfigError:
        raise
    except Exception as err:
        raise ConfigError(f"{label} raised {type(err).__name__}: {err}") from err
    if not isinstance(result, str):
        raise ConfigError(f"{label} returned {type(result).__name__}, expected str")
    return result


def _as_handoff(entry: RealtimeAgent | Handoff) -> Handoff:
    return entry if isinstance(entry, Handoff) else handoff(entry)


def _enabled(entry: Handoff, owner: RealtimeAgent, ctx: RunContext) -> bool:
    if isinstance(entry.is_enabled, bool):
        return entry.is_enabled
    label = f"is_enabled of handoff {entry.tool_name!r}"
    try:
        result = call_by_arity(entry.is_enabled, label, (0, 1, 2), ctx, owner)
    except Exception as err:
        raise ConfigError(f"{label} raised {type(err).__name__}: {err}") from err
    if not isinstance(result, bool):
        raise ConfigError(f"{label} returned {type(result).__name__}, expected bool")
    return result


def handoffs_of(agent: RealtimeAgent, ctx: RunContext) -> tuple[Handoff, ...]:
    """The agent's enabled handoffs, agents wrapped as default :class:`Handoff` objects."""
    return tuple(h for h in map(_as_handoff, agent.handoffs) if _enabled(h, agent, ctx))


def find_handoff(agent: RealtimeAgent, tool_name: str) -> Handoff | None:
    """The handoff whose tool name is exactly ``tool_name`` (enabled or not), else None."""
    for entry in agent.handoffs:
        candidate = _as_handoff(entry)
        if candidate.tool_name == tool_name:
            return candidate
    return None


def find_tool(agent: RealtimeAgent, name: str) -> AnyFunctionTool | None:
    """The agent's function tool named exactly ``name``, else None."""
    return next((t for t in agent.tools if t.name == name), None)


def all_tool_definitions(agent: RealtimeAgent, ctx: RunContext) -> list[dict[str, Any]]:
    """GA tool dicts for ``session.update``: function tools, then enabled handoffs."""
    definitions = [t.to_definition() for t in agent.tools]
    definitions += [h.to_definition() for h in handoffs_of(agent, ctx)]
    return definitions


def invoke_handoff(entry: Handoff, ctx: RunContext) -> RealtimeAgent:
    """Run ``on_invoke`` (if any) and return the target agent; failures raise HandoffError."""
    label = f"handoff {entry.tool_name!r}"
    try:
        if entry.on_invoke is not None:
            run_maybe_awaitable(call_by_arity(entry.on_invoke, label, (0, 1), ctx), what=label)
        target = entry.agent if isinstance(entry.agent, RealtimeAgent) else entry.agent()
    except Exception as err:
        raise HandoffError(f"{label} failed: {type(err).__name__}: {err}") from err
    if not isinstance(target, RealtimeAgent):
        raise HandoffError(f"{label} resolved to {type(target).__name__}, not a RealtimeAgent")
    return target


def transfer_message(target: RealtimeAgent) -> str:
    """The ``function_call_output`` sent after a handoff: ``{"assistant": "<name>"}``."""
    return json.dumps({"assistant": target.name})
