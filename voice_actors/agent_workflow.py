"""``AgentWorkflow``: answer each voice turn through one text-mode realtime session."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import TypeGuard

import realtime_actors
from realtime_actors.protocol.session_config import SessionModelSettings
from realtime_actors.session.events import (
    AgentEndEvent,
    AgentStartEvent,
    ErrorEvent,
    SessionEndedEvent,
    SessionEvent,
    TextDeltaEvent,
    ToolStartEvent,
)
from realtime_actors.session.run_config import ModelConfig, RunConfig
from voice_actors.errors import WorkflowError
from voice_actors.workflow import VoiceWorkflowBase

logger = logging.getLogger(__name__)


_AnswerEvent = (
    TextDeltaEvent | AgentStartEvent | ToolStartEvent | AgentEndEvent | ErrorEvent
    | SessionEndedEvent
)


def _is_answer_event(event: SessionEvent) -> TypeGuard[_AnswerEvent]:
    return isinstance(event, _AnswerEvent)


def _failed_response(status: str, error: ErrorEvent | None) -> WorkflowError:
    """The error of a response that ended ``failed`` (or cancelled, incomplete)."""
    if error is None:
        return WorkflowError(f"the agent's response ended with status {status}")
    return WorkflowError(
        f"the agent's response ended with status {status} ({error.code}): {error.message}",
        code=error.code,
    )


class AgentWorkflow(VoiceWorkflowBase):
    """Sends each transcript to a realtime ``agent`` and streams its text answer.

    The session (text output, no turn detection) is opened at the first turn and kept while
    the pipeline actor runs, so the agent remembers earlier turns. :meth:`close` (called when
    the pipeline actor stops or crashes) closes it; a turn after that (a restarted pipeline)
    opens a new session, without the earlier conversation. ``greeting`` is spoken as a first
    turn if given.
    """

    def __init__(
        self,
        agent: realtime_actors.RealtimeAgent,
        *,
        model_config: ModelConfig | None = None,
        turn_timeout_s: float = 60.0,
        greeting: str | None = None,
    ) -> None:
        self._agent = agent
        self._model_config = model_config if model_config is not None else ModelConfig()
        self._turn_timeout_s = turn_timeout_s
        self.greeting = greeting
        self._lock = threading.Lock()
        self._session: realtime_actors.Session | None = None

    def _ensure_session(self) -> realtime_actors.Session:
        with self._lock:
            if self._session is None or not self._session.is_alive():
                settings = SessionModelSettings(output_modalities=("text",), turn_detection=None)
                self._session = realtime_actors.run(
                    self._agent,
                    config=RunConfig(model_settings=settings, raw_events=False),
                    model_config=self._model_config,
                )
            return self._session

    def on_start(self) -> list[str]:
        """``[greeting]`` when a greeting was given."""
        return [self.greeting] if self.greeting is not None else []

    def run(self, transcript: str) -> Iterator[str]:
        """Send the transcript as a user message; yield the answer's text deltas."""
        session = self._ensure_session()
        session.send_message(transcript)
        deadline = time.monotonic() + self._turn_timeout_s
        calls_in_response = 0  # a response that called tools is followed by another one
        last_error: ErrorEvent | None = None  # a failed response reports its error first
        while True:
            remaining = deadline - time.monotonic()
            try:
                event = session.wait_for(_is_answer_event, timeout=max(0.0, remaining))
            except TimeoutError as exc:
                raise WorkflowError(
                    f"the agent did not answer within {self._turn_timeout_s}s"
                ) from exc
            if isinstance(event, TextDeltaEvent):
                yield event.delta
            elif isinstance(event, AgentStartEvent):
                calls_in_response = 0
            elif isinstance(event, ToolStartEvent):
                calls_in_response += 1
            elif isinstance(event, AgentEndEvent):
                if event.status not in (None, "completed"):
                    raise _failed_response(event.status, last_error)
                if calls_in_response == 0:
                    return
            elif isinstance(event, SessionEndedEvent):
                raise WorkflowError(f"the realtime session ended: {event.reason}")
            elif not event.recoverable:
                raise WorkflowError(
                    f"realtime session error ({event.code}): {event.message}", code=event.code
                )
            else:
                last_error = event
                logger.warning("AgentWorkflow: realtime error %s: %s", event.code, event.message)

    def close(self) -> None:
        """Close the realtime session, if one is open (idempotent)."""
        with self._lock:
            session, self._session = self._session, None
        if session is not None:
            session.close()
