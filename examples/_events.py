"""Readable output for the realtime examples: one line per significant session event, the
counts of the summary line, and :func:`run_turn` which drives one user turn to its end."""

from __future__ import annotations

import time
from collections.abc import Callable

from _common import ExampleFailure, LiveGuard, say

import realtime_actors as rt

BYTES_PER_MS = 48
"""PCM16 mono at 24 kHz: 48 bytes per millisecond."""


class EventPrinter:
    """Prints session events as ``[agent] ...``, ``[tool] ...``, ``[handoff] ...``,
    ``[audio] ...``, ``[user] ...`` lines and counts them for the summary."""

    def __init__(self, *, keep_audio: bool = False, prefix: str = "",
                 echo_events: bool = True) -> None:
        self.prefix = prefix
        self.echo_events = echo_events
        """False: count events without printing them (lines from :meth:`say` still print)."""
        self.keep_audio = keep_audio
        self.audio = bytearray()
        """All output audio (PCM16 24 kHz) when ``keep_audio`` is set."""
        self.turns = 0
        self.responses = 0
        self.tools = 0
        self.handoffs = 0
        self.audio_bytes = 0
        self.last_reply = ""
        self.agent_name = "?"
        self._item_bytes: dict[str, int] = {}

    def say(self, line: str) -> None:
        """Print one line (whole, so the output of several threads never interleaves)."""
        say(f"{self.prefix}{line}")

    def _show(self, line: str) -> None:
        if self.echo_events:
            self.say(line)

    @property
    def audio_ms(self) -> int:
        """Milliseconds of output audio received."""
        return self.audio_bytes // BYTES_PER_MS

    def handle(self, event: rt.SessionEvent) -> None:
        """Print (and count) one event; minor events are ignored."""
        if isinstance(event, rt.AgentStartEvent):
            self.agent_name = event.agent.name
            self.responses += 1
        elif isinstance(event, rt.ToolStartEvent):
            self._show(f"[tool] {event.agent.name} calls {event.tool_name}({event.arguments})")
        elif isinstance(event, rt.ToolEndEvent):
            self.tools += 1
            status = "ok" if event.ok else "error"
            self._show(f"[tool] {event.tool_name} -> {event.output} ({status})")
        elif isinstance(event, rt.HandoffEvent):
            self.handoffs += 1
            self._show(f"[handoff] {event.from_agent.name} -> {event.to_agent.name}")
        elif isinstance(event, rt.AudioEvent):
            self.audio_bytes += len(event.data)
            self._item_bytes[event.item_id] = self._item_bytes.get(event.item_id, 0) + len(
                event.data)
            if self.keep_audio:
                self.audio.extend(event.data)
        elif isinstance(event, rt.AudioEndEvent):
            size = self._item_bytes.pop(event.item_id, 0)
            self._show(f"[audio] {size} bytes ({size // BYTES_PER_MS} ms) from {self.agent_name}")
        elif isinstance(event, rt.AudioInterruptedEvent):
            self._show(f"[audio] interrupted at {event.audio_end_ms} ms ({event.reason})")
        elif isinstance(event, rt.TranscriptCompletedEvent):
            if event.role == "user":
                self._show(f"[user] (heard) {event.transcript}")
            else:
                self.last_reply = event.transcript
                self._show(f"[agent] {self.agent_name}: {event.transcript}")
        elif isinstance(event, rt.GuardrailTrippedEvent):
            self._show(f"[guardrail] {event.guardrail_name} tripped: {event.info or event.text}")
        elif isinstance(event, rt.ErrorEvent):
            self.say(f"[error] {event.source} {event.code or event.type}: {event.message}")
        elif isinstance(event, rt.SessionEndedEvent):
            self._show(f"[session] ended ({event.reason})")


def _any(_event: rt.SessionEvent) -> bool:
    return True


def finish_turn(session: rt.Session, printer: EventPrinter, guard: LiveGuard,
                timeout: float) -> str:
    """Consume events until the turn's last response ends; return the reply transcript.

    A response that called tools (or handed off) is followed by another one, so the turn ends
    at the first response that called none. Error events are checked against the live skip
    rules, then fail the example.
    """
    deadline = time.monotonic() + timeout
    calls = 0
    while True:
        remaining = deadline - time.monotonic()
        try:
            event = session.wait_for(_any, timeout=max(0.001, remaining))
        except TimeoutError as err:
            raise ExampleFailure(f"the turn did not end within {timeout:.0f}s") from err
        printer.handle(event)
        if isinstance(event, rt.ErrorEvent):
            raise guard.fail(event, "the session reported an error")
        if isinstance(event, rt.SessionEndedEvent):
            raise ExampleFailure(f"the session ended during the turn: {event.reason}")
        if isinstance(event, rt.AgentStartEvent):
            calls = 0
        elif isinstance(event, rt.ToolStartEvent):
            calls += 1
        elif isinstance(event, rt.AgentEndEvent):
            if event.status not in (None, "completed"):
                raise ExampleFailure(f"the response ended with status {event.status}")
            if calls == 0:
                printer.turns += 1
                return printer.last_reply


def run_turn(session: rt.Session, text: str, printer: EventPrinter, guard: LiveGuard,
             timeout: float) -> str:
    """Send ``text`` as the user and return the reply once the turn has ended."""
    printer.say(f"[user] {text}")
    session.send_message(text)
    return finish_turn(session, printer, guard, timeout)


def run_session_turns(
    session_factory: Callable[[], rt.Session], texts: list[str], printer: EventPrinter,
    guard: LiveGuard, timeout: float,
) -> list[str]:
    """Open a session, run one turn per text, close it; errors raised while opening are
    checked against the skip rules too. Returns the replies."""
    try:
        session = session_factory()
    except rt.RealtimeError as err:
        raise guard.fail(err, "the session could not start") from err
    with session:
        return [run_turn(session, text, printer, guard, timeout) for text in texts]
