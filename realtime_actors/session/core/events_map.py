"""How each GA server event changes the session and which session events it produces.

Part of the sans-I/O core: handlers read the typed server event (fields named as on the wire),
tell the core's state objects (responses, audio output, conversation, tool calls, journal) what
happened through their methods, and return effects. Dispatch is a dict lookup on the event's
class (on the wire type for anything else, e.g. a subclass).
"""

from __future__ import annotations

import binascii
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...errors import AudioFormatError
from ...protocol.server_events_base import SERVER_EVENT_TYPES, UnknownServerEvent
from .. import events as ev
from .effects import Effect, Emit, error

if TYPE_CHECKING:
    from .session_core import SessionCore

logger = logging.getLogger(__name__)

Handler = Callable[[Any], list[Effect]]

MAX_UNKNOWN_TYPES = 256
"""Distinct unknown event types remembered (and logged) per session; later ones are not
logged, so a misbehaving server cannot grow the set or flood the log without bound."""


_a2b_base64 = binascii.a2b_base64
"""What ``decode_base64_audio`` calls (through ``base64.b64decode(validate=True)``)."""


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class ServerEventMapper:
    """Dispatches server events to handlers bound to one :class:`SessionCore`."""

    def __init__(self, core: SessionCore) -> None:
        self.core = core
        self.handlers: dict[str, Handler] = {
            "error": self.on_error,
            "response.created": self.on_response_created,
            "response.done": self.on_response_done,
            "response.output_audio.delta": self.on_audio_delta,
            "response.output_audio.done": self.on_audio_done,
            "response.output_audio_transcript.delta": self.on_transcript_delta,
            "response.output_audio_transcript.done": self.on_transcript_done,
            "response.output_text.delta": self.on_text_delta,
            "response.output_text.done": self.on_transcript_done,
            "response.output_item.added": self.on_output_item_added,
            "response.output_item.done": self.on_output_item_done,
            "conversation.item.added": self.on_item,
            "conversation.item.done": self.on_item,
            "conversation.item.created": self.on_item,
            "conversation.item.retrieved": self.on_item,
            "conversation.item.deleted": self.on_item_deleted,
            "conversation.item.truncated": self.on_item_truncated,
            "conversation.item.input_audio_transcription.delta": self.on_input_delta,
            "conversation.item.input_audio_transcription.completed": self.on_input_completed,
            "conversation.item.input_audio_transcription.failed": self.on_input_failed,
            "input_audio_buffer.speech_started": self.on_speech_started,
            "input_audio_buffer.speech_stopped": self.on_speech_stopped,
            "input_audio_buffer.committed": self.on_committed,
            "input_audio_buffer.timeout_triggered": self.on_timeout_triggered,
        }
        self.by_class: dict[type, Handler] = {
            SERVER_EVENT_TYPES[name]: handler for name, handler in self.handlers.items()
            if name in SERVER_EVENT_TYPES
        }
        """The same handlers keyed by event class (one dict lookup per event)."""
        self.unknown_types: set[str] = set()
        """Unknown server event types seen so far (each is logged once per session)."""

    def handle(self, event: Any) -> list[Effect]:
        """Effects of one server event (unknown and uninteresting types produce none).

        An unknown type is not an error (the server may add event types at any time): it is
        ignored, logged at WARNING the first time it is seen, and still reaches
        ``RawModelEvent`` subscribers when raw events are on."""
        handler = self.by_class.get(type(event))
        if handler is not None:
            return handler(event)
        if isinstance(event, UnknownServerEvent):
            if event.type not in self.unknown_types and len(self.unknown_types) < MAX_UNKNOWN_TYPES:
                self.unknown_types.add(event.type)
                logger.warning("ignoring server event of unknown type %r (event_id %s); "
                               "further ones of this type are ignored silently",
                               event.type[:100], event.event_id)
            return []
        handler = self.handlers.get(event.type)
        return handler(event) if handler is not None else []

    # -------------------------------------------------------------- errors and responses
    def on_error(self, event: Any) -> list[Effect]:
        core = self.core
        err = event.error
        code = _str(getattr(err, "code", None))
        client_event_id = _str(getattr(err, "event_id", None))
        effects: list[Effect] = [
            error(
                _str(getattr(err, "message", None)) or "server error",
                "server",
                code=code,
                type=_str(getattr(err, "type", None)),
                param=_str(getattr(err, "param", None)),
                event_id=client_event_id,
                recoverable=code not in ("session_expired", "beta_api_shape_disabled"),
            )
        ]
        if core.responses.on_error(client_event_id, code):
            effects.extend(core.request_response())
        core.journal.commit_rejected(client_event_id)
        return effects

    def on_response_created(self, event: Any) -> list[Effect]:
        core = self.core
        response = event.response
        response_id = _str(getattr(response, "id", None))
        in_default = getattr(response, "conversation_id", "auto") is not None
        core.responses.on_created(response_id, in_default, core.agent)
        if not in_default:
            return []
        return [Emit(ev.AgentStartEvent(agent=core.agent, response_id=response_id))]

    def on_response_done(self, event: Any) -> list[Effect]:
        core = self.core
        response = event.response
        response_id = _str(getattr(response, "id", None))
        status = _str(getattr(response, "status", None))
        effects: list[Effect] = []
        if status == "failed":
            details = getattr(response, "status_details", None)
            err = getattr(details, "error", None)
            code = _str(getattr(err, "code", None))
            message = _str(getattr(err, "message", None)) or (
                f"response failed ({code})" if code else "response failed"
            )
            effects.append(error(message, "response", code=code,
                                 type=_str(getattr(err, "type", None)),
                                 response_id=response_id))
        if response_id is not None:
            core.guardrails.reset(response_id)
        ended = core.responses.on_done(response_id)
        if ended.agent is not None or response_id is None:
            effects.append(Emit(ev.AgentEndEvent(agent=ended.agent or core.agent,
                                                 response_id=response_id,
                                                 status=ev.response_status(status))))
        if ended.send_deferred:
            effects.extend(core.request_response())
        return effects

    def on_output_item_added(self, event: Any) -> list[Effect]:
        self.core.responses.item_added(_str(event.response_id),
                                       _str(getattr(event.item, "id", None)))
        return []

    def on_output_item_done(self, event: Any) -> list[Effect]:
        """An output item arrived complete: it is part of the conversation from now on (a
        connection lost before ``response.done`` restores it instead of redoing it); a
        complete function call runs (once per call_id)."""
        core = self.core
        item = event.item
        status = getattr(item, "status", "completed")
        effects: list[Effect] = []
        item_id = _str(getattr(item, "id", None))
        if status in (None, "completed") and item_id is not None:
            core.responses.item_done(_str(event.response_id), item_id)
            effects = core.conversation.upsert(getattr(item, "raw", None))
        if getattr(item, "type", None) != "function_call":
            return effects
        if status not in (None, "completed"):
            return effects  # a call cut off by a cancel is not run
        call_id, name = _str(item.call_id), _str(item.name)
        if not call_id or not name:
            logger.warning("function_call item %s without call_id or name: not run",
                           _str(getattr(item, "id", None)))
            effects.append(error("function_call item without call_id or name", "protocol",
                                 code="invalid_item", response_id=_str(event.response_id)))
            return effects
        return effects + core.tool_calls.on_function_call(call_id, name,
                                                          _str(item.arguments) or "")

    # -------------------------------------------------------------- audio and text
    def on_audio_delta(self, event: Any) -> list[Effect]:
        core = self.core
        delta = event.delta
        data: bytes | None = None
        if type(delta) is str:
            # what ``audio_bytes`` does for a str, minus its wrappers (the hot path)
            try:
                data = _a2b_base64(delta, strict_mode=True)
            except ValueError:
                data = None  # audio_bytes() below raises the typed error
        if data is None:
            try:
                data = event.audio_bytes()
            except AudioFormatError as exc:
                logger.warning("dropping output audio delta of item %s (response %s): %s",
                               event.item_id, event.response_id, exc)
                return [error(f"invalid audio delta: {exc}", "protocol",
                              code="invalid_audio", response_id=_str(event.response_id))]
        item_id, index = event.item_id, event.content_index or 0
        if not core.audio.delta(item_id, index, len(data), event.response_id,
                                core.responses.tripped):
            return []
        return [Emit(ev.AudioEvent(data=data, item_id=item_id, content_index=index,
                                   response_id=_str(event.response_id)))]

    def on_audio_done(self, event: Any) -> list[Effect]:
        self.core.audio.ended(event.item_id, event.content_index or 0)
        return [Emit(ev.AudioEndEvent(item_id=event.item_id,
                                      content_index=event.content_index or 0,
                                      response_id=_str(event.response_id)))]

    def on_transcript_delta(self, event: Any) -> list[Effect]:
        effects: list[Effect] = [Emit(ev.TranscriptDeltaEvent(
            item_id=event.item_id, delta=event.delta or "", role="assistant",
            response_id=_str(event.response_id)))]
        return effects + self._guard(event)

    def on_text_delta(self, event: Any) -> list[Effect]:
        effects: list[Effect] = [Emit(ev.TextDeltaEvent(
            item_id=event.item_id, delta=event.delta or "",
            response_id=_str(event.response_id)))]
        return effects + self._guard(event)

    def _guard(self, event: Any) -> list[Effect]:
        core = self.core
        response_id = _str(event.response_id)
        if response_id is None or response_id in core.responses.tripped:
            return []
        return core.on_guardrail_trips(core.guardrails.feed(response_id, event.delta or ""))

    def on_transcript_done(self, event: Any) -> list[Effect]:
        core = self.core
        text = _str(getattr(event, "transcript", None))
        if text is None:
            text = _str(getattr(event, "text", None)) or ""
        field = "text" if event.type == "response.output_text.done" else "transcript"
        effects: list[Effect] = [Emit(ev.TranscriptCompletedEvent(
            item_id=event.item_id, transcript=text, role="assistant"))]
        effects += core.conversation.update(event.item_id, **{field: text})
        response_id = _str(event.response_id)
        if response_id is not None and response_id not in core.responses.tripped:
            effects.extend(core.on_guardrail_trips(core.guardrails.finish(response_id)))
        return effects

    # -------------------------------------------------------------- history
    def on_item(self, event: Any) -> list[Effect]:
        item = getattr(event, "item", None)
        raw = getattr(item, "raw", None)
        return self.core.conversation.upsert(raw, _str(getattr(event, "previous_item_id", None)))

    def on_item_deleted(self, event: Any) -> list[Effect]:
        self.core.journal.transcript_known(event.item_id)
        return self.core.conversation.delete(event.item_id)

    def on_item_truncated(self, event: Any) -> list[Effect]:
        return self.core.conversation.update(event.item_id, truncated_at_ms=event.audio_end_ms)

    def on_input_delta(self, event: Any) -> list[Effect]:
        return [Emit(ev.TranscriptDeltaEvent(item_id=event.item_id, delta=event.delta or "",
                                             role="user"))]

    def on_input_completed(self, event: Any) -> list[Effect]:
        core = self.core
        transcript = _str(event.transcript) or ""
        if transcript:  # the words restore the turn from now on; its audio may go
            core.journal.transcript_known(event.item_id)
        effects: list[Effect] = [Emit(ev.TranscriptCompletedEvent(
            item_id=event.item_id, transcript=transcript, role="user"))]
        return effects + core.conversation.update(event.item_id, transcript=transcript)

    def on_input_failed(self, event: Any) -> list[Effect]:
        err = event.error
        return [error(
            _str(getattr(err, "message", None)) or "input audio transcription failed",
            "transcription", code=_str(getattr(err, "code", None)),
            type=_str(getattr(err, "type", None)))]

    def on_speech_started(self, event: Any) -> list[Effect]:
        # The user barged in: the server cancels its response (interrupt_response); the
        # client must cut the audio it is playing. Not a response boundary.
        self.core.journal.speech_started(getattr(event, "audio_start_ms", None))
        return self.core.truncate_audio("user_speech")

    def on_speech_stopped(self, event: Any) -> list[Effect]:
        self.core.journal.speech_stopped(getattr(event, "audio_end_ms", None))
        return []

    def on_committed(self, event: Any) -> list[Effect]:
        core = self.core
        if core.journal.committed(event.item_id) and core.server_creates_responses():
            core.responses.turn_committed()  # server VAD answers it: until then, a drop loses it
        return []

    def on_timeout_triggered(self, event: Any) -> list[Effect]:
        return [Emit(ev.InputAudioTimeoutTriggeredEvent(
            item_id=_str(event.item_id), audio_start_ms=event.audio_start_ms,
            audio_end_ms=event.audio_end_ms))]
