"""The realtime session's state machine: pure, synchronous, no sockets or threads.

:class:`SessionCore` takes user commands and parsed server events and returns *effects*
(frames to send, events to emit, tools to run). The :class:`~realtime_actors.session.actor.
SessionActor` is a thin shell that carries the effects out. The core composes small state
objects, each owning its fields: the responses (:class:`ResponseTracker`), the output audio
(:class:`AudioOutput`), the tool calls (:class:`ToolCalls`), the conversation
(:class:`Conversation`) and the input audio journal (:class:`InputAudioJournal`).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from ...agents.agent import RealtimeAgent, RunContext
from ...agents.guardrails import GuardrailChecker, GuardrailTrip
from ...audio.playback import PlaybackTracker
from ...errors import AudioFormatError, ConfigError
from ...protocol import client_events as ce
from ...protocol.audio_config import AudioFormat
from ...protocol.server_events_misc import ServerErrorEvent
from ...protocol.session_config import UNSET, SessionModelSettings
from .. import events as ev
from ..run_config import RunConfig
from .audio_output import AudioOutput
from .conversation import Conversation
from .effects import CancelTools, Effect, Emit, Send
from .events_map import ServerEventMapper
from .history import History, HistoryItem
from .input_journal import InputAudioJournal
from .responses import ResponseTracker
from .settings import effective_settings, server_creates_responses, without_agent_scoped
from .tool_calls import ToolCalls
from .user_code import events_call_user_code, settings_call_user_code

logger = logging.getLogger(__name__)


class SessionCore:
    """All state of one realtime session. Every method returns the effects to carry out."""

    def __init__(
        self,
        agent: RealtimeAgent,
        run_config: RunConfig,
        *,
        playback_tracker: PlaybackTracker | None = None,
        clock: Callable[[], float],
    ) -> None:
        self.agent = agent
        self.run_config = run_config
        self.context = RunContext(context=run_config.context)
        self.overrides = SessionModelSettings()
        self.guardrails = self._guardrails_of(agent)
        self.connected = False
        self.closed = False
        self.configured = False
        self.advertised_tools: frozenset[str] = frozenset()
        """Tool names of the last ``session.update``: a handoff the model calls must be one."""
        self.connections = 0
        """How many connections this session has opened (more than one after a reconnect)."""
        self.expiring = False
        self.responses = ResponseTracker()
        self.audio = AudioOutput(clock, playback_tracker)
        self.conversation = Conversation()
        self.tool_calls = ToolCalls(self, self.conversation)
        self.journal = InputAudioJournal(run_config.replay_audio_limit)
        """Input audio the server has not acknowledged yet (replayed after a drop)."""
        self._ids = itertools.count(1)
        self._mapper = ServerEventMapper(self)

    @property
    def history(self) -> History:
        """The conversation's history."""
        return self.conversation.history

    # ------------------------------------------------------------------ helpers
    def next_event_id(self) -> str:
        """A client event id unique within this session."""
        return f"rtc_{next(self._ids)}"

    def send(self, frame: dict[str, Any]) -> Send:
        """Wrap a frame with our own event id (for error correlation) as a Send effect.

        A created item gets a client id (unless it has one) and is remembered until the server
        acknowledges it, so a connection lost in between loses nothing.
        """
        frame.setdefault("event_id", self.next_event_id())
        if frame.get("type") == "conversation.item.create":
            self.conversation.track(frame)
        return Send(frame)

    def effective_settings(self) -> SessionModelSettings:
        """Run config, then the current agent (instructions, tools), then user overrides."""
        return effective_settings(self.agent, self.context, self.run_config, self.overrides)

    def session_update(self) -> Send:
        """The ``session.update`` for the current agent and settings (``model`` only in the
        first one: it cannot change mid-session)."""
        first = not self.configured
        self.configured = True
        settings = self.effective_settings()
        self._configure_journal(settings)
        self.audio.follow_output_format(settings)
        tools = settings.tools if isinstance(settings.tools, tuple) else ()
        self.advertised_tools = frozenset(
            name for name in (getattr(t, "name", None) for t in tools) if isinstance(name, str))
        return self.send(ce.session_update(settings, include_model=first))

    def _configure_journal(self, settings: SessionModelSettings) -> None:
        fmt = settings.input_audio_format
        self.journal.set_format("ulaw" if fmt is AudioFormat.G711_ULAW else
                                "alaw" if fmt is AudioFormat.G711_ALAW else "pcm16")
        turn = settings.turn_detection
        if turn is None:
            self.journal.set_vad(None)
        else:
            padding = getattr(turn, "prefix_padding_ms", None) if turn is not UNSET else None
            self.journal.set_vad(padding if isinstance(padding, int | float) else 300)

    def request_response(self) -> list[Effect]:
        """Send ``response.create`` now, or defer it until the active response ends."""
        event_id = self.next_event_id()
        if self.responses.request(event_id):
            return [Send(ce.response_create(event_id=event_id))]
        return []

    def switch_agent(self, target: RealtimeAgent) -> Send:
        """A handoff: ``target`` becomes the agent, with its guardrails and without the
        agent-scoped overrides; returns its ``session.update``."""
        self.agent = target
        self.overrides = without_agent_scoped(self.overrides)
        self.guardrails = self._guardrails_of(target)
        return self.session_update()

    def _guardrails_of(self, agent: RealtimeAgent) -> GuardrailChecker:
        config = self.run_config
        return GuardrailChecker(tuple(config.output_guardrails) + tuple(agent.output_guardrails),
                                debounce_chars=config.guardrail_debounce_chars)

    def seed(self, agent: RealtimeAgent, overrides: SessionModelSettings,
             items: Iterable[HistoryItem], handled_calls: Iterable[str],
             response_owed: bool) -> None:
        """Take over a previous session's state before the first connection, which then
        restores the conversation like a reconnect does."""
        self.agent = agent
        self.overrides = overrides
        for item in items:
            self.history.upsert(item)
        self.tool_calls.restore_handled(handled_calls)
        self.connections = 1  # that session had a connection before: the next one restores
        self.responses.owe(response_owed)

    # ------------------------------------------------------------------ user code
    def settings_call_user_code(self) -> bool:
        """Whether :meth:`session_update` calls user code (dynamic instructions or handoffs)."""
        return settings_call_user_code(self.agent)

    def events_call_user_code(self, events: Iterable[Any]) -> bool:
        """Whether handling these server events, in order, may call user code (a guardrail
        falling due, a handoff). Pure and cheap: the session actor asks it for every batch to
        decide where it is handled."""
        return events_call_user_code(events, self.agent, self.guardrails,
                                     self.responses.tripped)

    # ------------------------------------------------------------------ connection
    def on_connected(self, queued_item_ids: Collection[str | None] = (),
                     queued_event_ids: Collection[str | None] = ()) -> list[Effect]:
        """The socket is open: configure the session; on a new connection after a lost one,
        also restore the conversation, re-send what was never acknowledged and replay the
        input audio of the unacknowledged turn (except the items in ``queued_item_ids`` and
        the frames in ``queued_event_ids``, still queued to go after this). Then the caller
        sends its queued frames and calls :meth:`resume_after_restore`."""
        self.connected = True
        self.expiring = False
        self.connections += 1
        effects: list[Effect] = [self.session_update()]
        if self.connections == 1:
            return effects
        journal = self.journal
        effects += self.conversation.restore(journal, queued_item_ids, self.next_event_id)
        # the input audio the lost connection never acknowledged, before what is queued
        skip = frozenset(e for e in queued_event_ids if e is not None)
        replay_ids: list[str] = []
        for step in journal.replay(skip):
            frame = (ce.input_audio_buffer_commit() if step.audio is None
                     else ce.input_audio_buffer_append(step.audio))
            effects.append(self.send(frame))
            replay_ids.append(frame["event_id"])
        journal.restart(skip, replay_ids)
        logger.info("replayed %d input audio frames on connection %d", len(replay_ids),
                    self.connections)
        return effects

    def resume_after_restore(self) -> list[Effect]:
        """After the restore and the queued calls: redo the response the drop cut off, unless
        a queued call already asked for one."""
        if self.responses.take_resume() and not self.responses.busy:
            return self.request_response()
        return []

    def on_disconnected(self, *, resume: bool = True) -> list[Effect]:
        """The socket is gone: nothing is in flight any more. The response it cut off is
        reported as interrupted and (``resume``) redone on the next connection."""
        self.connected = False
        self.configured = False
        effects: list[Effect] = [
            Emit(ev.AgentEndEvent(agent=agent or self.agent, response_id=response_id,
                                  status="interrupted"))
            for response_id, agent in self.responses.on_disconnected(resume)]
        self.conversation.cut_off()
        cut = self.audio.disconnected()
        if cut is not None:
            effects.append(Emit(ev.AudioInterruptedEvent(
                item_id=cut.item_id, content_index=cut.content_index,
                audio_end_ms=cut.audio_end_ms, reason="disconnected")))
        return effects

    # ------------------------------------------------------------------ user commands
    def send_message(self, message: str | Mapping[str, Any]) -> list[Effect]:
        """A user text message (or a full item dict), then a (possibly deferred) response."""
        if isinstance(message, str):
            item = ce.user_text_item(message)
        elif isinstance(message, Mapping):
            if not isinstance(message.get("type"), str):
                raise ConfigError("an item dict needs a string 'type' (e.g. 'message')")
            item = dict(message)
        else:
            raise ConfigError(f"send_message takes a str or an item dict, not {type(message)!r}")
        return [self.send(ce.conversation_item_create(item)), *self.request_response()]

    def send_audio(self, pcm: bytes, *, commit: bool, respond: bool | None) -> list[Effect]:
        """Append PCM16 bytes to the input buffer; on ``commit`` close the turn.

        After a commit a response is requested when ``respond`` is True, or when it is None
        and the server will not answer by itself (turn detection off or without
        ``create_response``).
        """
        if len(pcm) % 2:
            raise AudioFormatError(f"odd-length PCM16 ({len(pcm)} bytes)")
        effects: list[Effect] = []
        if pcm:
            append = self.send(ce.input_audio_buffer_append(pcm))
            self.journal.appended(append.frame["event_id"], pcm)
            effects.append(append)
        if commit:
            commit_frame = self.send(ce.input_audio_buffer_commit())
            self.journal.commit_sent(commit_frame.frame["event_id"])
            effects.append(commit_frame)
            if respond is None:
                respond = not self.server_creates_responses()
            if respond:
                effects.extend(self.request_response())
        return effects

    def server_creates_responses(self) -> bool:
        """Whether server-side turn detection answers committed audio on its own (no user
        code runs)."""
        return server_creates_responses(self.agent, self.run_config, self.overrides)

    def send_raw_event(self, frame: Mapping[str, Any]) -> list[Effect]:
        """Any client event; a raw ``response.create`` goes through the deferral logic."""
        if not isinstance(frame.get("type"), str):
            raise ConfigError("a raw event needs a string 'type'")
        frame = dict(frame)
        if frame["type"] == "response.create" and len(frame) == 1:
            return self.request_response()
        if frame["type"] == "input_audio_buffer.clear":
            self.journal.cleared()
        return [self.send(frame)]

    def update_session(self, settings: SessionModelSettings) -> list[Effect]:
        """Persist overrides (kept across handoffs, except agent-scoped instructions/tools
        which last until the next handoff) and send a ``session.update``."""
        self.overrides = self.overrides.merge(settings)
        if not self.connected:
            return []  # the session.update sent on connect carries them
        return [self.session_update()]

    def interrupt(self, reason: ev.InterruptReason = "client") -> list[Effect]:
        """Cancel the active response and truncate the audio at the played position."""
        effects: list[Effect] = []
        if self.responses.active_ids:
            effects.append(self.send(ce.response_cancel()))
        effects.extend(self.truncate_audio(reason))
        return effects

    def truncate_audio(self, reason: ev.InterruptReason) -> list[Effect]:
        """Truncate the output audio being played, once, and emit AudioInterruptedEvent."""
        cut = self.audio.truncate()
        if cut is None:
            return []
        return [
            self.send(ce.conversation_item_truncate(cut.item_id, cut.audio_end_ms,
                                                    content_index=cut.content_index)),
            Emit(ev.AudioInterruptedEvent(item_id=cut.item_id, content_index=cut.content_index,
                                          audio_end_ms=cut.audio_end_ms, reason=reason)),
        ]

    def close(self) -> list[Effect]:
        """Stop everything the session runs."""
        self.closed = True
        self.tool_calls.cancel()
        return [CancelTools()]

    # ------------------------------------------------------------------ tools, guardrails
    def on_tool_outcome(self, call_id: str, output: str, ok: bool,
                        error: BaseException | None = None) -> list[Effect]:
        """The executor finished a call we started (a failure is also an ErrorEvent)."""
        return self.tool_calls.on_outcome(call_id, output, ok, error)

    def abandon_tools(self, reason: str) -> list[Effect]:
        """Answer every running tool call with an error (its worker is gone)."""
        return self.tool_calls.abandon(reason)

    def on_guardrail_trips(self, trips: list[GuardrailTrip]) -> list[Effect]:
        """A guardrail tripped: cancel the response, emit the event, tell the model."""
        effects: list[Effect] = []
        for trip in trips:
            if not self.responses.trip(trip.response_id):
                continue
            effects.append(self.send(ce.response_cancel()))
            effects.extend(self.truncate_audio("guardrail"))
            effects.append(Emit(ev.GuardrailTrippedEvent(
                guardrail_name=trip.guardrail_name, response_id=trip.response_id,
                text=trip.text, info=trip.info)))
            note = f"The previous response was stopped by the output guardrail " \
                   f"'{trip.guardrail_name}'" + (f": {trip.info}" if trip.info else ".")
            effects.append(self.send(ce.conversation_item_create(ce.system_text_item(note))))
        return effects

    # ------------------------------------------------------------------ server events
    def on_server_event(self, event: Any) -> list[Effect]:
        """Map one parsed server event to effects."""
        if isinstance(event, ServerErrorEvent) and event.error.code == "session_expired":
            # the 60-minute limit: the server closes next and the session rolls over to a
            # new connection with the conversation restored, so this is not the user's error
            logger.info("session expired; rolling over to a new connection")
            self.expiring = True
            effects = []
        else:
            effects = self._mapper.handle(event)
        if self.run_config.raw_events:
            effects.append(Emit(ev.RawModelEvent(event=event)))
        return effects

