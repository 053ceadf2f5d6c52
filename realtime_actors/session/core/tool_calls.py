"""Tool calls and handoffs of :class:`~realtime_actors.session.core.session_core.
SessionCore` (a mixin: the state lives on the core; pure, no I/O)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ...agents.agent import Handoff, RealtimeAgent, RunContext, find_handoff, find_tool
from ...agents.guardrails import GuardrailChecker
from ...protocol import client_events as ce
from ...tools.function_tool import ToolContext, ToolTimeoutError
from .. import events as ev
from .effects import Effect, Emit, RunTool, Send
from .effects import error as error_event
from .settings import without_agent_scoped

if TYPE_CHECKING:
    from ...protocol.session_config import SessionModelSettings
    from ..run_config import RunConfig
    from .conversation import Conversation

logger = logging.getLogger(__name__)


class ToolCallsMixin:
    """The tool and handoff part of the session state machine."""

    # The state and steps of SessionCore this part uses (the core sets and defines them).
    agent: RealtimeAgent
    run_config: RunConfig
    context: RunContext
    overrides: SessionModelSettings
    guardrails: GuardrailChecker
    conversation: Conversation
    closed: bool
    handled_calls: set[str]
    advertised_tools: frozenset[str]
    running_tools: dict[str, ToolContext]
    tool_calls: dict[str, tuple[str, str]]

    if TYPE_CHECKING:
        def send(self, frame: dict[str, Any]) -> Send: ...
        def session_update(self) -> Send: ...
        def request_response(self) -> list[Effect]: ...

    # ------------------------------------------------------------------ tools
    def on_function_call(self, call_id: str, name: str, arguments: str) -> list[Effect]:
        """The model called a tool: run it, or perform a handoff. A call_id this session has
        run before, or whose output the conversation already holds, never runs again."""
        if call_id in self.handled_calls:
            return []
        self.handled_calls.add(call_id)
        if self.conversation.has_output(call_id):
            logger.info("function call %s already has its output; not run again", call_id)
            return []
        agent = self.agent
        effects: list[Effect] = [
            Emit(ev.ToolStartEvent(agent=agent, tool_name=name, call_id=call_id,
                                   arguments=arguments))
        ]
        handoff = find_handoff(agent, name)
        if handoff is not None and name not in self.advertised_tools:
            # a disabled handoff the model was never offered: refuse it like an unknown tool
            logger.warning("model called handoff %s, which is not enabled", name)
            handoff = None
        if handoff is not None:
            return effects + self.do_handoff(handoff, call_id, name, arguments)
        tool = find_tool(agent, name)
        ctx = ToolContext(call_id=call_id, tool_name=name, agent_name=agent.name)
        self.running_tools[call_id] = ctx
        self.tool_calls[call_id] = (name, arguments)
        effects.append(RunTool(tool=tool, call_id=call_id, name=name, arguments=arguments,
                               context=ctx))
        return effects

    def abandon_tools(self, reason: str) -> list[Effect]:
        """Answer every running tool call with an error (its worker is gone)."""
        effects: list[Effect] = []
        for call_id in list(self.running_tools):
            self.running_tools[call_id].cancelled.set()
            effects.extend(self.on_tool_outcome(call_id, f"Error: tool cancelled ({reason})",
                                                ok=False))
        return effects

    def on_tool_outcome(self, call_id: str, output: str, ok: bool,
                        error: BaseException | None = None) -> list[Effect]:
        """The executor finished a call we started (a failure is also an ErrorEvent)."""
        name, arguments = self.tool_calls.pop(call_id, ("", ""))
        effects = self.on_tool_done(call_id, name, arguments, output, ok)
        if not ok and not self.closed:
            code = "tool_timeout" if isinstance(error, ToolTimeoutError) else "tool_error"
            effects.insert(1, error_event(f"tool {name!r} failed: {output}", "tool", code=code))
        return effects

    def on_tool_done(self, call_id: str, name: str, arguments: str, output: str,
                     ok: bool) -> list[Effect]:
        """A tool finished: report it, send its output, ask for the follow-up response."""
        self.running_tools.pop(call_id, None)
        if self.closed:
            return []
        return [
            Emit(ev.ToolEndEvent(agent=self.agent, tool_name=name, call_id=call_id,
                                 arguments=arguments, output=output, ok=ok)),
            self.send(ce.conversation_item_create(ce.function_call_output_item(call_id, output))),
            *self.request_response(),
        ]

    def do_handoff(self, handoff: Handoff, call_id: str, name: str,
                   arguments: str) -> list[Effect]:
        """Switch agent, reconfigure, emit HandoffEvent, send the output, then respond."""
        old = self.agent
        try:
            target = handoff.resolve(self.context, arguments)
        except Exception as exc:  # a user callback failed: tell the model, keep the agent
            logger.warning("handoff %s failed", name, exc_info=True)
            output = f"Error: handoff failed - {type(exc).__name__}: {exc}"
            return self.on_tool_done(call_id, name, arguments, output, ok=False)
        self.agent = target
        self.overrides = without_agent_scoped(self.overrides)
        self.guardrails = GuardrailChecker(
            tuple(self.run_config.output_guardrails) + tuple(target.output_guardrails),
            debounce_chars=self.run_config.guardrail_debounce_chars,
        )
        effects: list[Effect] = [
            self.session_update(),
            Emit(ev.HandoffEvent(from_agent=old, to_agent=target)),
        ]
        output = f"Handoff complete. You are now connected to {target.name}."
        return effects + self.on_tool_done(call_id, name, arguments, output, ok=True)

