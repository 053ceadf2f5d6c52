"""Tests of RealtimeAgent, agent(), handoffs, instruction resolution and tool definitions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from realtime_actors.agents.agent import (
    Handoff,
    HandoffError,
    RealtimeAgent,
    RunContext,
    agent,
    all_tool_definitions,
    find_handoff,
    find_tool,
    handoff,
    handoff_tool_name,
    handoffs_of,
    invoke_handoff,
    resolve_instructions,
    transfer_message,
)
from realtime_actors.errors import ConfigError, RealtimeError
from realtime_actors.tools.function_tool import FunctionTool, function_tool

CTX = RunContext(context={"user": "ada"})
EMPTY_PARAMS = {"type": "object", "properties": {}, "required": [], "additionalProperties": False}


def lookup_order(order_id: str) -> str:
    """Look up an order.

    Args:
        order_id: The order number.
    """
    return order_id


@function_tool
def refund(order_id: str, amount: float) -> str:
    """Refund an order."""
    return f"{order_id}:{amount}"


# ----------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("TechSupport", "transfer_to_tech_support"),
        ("Billing Agent", "transfer_to_billing_agent"),
        ("billing", "transfer_to_billing"),
        ("HTTPServer", "transfer_to_http_server"),
        ("  Sales & Returns!  ", "transfer_to_sales_returns"),
        ("sales-rep 2", "transfer_to_sales_rep_2"),
        ("Café Bot", "transfer_to_cafe_bot"),
        ("O'Brien", "transfer_to_obrien"),
    ],
)
def test_handoff_tool_name_is_snake_case_with_prefix(name: str, expected: str) -> None:
    assert handoff_tool_name(name) == expected


def test_handoff_tool_name_rejects_names_without_usable_characters_or_too_long() -> None:
    with pytest.raises(ConfigError, match="cannot derive"):
        handoff_tool_name("!!!")
    with pytest.raises(ConfigError, match="exceeds 64"):
        handoff_tool_name("x" * 60)


# ----------------------------------------------------------------------- agent()


def test_agent_factory_wraps_plain_functions_and_accepts_lists() -> None:
    support = agent(name="Support", instructions="Help.", tools=[lookup_order, refund])
    assert isinstance(support, RealtimeAgent)
    assert all(isinstance(t, FunctionTool) for t in support.tools)
    assert [t.name for t in support.tools] == ["lookup_order", "refund"]
    assert isinstance(support.tools, tuple) and support.handoffs == ()
    assert find_tool(support, "refund") is refund
    assert find_tool(support, "ref") is None


def test_duplicate_tool_names_across_tools_and_handoffs_are_config_errors() -> None:
    billing = agent(name="Billing")

    @function_tool(name="transfer_to_billing")
    def fake() -> None:
        """Clashes with the handoff tool."""

    with pytest.raises(ConfigError, match="transfer_to_billing"):
        agent(name="Triage", tools=[fake], handoffs=[billing])
    with pytest.raises(ConfigError, match="'refund'"):
        agent(name="Triage", tools=[refund, refund])
    with pytest.raises(ConfigError, match="transfer_to_billing"):
        agent(name="Triage", handoffs=[billing, handoff(billing)])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "non-empty"),
        ({"name": "A", "instructions": 42}, "must be a str, a callable or None"),
        ({"name": "A", "instructions": lambda a, b, c: ""}, "0 or 1 or 2 positional"),
        ({"name": "A", "handoffs": ["B"]}, "RealtimeAgent or Handoff"),
        ({"name": "A", "output_guardrails": [1]}, "must be callable"),
        ({"name": "A", "tools": refund}, "list or tuple"),
        ({"name": "A", "model_settings": {"voice": "ash"}}, "must be a SessionModelSettings"),
    ],
)
def test_invalid_agent_configuration_is_config_error(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        agent(**kwargs)


def test_direct_construction_rejects_plain_function_tools() -> None:
    with pytest.raises(ConfigError, match="tools must be FunctionTool"):
        RealtimeAgent(name="A", tools=(lookup_order,))  # type: ignore[arg-type]


def test_clone_replaces_fields_and_revalidates() -> None:
    base = agent(name="A", instructions="one", tools=[refund])
    copy = base.clone(instructions="two")
    assert (copy.name, copy.instructions, copy.tools) == ("A", "two", (refund,))
    assert base.instructions == "one"
    with pytest.raises(ConfigError):
        base.clone(tools=(refund, refund))


# ----------------------------------------------------------------------- instructions


def test_resolve_instructions_handles_str_none_and_each_arity() -> None:
    assert resolve_instructions(agent(name="A", instructions="Be brief."), CTX) == "Be brief."
    assert resolve_instructions(agent(name="A"), CTX) == ""
    two = agent(name="Two", instructions=lambda ctx, ag: f"{ctx.context['user']} {ag.name}")
    assert resolve_instructions(two, CTX) == "ada Two"
    one = agent(name="One", instructions=lambda ctx: ctx.context["user"])
    assert resolve_instructions(one, CTX) == "ada"
    zero = agent(name="Zero", instructions=lambda: "static")
    assert resolve_instructions(zero, CTX) == "static"

    def with_default(ctx: RunContext, ag: RealtimeAgent, extra: str = "!") -> str:
        return ag.name + extra

    assert resolve_instructions(agent(name="D", instructions=with_default), CTX) == "D!"


def test_async_instructions_are_awaited() -> None:
    async def dynamic(ctx: RunContext) -> str:
        return "async " + ctx.context["user"]

    assert resolve_instructions(agent(name="A", instructions=dynamic), CTX) == "async ada"


def test_instruction_errors_are_config_errors_naming_the_agent() -> None:
    def broken(ctx: RunContext) -> str:
        raise KeyError("nope")

    with pytest.raises(ConfigError, match=r"'Broken'.*KeyError") as info:
        resolve_instructions(agent(name="Broken", instructions=broken), CTX)
    assert isinstance(info.value.__cause__, KeyError)
    with pytest.raises(ConfigError, match=r"'Num'.*returned int"):
        resolve_instructions(agent(name="Num", instructions=lambda: 3), CTX)


# ----------------------------------------------------------------------- handoffs


def test_handoff_definitions_and_defaults() -> None:
    tech = agent(name="TechSupport", handoff_description="  Fixes devices.  ")
    triage = agent(name="Triage", tools=[refund], handoffs=[tech])
    definitions = all_tool_definitions(triage, CTX)
    assert json.loads(json.dumps(definitions)) == definitions
    assert [d["name"] for d in definitions] == ["refund", "transfer_to_tech_support"]
    assert definitions[0] == refund.to_definition()
    assert definitions[1] == {
        "type": "function",
        "name": "transfer_to_tech_support",
        "description": "Handoff to the TechSupport agent to handle the request. Fixes devices.",
        "parameters": EMPTY_PARAMS,
    }


def test_find_handoff_matches_exact_names_only() -> None:
    support = agent(name="Support")
    tech = agent(name="TechSupport")
    triage = agent(name="Triage", handoffs=[tech, handoff(support, tool_name="escalate")])
    found = find_handoff(triage, "transfer_to_tech_support")
    assert found is not None and found.agent is tech
    assert find_handoff(triage, "transfer_to_support") is None
    assert find_handoff(triage, "support") is None
    escalate = find_handoff(triage, "escalate")
    assert escalate is not None and escalate.agent is support


def test_is_enabled_filters_handoffs_with_context_and_owner() -> None:
    seen: list[tuple[RunContext, RealtimeAgent]] = []

    def only_for_ada(ctx: RunContext, owner: RealtimeAgent) -> bool:
        seen.append((ctx, owner))
        return ctx.context["user"] == "ada"

    vip = handoff(agent(name="VIP"), is_enabled=only_for_ada)
    off = handoff(agent(name="Off"), is_enabled=False)
    triage = agent(name="Triage", handoffs=[vip, off, agent(name="Billing")])
    names = [h.tool_name for h in handoffs_of(triage, CTX)]
    assert names == ["transfer_to_vip", "transfer_to_billing"]
    assert seen == [(CTX, triage)]
    assert [h.tool_name for h in handoffs_of(triage, RunContext(context={"user": "bob"}))] == [
        "transfer_to_billing"
    ]
    assert find_handoff(triage, "transfer_to_off") is off  # lookup ignores enablement


def test_is_enabled_errors_are_config_errors() -> None:
    bad = handoff(agent(name="X"), is_enabled=lambda ctx: "yes")
    with pytest.raises(ConfigError, match="returned str, expected bool"):
        handoffs_of(agent(name="T", handoffs=[bad]), CTX)


def test_invoke_handoff_runs_on_invoke_and_returns_the_target() -> None:
    calls: list[RunContext] = []
    target = agent(name="Billing")
    entry = handoff(target, on_invoke=calls.append)
    assert invoke_handoff(entry, CTX) is target
    assert entry.resolve(CTX, "{}") is target
    assert calls == [CTX, CTX]
    assert transfer_message(target) == '{"assistant": "Billing"}'


def test_lazy_handoff_target_allows_agents_that_hand_back() -> None:
    agents: dict[str, RealtimeAgent] = {}
    back = handoff(lambda: agents["triage"], tool_name="transfer_to_triage")
    agents["tech"] = agent(name="Tech", handoffs=[back])
    agents["triage"] = agent(name="Triage", handoffs=[agents["tech"]])
    to_tech = find_handoff(agents["triage"], "transfer_to_tech")
    to_triage = find_handoff(agents["tech"], "transfer_to_triage")
    assert to_tech is not None and to_triage is not None
    assert invoke_handoff(to_tech, CTX) is agents["tech"]
    assert invoke_handoff(to_triage, CTX) is agents["triage"]
    with pytest.raises(ConfigError, match="tool_name"):
        handoff(lambda: agents["triage"])


def test_failing_handoff_raises_handoff_error() -> None:
    def explode(ctx: RunContext) -> None:
        raise RuntimeError("db down")

    with pytest.raises(HandoffError, match="db down"):
        invoke_handoff(handoff(agent(name="B"), on_invoke=explode), CTX)
    with pytest.raises(HandoffError, match="not a RealtimeAgent"):
        invoke_handoff(handoff(lambda: "nope", tool_name="transfer_to_nope"), CTX)  # type: ignore[arg-type, return-value]
    assert issubclass(HandoffError, RealtimeError)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tool_name": "bad name"}, "invalid handoff tool name"),
        ({"tool_name": "x", "on_invoke": lambda a, b: None}, "0 or 1 positional"),
        ({"tool_name": "x", "is_enabled": "yes"}, "bool or callable"),
    ],
)
def test_invalid_handoff_is_config_error(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        handoff(agent(name="B"), **kwargs)
    with pytest.raises(ConfigError, match="handoff target"):
        Handoff(agent="B", tool_name="x", tool_description="")  # type: ignore[arg-type]
