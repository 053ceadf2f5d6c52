"""The function calls of a session: each call_id runs once, as a tool or as a handoff.

Part of the sans-I/O session core: methods return the effects to carry out. What the calls
need of the session core (its agent, sending, asking for a response, switching agent on a
handoff) comes through the narrow :class:`ToolHost` interface.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Protocol

from ...agents.agent import Handoff, RealtimeAgent, RunContext, find_handoff, find_tool
from ...protocol import client_events as ce
from ...tools.function_tool import ToolContext, ToolTimeoutError
from .. import events as ev
from .conversation import Conversation
from .effects import Effect, Emit, RunTool, Send, error

logger = logging.getLogger(__name__)


class ToolHost(Protocol):
    """What tool calls need of the session core."""

    @property
    def agent(self) -> RealtimeAgent:
        """The current agent (its tools and handoffs)."""

    @property
    def context(self) -> RunContext:
        """The run context handed to handoff callbacks."""

    @property
    def closed(self) -> bool:
        """The session was closed: a finished call reports nothing."""

    @property
    def advertised_tools(self) -> frozenset[str]:
        """Tool names of the last ``session.update``."""

    def send(self, frame: dict[str, Any]) -> Send:
        """A client event to send (with an event id)."""

    def request_response(self) -> list[Effect]:
        """Ask for a response (now or after the active one)."""

    def switch_agent(self, target: RealtimeAgent) -> Send:
        """Make ``target`` the agent; returns its ``session.update``."""


class ToolCalls:
    """Calls handled, tools running, and the steps of a call (one owner: the session core)."""

    def __init__(self, host: ToolHost, conversation: Conversation) -> None:
        self._host = host
        self._conversation = conversation
        self.handled: set[str] = set()
        """call_ids this session has handled: never run again."""
        self.running: dict[str, ToolContext] = {}
        """The context of each tool running, by call_id."""
        self.calls: dict[str, tuple[str, str]] = {}
        """(name, arguments) of each tool running, by call_id."""

    def on_function_call(self, call_id: str, name: str, arguments: str) -> list[Effect]:
        """The model called a tool: run it, or perform a handoff. A call_id this session has
        run before, or whose output the conversation already holds, never runs again."""
        if call_id in self.handled:
            return []
        self.handled.add(call_id)
        if self._conversation.has_output(call_id):
            logger.info("function call %s already has its output; not run again", call_id)
            return []
        agent = self._host.agent
        effects: list[Effect] = [
            Emit(ev.ToolStartEvent(agent=agent, tool_name=name, call_id=call_id,
                                   arguments=arguments))
        ]
        handoff = find_handoff(agent, name)
        if handoff is not None and name not in self._host.advertised_tools:
            # a disabled handoff the model was never offered: refuse it like an unknown tool
            logger.warning("model called handoff %s, which is not enabled", name)
            handoff = None
        if handoff is not None:
            return effects + self._handoff(handoff, call_id, name, arguments)
        tool = find_tool(agent, name)
        ctx = ToolContext(call_id=call_id, tool_name=name, agent_name=agent.name)
        self.running[call_id] = ctx
        self.calls[call_id] = (name, arguments)
        effects.append(RunTool(tool=tool, call_id=call_id, name=name, arguments=arguments,
                               context=ctx))
        return effects

    def restore_handled(self, call_ids: Iterable[str]) -> None:
        """Calls a previous session handled (a restored snapshot): never run here."""
        self.handled.update(call_ids)

    def cancel(self) -> None:
        """Tell every running tool it is cancelled."""
        for ctx in self.running.values():
            ctx.cancelled.set()

    def abandon(self, reason: str) -> list[Effect]:
        """Answer every running tool call with an error (its worker is gone)."""
        effects: list[Effect] = []
        for call_id in list(self.running):
            self.running[call_id].cancelled.set()
            effects.extend(self.on_outcome(call_id, f"Error: tool cancelled ({reason})",
                                           ok=False))
        return effects

    def on_outcome(self, call_id: str, output: str, ok: bool,
                   exc: BaseException | None = None) -> list[Effect]:
        """The executor finished a call we started (a failure is also an ErrorEvent)."""
        name, arguments = self.calls.pop(call_id, ("", ""))
        effects = self._done(call_id, name, arguments, output, ok)
        if not ok and not self._host.closed:
            code = "tool_timeout" if isinstance(exc, ToolTimeoutError) else "tool_error"
            effects.insert(1, error(f"tool {name!r} failed: {output}", "tool", code=code))
        return effects

    def _done(self, call_id: str, name: str, arguments: str, output: str,
              ok: bool) -> list[Effect]:
        """A call finished: report it, send its output, ask for the follow-up response."""
        self.running.pop(call_id, None)
        host = self._host
        if host.closed:
            return []
        return [
            Emit(ev.ToolEndEvent(agent=host.agent, tool_name=name, call_id=call_id,
                                 arguments=arguments, output=output, ok=ok)),
            host.send(ce.conversation_item_create(ce.function_call_output_item(call_id, output))),
            *host.request_response(),
        ]

    def _handoff(self, handoff: Handoff, call_id: str, name: str,
                 arguments: str) -> list[Effect]:
        """Switch agent, reconfigure, emit HandoffEvent, send the output, then respond."""
        host = self._host
        old = host.agent
        try:
            target = handoff.resolve(host.context, arguments)
        except Exception as exc:  # a user callback failed: tell the model, keep the agent
            logger.warning("handoff %s failed", name, exc_info=True)
            output = f"Error: handoff failed - {type(exc).__name__}: {exc}"
            return self._done(call_id, name, arguments, output, ok=False)
        effects: list[Effect] = [
            host.switch_agent(target),
            Emit(ev.HandoffEvent(from_agent=old, to_agent=target)),
        ]
        output = f"Handoff complete. You are now connected to {target.name}."
        return effects + self._done(call_id, name, arguments, output, ok=True)
