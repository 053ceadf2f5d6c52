"""Configuration of the embedded simulator: the scripted model and per-connection faults.

A :class:`Scenario` decides what the simulated model says and does; a :class:`FaultPlan`
describes what goes wrong on one connection. Both are frozen attrs classes so a running
simulator can share them between its threads safely.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

FAILURE_CODES = ("insufficient_quota", "rate_limit_exceeded", "server_error")


@attrs.frozen(kw_only=True)
class ReplyContext:
    """What the scripted model sees when it composes a reply."""

    user_text: str
    """The text of the latest user message (or the transcript of the latest audio turn)."""
    instructions: str
    """The session's current instructions."""
    tool_names: tuple[str, ...]
    """Names of the function tools declared in the session."""
    history: tuple[str, ...]
    """Texts of earlier user and assistant messages, oldest first (the model's memory)."""
    last_tool_output: str | None = None
    """Output of the function call answered just before this response, if any."""


def default_reply(ctx: ReplyContext) -> str:
    """Echo the user, or report a tool's output when a tool was just answered."""
    if ctx.last_tool_output is not None:
        return f"The tool returned: {ctx.last_tool_output}"
    if not ctx.user_text:
        return "Hello! How can I help?"
    return f"You said: {ctx.user_text}"


@attrs.frozen(kw_only=True)
class FaultPlan:
    """Faults injected on one WebSocket connection. ``None`` fields inject nothing.

    Event counts are counted over server events sent on that connection, starting at 1
    with ``session.created``.
    """

    handshake_status: int | None = None
    """Answer the upgrade with this HTTP status (e.g. 401, 403) instead of 101."""
    drop_after_events: int | None = None
    """Drop the TCP connection (no close frame) after this many server events."""
    drop_mid_response: bool = False
    """Drop the TCP connection after the first output delta of the first response."""
    close_code: int | None = None
    """Close with this code (e.g. 1011, 1012) after ``close_after_events`` events."""
    close_after_events: int = 1
    expire_after_events: int | None = None
    """Send ``error`` ``session_expired`` then close 1001 after this many events."""
    malformed_after_events: int | None = None
    """Send one frame that is not JSON after this many events."""
    non_utf8_after_events: int | None = None
    """Send one text frame with invalid UTF-8 after this many events."""
    unknown_event_after_events: int | None = None
    """Send one event of an unknown type after this many events."""
    fail_responses: str | None = None
    """Fail every response with this ``status_details.error`` code (see FAILURE_CODES)."""
    fail_response_count: int | None = None
    """Fail only the first N responses (``None``: all)."""
    event_delay_s: float = 0.0
    """Sleep this long before each server event (slow network)."""

    def __attrs_post_init__(self) -> None:
        if self.fail_responses is not None and self.fail_responses not in FAILURE_CODES:
            raise ValueError(
                f"fail_responses must be one of {FAILURE_CODES}, got {self.fail_responses!r}"
            )


@attrs.frozen(kw_only=True)
class RestFault:
    """A fault on the audio REST endpoints: answer the next ``times`` requests with an error."""

    status: int
    """HTTP status: 401, 429, 500, 503."""
    code: str | None = None
    """OpenAI error code, e.g. ``invalid_api_key``, ``insufficient_quota``,
    ``rate_limit_exceeded``. Chosen from the status when omitted."""
    times: int = 1
    retry_after: float | None = None
    """``Retry-After`` header in seconds, for 429."""
    endpoint: str | None = None
    """``"transcriptions"`` or ``"speech"``; ``None`` applies to both."""
    drop_connection: bool = False
    """Close the TCP connection mid-body instead of answering."""


@attrs.frozen(kw_only=True)
class Scenario:
    """Behaviour of the simulated model and server. All callables must be thread-safe."""

    model: str = "gpt-realtime"
    reply: Callable[[ReplyContext], str] = default_reply
    """Computes the assistant's reply text from the conversation."""
    tool_arguments: Callable[[str, str], Mapping[str, Any] | None] | None = None
    """(tool name, user text) -> arguments of a scripted function call, used as given (the
    override). ``None``, or a function returning ``None`` for a tool, fills the arguments from
    the tool's JSON schema with values from the user's text (see ``tool_arguments.py``);
    :class:`~realtime_actors.simulator.tool_arguments.ScriptedArguments` reads a JSON table."""
    transcript: Callable[[bytes, int], str] | None = None
    """(pcm16 24 kHz bytes, turn index) -> transcript of an audio turn. ``None`` decodes the
    simulator's synthetic speech (see ``speech_codec``), falling back to ``"(inaudible)"``."""
    faults: FaultPlan | Callable[[int], FaultPlan | None] | None = None
    """One plan for every connection, or a function of the 0-based connection index."""
    rest_faults: tuple[RestFault, ...] = ()
    api_keys: frozenset[str] | None = None
    """Accepted bearer keys; ``None`` accepts any non-empty key."""
    idle_timeout_scale: float = 1.0
    """Multiplies the session's ``idle_timeout_ms`` (the service allows 5000 ms at least;
    tests use a small fraction)."""
    session_seconds: float = 3600
    """Session lifetime: reported in ``expires_at``; when it runs out the server sends
    ``session_expired`` and closes with 1001 (tests use fractions of a second)."""
    audio_delta_ms: tuple[int, int] = (20, 200)
    """Range of output audio delta durations (variable sizes, deterministic per response)."""
    text_delta_chars: tuple[int, int] = (3, 12)
    """Range of text/transcript delta lengths."""
    output_pacing: float = 0.0
    """0 sends response events as fast as possible; 1.0 paces output audio in real time
    (0.5 twice as fast). Pacing lets clients interrupt a response that is still running.
    It also paces the REST streams (transcription deltas, speech chunks)."""
    stt_latency_s: float = 0.0
    """Simulated processing time of a transcription request."""
    tts_latency_s: float = 0.0
    """Simulated processing time before the first speech byte."""
    seed: int = 0

    def faults_for(self, connection_index: int) -> FaultPlan:
        """The fault plan of one connection (an empty plan when none applies)."""
        plan = self.faults(connection_index) if callable(self.faults) else self.faults
        return plan if plan is not None else FaultPlan()
