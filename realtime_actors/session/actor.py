"""SessionActor: the thin actor shell around
:class:`~realtime_actors.session.core.session_core.SessionCore`.

It owns the core, runs tools on a bounded executor, and fans session events out to subscribers
(pykka actor refs) and to the handle's event buffer. It runs under the session's supervisor
next to its :class:`WebSocketActor` (see :mod:`realtime_actors.session.tree`): a lost connection
is replaced by the supervisor, and the session restores the conversation on the new one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import pykka

from ..durable.checkpointer import take_snapshot
from ..errors import ProtocolError, RealtimeError
from ..reactor.core import reactor
from ..runtime.pooled_actor import PooledActor
from ..runtime.tell import tell_if_alive
from ..supervision import Supervised, SupervisionLink
from ..transport.messages import (
    ConnectionClosed,
    ConnectionOpened,
    ModelEvents,
    SendFailed,
    SendFrames,
    ToolDone,
)
from ..transport.send_gauge import frames_cost, overflow_message
from . import commands as cmd
from . import events as ev
from .core.effects import CancelTools, Effect, Emit, RunTool, Send
from .core.session_core import SessionCore
from .state import SessionState

logger = logging.getLogger(__name__)

C = TypeVar("C", bound=cmd.SessionCommand)


def _entry(kind: type[C], handler: Callable[[C], Any]
           ) -> tuple[type[cmd.SessionCommand], Callable[[Any], Any]]:
    """A (command class, handler) pair, mypy checking that the handler takes that class."""
    return kind, handler


class QueueFullError(RealtimeError):
    """The session is disconnected and its queue of pending calls is full, or the
    connection's outgoing buffer is over its high-water mark."""


class SessionActor(PooledActor, Supervised):
    """Agent state, tools, handoffs, history and the deferred ``response.create``.

    Its state lives in a :class:`SessionState` that outlives one incarnation, so a restart
    after a crash carries the conversation, the subscribers and the queued calls over.
    """

    actor_pool = reactor()
    """The session runs on the reactor with its connection; a message whose handling calls
    user code (see :meth:`runs_user_code`) is handled on a worker of the default pool."""

    def runs_user_code(self, message: Any) -> bool:
        """The messages whose handling may call user code: a connection opened or a
        ``update_session`` (dynamic instructions, ``is_enabled``), and server events that
        reach a guardrail or a handoff. Tools run on the executor in any case."""
        kind = type(message)
        if kind is ModelEvents:
            return self.core.events_call_user_code(message.events)
        if kind is ConnectionOpened:
            return self.core.settings_call_user_code()
        if kind is cmd.UpdateSession:
            return self.core.settings_call_user_code()
        return False

    def __init__(self, state: SessionState, *, link: SupervisionLink | None = None) -> None:
        super().__init__(link=link)
        self._state = state
        self._run_config = state.run_config
        self._sink = state.sink
        self._subscribers = state.subscribers
        self._outbox = state.outbox
        self._executor = state.tools
        self._ws: pykka.ActorRef[Any] | None = None
        self._prepaid = 0
        """Gauge bytes the command being handled brought along (see ``SendAudio.prepaid``)."""
        core = self._via_core
        self._handlers: dict[type[cmd.SessionCommand], Callable[[Any], Any]] = dict([
            _entry(cmd.SendAudio, core(lambda c: self.core.send_audio(
                c.pcm, commit=c.commit, respond=c.respond))),
            _entry(cmd.SendMessage, core(lambda c: self.core.send_message(c.message))),
            _entry(cmd.SendRawEvent, core(lambda c: self.core.send_raw_event(c.frame))),
            _entry(cmd.UpdateSession, core(lambda c: self.core.update_session(c.settings))),
            _entry(cmd.Interrupt, core(lambda c: self.core.interrupt(c.reason))),
            _entry(cmd.Subscribe, self._subscribe),
            _entry(cmd.Unsubscribe, self._unsubscribe),
            _entry(cmd.GetHistory, lambda c: self.core.history.snapshot()),
            _entry(cmd.GetCurrentAgent, lambda c: self.core.agent),
            _entry(cmd.TakeSnapshot, lambda c: take_snapshot(self._state)),
            _entry(cmd.Close, lambda c: self._end_session("closed")),
            _entry(cmd.ReportOverflow, lambda c: self._report_overflow(c.name)),
        ])
        """The handler of each command class."""

    @property
    def core(self) -> SessionCore:
        """The session's state machine."""
        return self._state.core

    # ------------------------------------------------------------------ lifecycle
    def setup(self) -> None:
        """First start: announce the connection attempt. After a crash: recover the core."""
        if self._state.incarnations == 0:
            self._emit(ev.ConnectionEvent(status="connecting"))
        else:
            self._emit(ev.ErrorEvent(
                message="the session actor crashed and was restarted; the conversation is "
                        "restored on a new connection", source="session", code="session_restarted"))
            self._apply(self.core.on_disconnected())
            self._apply(self.core.abandon_tools("the session restarted"))
        self._state.incarnations += 1

    def teardown(self) -> None:
        """Cancel tools; on a final stop emit the last events."""
        self._apply(self.core.close() if not self.crashed else [CancelTools()])
        if self.crashed:
            self._emit(ev.ErrorEvent(message="internal error in the session actor",
                                     source="session", code="internal_error",
                                     recoverable=self._link is not None))
            if self._link is not None:
                return  # the supervisor restarts the session; nothing has ended yet
        # the end: the tools were told to stop; the reactor does not wait for them to return
        # (``Session.close`` does, on the caller's thread)
        self._executor.close()
        if self._state.give_up_reason is not None:
            self._emit(ev.ErrorEvent(
                message=f"gave up reconnecting: {self._state.give_up_reason}",
                source="connection", code="reconnect_failed", recoverable=False))
            self._end(f"gave up: {self._state.give_up_reason}")
        else:
            self._end(self._state.end_reason or ("internal error" if self.crashed else "closed"))

    def _end(self, reason: str) -> None:
        if not self._state.ended:
            self._state.ended = True
            self._emit(ev.SessionEndedEvent(reason=reason))

    def _end_session(self, reason: str) -> None:
        """End for good: stop the whole tree (the supervisor stops us after this message)."""
        self._state.end_reason = reason
        if self._link is not None:
            self._link.supervisor.stop(block=False)
        else:
            self.stop()

    # ------------------------------------------------------------------ messages
    def on_receive(self, message: Any) -> Any:
        """Dispatch connection reports, tool results and user commands."""
        if isinstance(message, ModelEvents):
            for event in message.events:
                if isinstance(event, ProtocolError):
                    self._emit(ev.ErrorEvent(message=str(event), source="protocol",
                                             code="malformed_frame"))
                else:
                    self._apply(self.core.on_server_event(event))
        elif isinstance(message, ToolDone):
            outcome = message.outcome
            self._apply(self.core.on_tool_outcome(outcome.call_id, outcome.output, outcome.ok,
                                                  error=outcome.error))
        elif isinstance(message, cmd.SessionCommand):
            self._prepaid = message.prepaid if type(message) is cmd.SendAudio else 0
            try:
                return self._run_command(message)
            finally:
                if self._prepaid:  # not spent on frames to the socket (queued, or refused)
                    self._state.gauge.release(self._prepaid)
                    self._prepaid = 0
        elif isinstance(message, ConnectionOpened):
            self._on_opened(message)
        elif isinstance(message, ConnectionClosed):
            self._on_closed(message)
        elif isinstance(message, SendFailed):
            self._emit(ev.ErrorEvent(message=f"send failed: {message.error}", source="send",
                                     code=type(message.error).__name__))
        else:
            logger.warning("SessionActor got an unexpected message: %r", type(message))
        return None

    def _run_command(self, command: cmd.SessionCommand) -> Any:
        if command.reply:
            return self._command(command)
        try:
            self._command(command)
        except QueueFullError as exc:  # already reported as an ErrorEvent
            logger.warning("%s", exc)
        except RealtimeError as exc:
            self._emit(ev.ErrorEvent(message=str(exc), source="send",
                                     code=type(exc).__name__))
        return None

    def _on_opened(self, message: ConnectionOpened) -> None:
        self._ws = message.connection
        queued = {frame["item"].get("id") for frame in self._outbox
                  if frame.get("type") == "conversation.item.create"
                  and isinstance(frame.get("item"), dict)}
        # session.update, the restore, then what never reached the lost connection
        self._apply(self.core.on_connected(
            queued_item_ids=queued, queued_event_ids={f.get("event_id") for f in self._outbox}))
        outbox = list(self._outbox)
        self._outbox.clear()
        if outbox:
            self._send(outbox)
        self._apply(self.core.resume_after_restore())
        self._emit(ev.ConnectionEvent(status="connected", attempt=self._state.attempt))
        self._state.attempt = 0

    def _on_closed(self, message: ConnectionClosed) -> None:
        self._ws = None
        self._state.gauge.reset()  # what the lost connection held is resent or restored
        policy = self._run_config.reconnect
        retry = message.recoverable and policy.enabled and self._link is not None
        was_connected = self.core.connected
        if message.protocol_error:
            self._emit(ev.ErrorEvent(
                message=f"the server broke the websocket protocol; closed with code "
                        f"{message.code}: {message.reason}", source="protocol",
                code="message_too_big" if message.code == 1009 else "protocol_violation",
                recoverable=retry))
        self._apply(self.core.on_disconnected(resume=policy.resume_responses))
        if self.core.closed or self._state.ended or message.requested:
            return
        never_connected = (self.core.connections == 0
                           and not self._run_config.retry_first_connection)
        if retry and not never_connected:
            self._state.attempt += 1
            reason = "session_expired" if self.core.expiring else message.reason
            logger.info("connection lost (%s); reconnecting, attempt %d", reason,
                        self._state.attempt)
            self._emit(ev.ConnectionEvent(status="reconnecting", attempt=self._state.attempt,
                                          reason=reason))
            return
        if never_connected and message.handshake_status is None:
            text = f"could not connect: {message.reason.removeprefix('connect failed: ')}"
            code = "connect_failed"
        elif message.handshake_status is not None:
            text = f"handshake rejected with HTTP {message.handshake_status}"
            code = f"http_{message.handshake_status}"
        elif not message.abnormal and was_connected:
            text = f"the server closed the connection (code {message.code})"
            code = f"close_{message.code}"
        else:
            text = f"connection closed (code {message.code}): {message.reason}"
            code = f"close_{message.code}"
        self._emit(ev.ErrorEvent(message=text, source="connection", code=code,
                                 recoverable=False))
        self._emit(ev.ConnectionEvent(status="disconnected", reason=message.reason))
        self._end_session(text)

    # ------------------------------------------------------------------ commands
    def _command(self, command: cmd.SessionCommand) -> Any:
        handler = self._handlers.get(type(command))
        if handler is None:
            raise ValueError(f"unknown session command {type(command).__name__}")
        return handler(command)

    def _via_core(self, effects_of: Callable[[C], list[Effect]]) -> Callable[[C], None]:
        """The handler of a command the ``SessionCore`` carries out (``effects_of``)."""
        def handle(command: C) -> None:
            label = command.label
            if command.reply and type(command) in cmd.SENDING and self._state.gauge.full():
                # (a told command was admitted by the handle already: never dropped here)
                self._report_overflow(label)
                raise QueueFullError(overflow_message(self._state.gauge, label))
            effects = effects_of(command)
            if not self._is_connected():
                self._check_pending(effects, label)
            self._apply(effects)

        return handle

    def _subscribe(self, command: cmd.Subscribe) -> None:
        if command.ref not in self._subscribers:
            self._subscribers.append(command.ref)

    def _unsubscribe(self, command: cmd.Unsubscribe) -> None:
        if command.ref in self._subscribers:
            self._subscribers.remove(command.ref)

    def _check_pending(self, effects: list[Effect], name: str) -> None:
        """Refuse a command whose frames would overflow the queue kept while disconnected."""
        queued = sum(isinstance(e, Send) for e in effects)
        limit = self._run_config.pending_limit
        if queued and len(self._outbox) + queued > limit:
            self._emit(ev.ErrorEvent(
                message=f"not connected and {limit} events are already queued; "
                        f"refusing {name}", source="send", code="queue_full"))
            raise QueueFullError(f"the session is not connected and its queue is full "
                                 f"({limit} events); {name} was not sent")

    def _report_overflow(self, name: str) -> None:
        self._emit(ev.ErrorEvent(message=overflow_message(self._state.gauge, name), source="send",
                                 code="queue_full"))

    def _is_connected(self) -> bool:
        return self._ws is not None and self.core.connected

    # ------------------------------------------------------------------ effects
    def _apply(self, effects: list[Effect]) -> None:
        frames: list[dict[str, Any]] = []
        for effect in effects:
            if isinstance(effect, Send):
                frames.append(effect.frame)
                continue
            if frames:
                self._send(frames)
                frames = []
            if isinstance(effect, Emit):
                self._emit(effect.event)
            elif isinstance(effect, RunTool):
                self._executor.submit(
                    effect.tool, effect.call_id, effect.name, effect.arguments, effect.context,
                    on_done=self._tool_done_callback(),
                )
            elif isinstance(effect, CancelTools):
                self._executor.cancel_all()
        if frames:
            self._send(frames)

    def _tool_done_callback(self) -> Any:
        ref = self.actor_ref

        def on_done(outcome: Any) -> None:
            tell_if_alive(ref, ToolDone(outcome), logger,
                          "tool %s finished after the session ended", outcome.name,
                          level=logging.INFO)

        return on_done

    def _send(self, frames: list[dict[str, Any]]) -> None:
        if not self._is_connected():
            limit = self._run_config.pending_limit
            if len(self._outbox) + len(frames) > limit:
                self._emit(ev.ErrorEvent(
                    message=f"not connected and {limit} events are already queued; "
                            f"dropping {len(frames)}", source="send", code="queue_full"))
                return
            self._outbox.extend(frames)
            return
        gauge = self._state.gauge
        cost = frames_cost(frames)
        prepaid = min(cost, self._prepaid)
        self._prepaid -= prepaid
        gauge.add(cost - prepaid)
        try:
            self._ws.tell(SendFrames(tuple(frames), gauge, cost))  # type: ignore[union-attr]
        except pykka.ActorDeadError:
            gauge.release(cost)
            self._outbox.extend(frames)  # the connection is going; they go on the next one

    def _emit(self, event: ev.SessionEvent) -> None:
        self._sink.put(event)
        dead = []
        for ref in self._subscribers:
            try:
                ref.tell(event)
            except pykka.ActorDeadError:
                dead.append(ref)
        for ref in dead:
            logger.warning("dropping dead subscriber %s", ref)
            self._subscribers.remove(ref)
            self._emit(ev.ErrorEvent(message=f"subscriber {ref.actor_urn} is dead; unsubscribed",
                                     source="subscriber", code="subscriber_dead"))
