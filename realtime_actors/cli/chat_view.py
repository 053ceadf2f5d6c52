"""How ``realtime-actors chat`` shows a session: streamed assistant text, tool calls,
handoffs and errors, one line each, and when a user turn is over.

:class:`ChatView` is fed session events in order (from one thread) and writes to a text
stream; it has no I/O of its own besides that stream.
"""

from __future__ import annotations

import threading
from typing import TextIO

from ..agents.agent import find_handoff
from ..session import events as ev


class ChatView:
    """Renders session events as chat lines and tracks the end of each user turn.

    ``handle`` is called from one thread; ``line`` may also be called from another (writes
    are serialised).

    A turn is over when a response ends while no tool call is running and no tool output is
    waiting for its follow-up response (every tool output asks for one), or when the
    session ends.
    """

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._lock = threading.Lock()
        self._speaker: str | None = None
        """Name of the agent whose text line is open (None: at the start of a line)."""
        self._agent_name = ""
        self._running_calls: set[str] = set()
        self._handoff_calls: set[str] = set()
        self._awaiting_followup = False
        self.connected = False
        """The session's first connection is open."""
        self.ended_reason: str | None = None
        """Set when the session ended (``closed`` when it was closed by the user)."""
        self.connect_failure: str | None = None
        """Before the first connection: the one line saying why it could not be made (the
        error, disconnect and end events are then not shown one by one)."""

    def handle(self, event: ev.SessionEvent) -> bool:
        """Show ``event``; returns True when it completes the current user turn."""
        if isinstance(event, ev.AgentStartEvent):
            self._awaiting_followup = False
            self._agent_name = event.agent.name
        elif isinstance(event, ev.TextDeltaEvent):
            self._text(event.delta)
        elif isinstance(event, ev.TranscriptDeltaEvent):
            if event.role == "assistant":
                self._text(event.delta)
        elif isinstance(event, ev.ToolStartEvent):
            self._running_calls.add(event.call_id)
            if find_handoff(event.agent, event.tool_name) is not None:
                self._handoff_calls.add(event.call_id)
        elif isinstance(event, ev.ToolEndEvent):
            return self._tool_end(event)
        elif isinstance(event, ev.HandoffEvent):
            self.line(f"[handoff] {event.from_agent.name} -> {event.to_agent.name}")
        elif isinstance(event, ev.AgentEndEvent):
            return self._agent_end(event)
        elif not self.connected and isinstance(event, ev.ErrorEvent | ev.ConnectionEvent
                                               | ev.SessionEndedEvent):
            return self._before_connected(event)
        elif isinstance(event, ev.ErrorEvent):
            code = f" {event.code}" if event.code else ""
            self.line(f"[error] {event.source}{code}: {event.message}")
        elif isinstance(event, ev.GuardrailTrippedEvent):
            info = f": {event.info}" if event.info else ""
            self.line(f"[guardrail] {event.guardrail_name} stopped the response{info}")
        elif isinstance(event, ev.ConnectionEvent):
            self._connection(event)
        elif isinstance(event, ev.SessionEndedEvent):
            self.ended_reason = event.reason
            if event.reason != "closed":
                self.line(f"[session ended] {event.reason}")
            return True
        return False

    # ------------------------------------------------------------------ events
    def _before_connected(self, event: ev.SessionEvent) -> bool:
        if isinstance(event, ev.ConnectionEvent):
            if event.status == "connected":
                self._connection(event)
            elif event.status == "disconnected" and event.reason and self.connect_failure:
                detail = event.reason.removeprefix("handshake failed: ")
                if detail.startswith("HTTP "):
                    self.connect_failure = f"{self.connect_failure.split(':')[0]}: {detail}"
            elif event.status == "reconnecting":
                self._connection(event)
            return False
        if isinstance(event, ev.ErrorEvent):
            code = f" {event.code}" if event.code else ""
            if event.recoverable:
                self.line(f"[error] {event.source}{code}: {event.message}")
            else:
                self.connect_failure = f"[error] {event.source}{code}: {event.message}"
            return False
        assert isinstance(event, ev.SessionEndedEvent)
        self.ended_reason = event.reason
        return True

    def _tool_end(self, event: ev.ToolEndEvent) -> bool:
        self._running_calls.discard(event.call_id)
        self._awaiting_followup = True
        if event.call_id in self._handoff_calls:
            self._handoff_calls.discard(event.call_id)
        else:
            failed = "" if event.ok else " (failed)"
            self.line(f"[tool] {event.tool_name}({event.arguments}) -> {event.output}{failed}")
        return False

    def _agent_end(self, event: ev.AgentEndEvent) -> bool:
        self._end_text_line()
        if event.status not in (None, "completed"):
            self.line(f"[response {event.status}]")
        return not self._running_calls and not self._awaiting_followup

    def _connection(self, event: ev.ConnectionEvent) -> None:
        if event.status == "connected":
            self.connected = True
            if event.attempt:
                self.line(f"[connection] reconnected (attempt {event.attempt})")
        elif event.status in ("reconnecting", "disconnected"):
            reason = f": {event.reason}" if event.reason else ""
            self.line(f"[connection] {event.status}{reason}")

    # ------------------------------------------------------------------ output
    def _text(self, delta: str) -> None:
        if not delta:
            return
        with self._lock:
            if self._speaker is None:
                self._speaker = self._agent_name or "assistant"
                self._out.write(f"{self._speaker}> ")
            self._out.write(delta)
            self._out.flush()

    def _end_text_line(self) -> None:
        with self._lock:
            self._close_text_line()

    def _close_text_line(self) -> None:
        if self._speaker is not None:
            self._speaker = None
            self._out.write("\n")
            self._out.flush()

    def line(self, text: str) -> None:
        """Write one full line, first ending any assistant text in progress."""
        with self._lock:
            self._close_text_line()
            self._out.write(text + "\n")
            self._out.flush()
