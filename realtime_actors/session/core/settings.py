"""The session settings the core sends: the layers of run config, agent and user overrides.

Pure functions of the session's configuration (part of the sans-I/O core).
"""

from __future__ import annotations

import logging

import attrs

from ...agents.agent import RealtimeAgent, RunContext, all_tool_definitions, resolve_instructions
from ...errors import ConfigError
from ...protocol.session_config import UNSET, SessionModelSettings
from ..run_config import RunConfig

logger = logging.getLogger(__name__)

AGENT_SCOPED_FIELDS = ("instructions", "tools")
"""Overrides that last until the next handoff (the next agent brings its own)."""


def effective_settings(agent: RealtimeAgent, context: RunContext, run_config: RunConfig,
                       overrides: SessionModelSettings) -> SessionModelSettings:
    """Run config, then the agent (instructions, tools), then user overrides.

    Resolves dynamic instructions and tools (user code). A forced ``tool_choice`` naming a
    tool the agent lacks (typically a handoff tool forced for the first agent) is dropped with
    a warning rather than sent stale.
    """
    agent_part = SessionModelSettings(
        instructions=resolve_instructions(agent, context),
        tools=tuple(all_tool_definitions(agent, context)),
    )
    layers = [*_static_layers(agent, run_config), agent_part, overrides]
    try:
        return _merge_all(layers)
    except ConfigError as exc:
        if "tool_choice" not in str(exc):
            raise
        logger.warning("dropping tool_choice for agent %r: %s", agent.name, exc)
        return _merge_all([attrs.evolve(layer, tool_choice=UNSET) for layer in layers])


def server_creates_responses(agent: RealtimeAgent, run_config: RunConfig,
                             overrides: SessionModelSettings) -> bool:
    """Whether server-side turn detection answers committed audio on its own (from the
    settings layers that can set it: no dynamic instructions or tools are resolved, so no
    user code runs)."""
    turn = _merge_all([attrs.evolve(layer, tools=UNSET, tool_choice=UNSET)
                       for layer in (*_static_layers(agent, run_config), overrides)]
                      ).turn_detection
    if turn is None:
        return False
    if turn is UNSET:
        return True  # the server default is server_vad with create_response
    return turn.create_response is not False


def without_agent_scoped(overrides: SessionModelSettings) -> SessionModelSettings:
    """The overrides that outlive a handoff."""
    return attrs.evolve(overrides, **{field: UNSET for field in AGENT_SCOPED_FIELDS})


def _static_layers(agent: RealtimeAgent, run_config: RunConfig) -> list[SessionModelSettings]:
    layers = [run_config.model_settings]
    if isinstance(agent.model_settings, SessionModelSettings):
        layers.append(agent.model_settings)
    return layers


def _merge_all(layers: list[SessionModelSettings]) -> SessionModelSettings:
    merged = layers[0]
    for layer in layers[1:]:
        merged = merged.merge(layer)
    return merged
