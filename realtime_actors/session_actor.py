"""SessionActor: the thin actor shell around :class:`~realtime_actors.session_core.SessionCore`.

It owns the core, starts its :class:`WebSocketActor`, runs tools on a bounded executor, and
fans session events out to subscribers (pykka actor refs) and to the handle's event buffer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

import attrs
import pykka

from . import events as ev
from .agent import RealtimeAgent
from .errors import ProtocolError
from .event_sink import EventSink
from .messages import (
    ConnectionClosed,
    ConnectionOpened,
    ModelEvents,
    SendFailed,
    SendFrames,
    ToolDone,
)
from .run_config import ModelConfig, RunConfig
from .session_core import SessionCore
from .session_effects import CancelTools, Effect, Emit, RunTool, Send
from .tool_executor import ToolExecutor
from .websocket_actor import ConnectOptions, WebSocketActor

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0


@attrs.frozen
class Command:
    """A user call on the session, sent with ``ask`` by the :class:`Session` handle."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = attrs.field(factory=dict)


class SessionActor(pykka.ThreadingActor):
    """Agent state, tools, handoffs, history and the deferred ``response.create``."""

    def __init__(
        self,
        agent: RealtimeAgent,
        run_config: RunConfig,
        model_config: ModelConfig,
        connect_options: ConnectOptions,
        sink: EventSink,
        subscribers: Iterable[pykka.ActorRef[Any]] = (),
    ) -> None:
        super().__init__()
        self.core = SessionCore(agent, run_config, playback_tracker=model_config.playback_tracker,
                                clock=time.monotonic)
        self._run_config = run_config
        self._connect_options = connect_options
        self._sink = sink
        self._subscribers: list[pykka.ActorRef[Any]] = list(dict.fromkeys(subscribers))
        self._executor = ToolExecutor(max_workers=run_config.max_tool_workers,
                                      default_timeout_s=run_config.tool_timeout_s)
        self._ws: pykka.ActorRef[WebSocketActor] | None = None
        self._outbox: list[dict[str, Any]] = []
        self._ended = False

    # ------------------------------------------------------------------ lifecycle
    def on_start(self) -> None:
        """Open the connection (asynchronously: the reader thread connects)."""
        self._emit(ev.ConnectionEvent(status="connecting"))
        self._ws = WebSocketActor.start(self._connect_options, owner=self.actor_ref)

    def on_stop(self) -> None:
        """Cancel tools, close the socket, stop the connection actor."""
        self._teardown("closed")

    def on_failure(self, *args: Any) -> None:
        """A bug in the session: report it and release everything."""
        self._emit(ev.ErrorEvent(message="internal error in the session actor", source="session",
                                 recoverable=False))
        self._teardown("internal error")

    def _teardown(self, reason: str) -> None:
        self._apply(self.core.close())
        self._executor.shutdown(timeout=STOP_TIMEOUT_S)
        self._stop_connection()
        self._end(reason)

    def _stop_connection(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            try:
                ws.stop(block=True, timeout=STOP_TIMEOUT_S)
            except pykka.Timeout:
                logger.error("connection actor did not stop within %.1fs", STOP_TIMEOUT_S)

    def _end(self, reason: str) -> None:
        if not self._ended:
            self._ended = True
            self._emit(ev.SessionEndedEvent(reason=reason))

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
            self._apply(self.core.on_tool_outcome(outcome.call_id, outcome.output, outcome.ok))
        elif isinstance(message, Command):
            return self._command(message)
        elif isinstance(message, ConnectionOpened):
            self._emit(ev.ConnectionEvent(status="connected"))
            self._apply(self.core.on_connected())
            outbox, self._outbox = self._outbox, []
            if outbox:
                self._send(outbox)
        elif isinstance(message, ConnectionClosed):
            self._on_closed(message)
        elif isinstance(message, SendFailed):
            self._emit(ev.ErrorEvent(message=f"send failed: {message.error}", source="send",
                                     code=type(message.error).__name__))
        else:
            logger.warning("SessionActor got an unexpected message: %r", type(message))
        return None

    def _on_closed(self, message: ConnectionClosed) -> None:
        # the socket and its reader are gone; the connection actor must still be stopped
        self._stop_connection()
        self._apply(self.core.on_disconnected())
        if self.core.closed:
            return
        if message.handshake_status is not None:
            text = f"handshake rejected with HTTP {message.handshake_status}"
        else:
            text = f"connection closed (code {message.code}): {message.reason}"
        self._emit(ev.ErrorEvent(message=text, source="connection",
                                 code=f"http_{message.handshake_status}"
                                 if message.handshake_status else f"close_{message.code}",
                                 recoverable=False))
        self._emit(ev.ConnectionEvent(status="disconnected", reason=message.reason))
        self.stop()

    # ------------------------------------------------------------------ commands
    def _command(self, command: Command) -> Any:
        name = command.name
        if name == "subscribe":
            ref = command.args[0]
            if ref not in self._subscribers:
                self._subscribers.append(ref)
            return None
        if name == "unsubscribe":
            ref = command.args[0]
            if ref in self._subscribers:
                self._subscribers.remove(ref)
            return None
        if name == "history":
            return self.core.history.snapshot()
        if name == "current_agent":
            return self.core.agent
        if name == "close":
            self.stop()
            return None
        handler = {
            "send_message": self.core.send_message,
            "send_audio": self.core.send_audio,
            "send_raw_event": self.core.send_raw_event,
            "update_session": self.core.update_session,
            "interrupt": self.core.interrupt,
        }.get(name)
        if handler is None:
            raise ValueError(f"unknown session command {name!r}")
        self._apply(handler(*command.args, **command.kwargs))
        return None

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
            try:
                ref.tell(ToolDone(outcome))
            except pykka.ActorDeadError:
                logger.info("tool %s finished after the session ended", outcome.name)

        return on_done

    def _send(self, frames: list[dict[str, Any]]) -> None:
        if self._ws is None or not self.core.connected:
            limit = self._run_config.pending_limit
            if len(self._outbox) + len(frames) > limit:
                self._emit(ev.ErrorEvent(
                    message=f"not connected and {limit} events are already queued; "
                            f"dropping {len(frames)}", source="send", code="queue_full"))
                return
            self._outbox.extend(frames)
            return
        try:
            self._ws.tell(SendFrames(tuple(frames)))
        except pykka.ActorDeadError:
            self._outbox.extend(frames)

    def _emit(self, event: ev.SessionEvent) -> None:
        self._sink.put(event)
        for ref in list(self._subscribers):
            try:
                ref.tell(event)
            except pykka.ActorDeadError:
                logger.warning("dropping dead subscriber %s", ref)
                self._subscribers.remove(ref)
