"""The public entry point: :func:`run` starts a session and returns a :class:`Session` handle.

The handle lives in the caller's thread; every call is a message to the session actor
(``ask`` with a timeout for calls that can fail on bad input, so errors reach the caller).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeGuard, TypeVar, overload

import attrs
import numpy as np
import pykka

from ..agents.agent import RealtimeAgent
from ..audio.pcm import to_pcm16_bytes
from ..durable.capture import seed_snapshot
from ..durable.checkpointer import CheckpointSink
from ..durable.snapshot import SessionSnapshot
from ..errors import ConfigError, RealtimeError
from ..protocol.session_config import SessionModelSettings
from ..runtime.pooled_actor import tell_and_run
from ..supervision import ChildRestartingError, ChildStoppedError
from ..transport.auth import auth_headers, resolve_api_key
from ..transport.send_gauge import append_cost, overflow_message
from ..transport.tls import websocket_sslopt
from ..transport.websocket_actor import ConnectOptions
from . import commands as cmd
from .actor import QueueFullError
from .core.history import HistoryItem
from .events import SessionEndedEvent, SessionEvent
from .run_config import ModelConfig, RunConfig
from .tree import SessionTree, start_session_tree

logger = logging.getLogger(__name__)

E = TypeVar("E", bound=SessionEvent)

EventKind = type[SessionEvent] | Callable[[SessionEvent], bool]
"""What ``wait_for`` waits for: an event class, or a predicate on events."""


class SessionClosedError(RealtimeError):
    """The session has ended; no more calls can be made on it."""


class Session:
    """Handle on a running realtime session (safe to use from any thread)."""

    def __init__(self, tree: SessionTree, ask_timeout_s: float = 10.0) -> None:
        self._tree = tree
        self._address = tree.session
        self._sink = tree.state.sink
        self._ask_timeout_s = ask_timeout_s

    def __repr__(self) -> str:
        state = "running" if self.is_alive() else "ended"
        return f"<Session {self._tree.supervisor.actor_urn} {state}>"

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ calls
    def _ask(self, command: cmd.SessionCommand) -> Any:
        return self._deliver(lambda: self._address.ask(command, timeout=self._ask_timeout_s))

    def _tell(self, command: cmd.SessionCommand) -> None:
        told = attrs.evolve(command, reply=False)
        self._deliver(lambda: self._address.tell(told))

    def _deliver(self, send: Callable[[], Any]) -> Any:
        """Run ``send`` against the session actor; while its supervisor restarts it, wait for
        the new incarnation and send once more."""
        try:
            try:
                return send()
            except ChildRestartingError:
                self._address.wait_running(timeout=self._ask_timeout_s)
                return send()
        except (ChildStoppedError, pykka.ActorDeadError):
            raise SessionClosedError("the session has ended") from None

    def is_alive(self) -> bool:
        """Whether the session is still running (its supervisor is alive)."""
        return self._tree.supervisor.is_alive() and not self._tree.state.ended

    def wait_ended(self, timeout: float) -> bool:
        """Wait until every actor of the session has stopped (after ``SessionEndedEvent``, or
        a ``close()`` from another thread); False on timeout."""
        return self._tree.supervisor.actor_stopped.wait(timeout)

    def subscribe(self, listener: pykka.ActorRef[Any]) -> None:
        """Tell ``listener`` every session event from now on (idempotent). Until the first
        ``events()`` read, the buffer behind it then keeps no audio (see
        ``RunConfig.event_buffer_unread_bytes``)."""
        if not isinstance(listener, pykka.ActorRef):
            raise ConfigError(
                f"subscribe() takes a pykka ActorRef, not {type(listener).__name__}")
        self._ask(cmd.Subscribe(listener))
        self._sink.subscriber_added()

    def unsubscribe(self, listener: pykka.ActorRef[Any]) -> None:
        """Stop telling ``listener`` (idempotent)."""
        self._ask(cmd.Unsubscribe(listener))

    def send_message(self, message: str | Mapping[str, Any]) -> None:
        """Send user text (or a full conversation item dict) and ask for a response
        (deferred while another response is active)."""
        self._ask(cmd.SendMessage(message))

    def send_audio(self, audio: bytes | np.ndarray, *, commit: bool = False,
                   respond: bool | None = None) -> None:
        """Append audio (PCM16 bytes, or numpy int16/float32 converted to PCM16).

        ``commit=True`` ends the user turn. A response is then requested when ``respond`` is
        True, or (``None``) when server turn detection will not answer by itself.
        Raises :class:`~realtime_actors.errors.AudioFormatError` for invalid audio, in the
        calling thread. Never waits for the session (a streaming source must not stall): audio
        refused because the disconnected session's queue is full is reported as an
        ``ErrorEvent(code="queue_full")``. Raises :class:`QueueFullError` (and emits that
        event) when the connection's outgoing buffer is over ``ModelConfig.send_buffer_bytes``
        (a peer that stopped reading): the audio was not accepted, nothing accepted is lost.
        """
        pcm = to_pcm16_bytes(audio)
        gauge = self._tree.state.gauge
        if gauge.full():  # refused here, in the caller: nothing accepted is ever dropped
            self._tell(cmd.ReportOverflow(cmd.SendAudio.label))
            raise QueueFullError(overflow_message(gauge, cmd.SendAudio.label))
        # admitted now: its bytes count from here, so a caller outrunning the session cannot
        # pile up audio anywhere on the way to the socket
        cost = append_cost(len(pcm)) if pcm else 0
        gauge.add(cost)
        command = cmd.SendAudio(pcm, commit, respond, reply=False, prepaid=cost)
        # when the session is idle, this thread runs it for this one command (journal, frame)
        # and hands the append to the connection on the reactor; else it queues
        try:
            self._deliver(lambda: tell_and_run(self._address.current(), command))
        except BaseException:
            gauge.release(cost)
            raise

    def wait_sendable(self, timeout: float) -> bool:
        """Wait until the connection's outgoing buffer is below its high-water mark (sends
        are accepted again); False after ``timeout`` seconds. For producers that got
        :class:`QueueFullError`."""
        return self._tree.state.gauge.wait_room(timeout)

    def send_raw_event(self, event: Mapping[str, Any]) -> None:
        """Send any client event as is (a bare ``response.create`` is deferred as usual)."""
        self._ask(cmd.SendRawEvent(event))

    def interrupt(self) -> None:
        """Cancel the current response and truncate its audio at the played position."""
        self._ask(cmd.Interrupt())

    def update_session(self, settings: SessionModelSettings) -> None:
        """Change session settings; overrides persist across handoffs."""
        if not isinstance(settings, SessionModelSettings):
            settings = SessionModelSettings.from_mapping(settings)
        self._ask(cmd.UpdateSession(settings))

    def history(self) -> tuple[HistoryItem, ...]:
        """The conversation history, in order."""
        history: tuple[HistoryItem, ...] = self._ask(cmd.GetHistory())
        return history

    def current_agent(self) -> RealtimeAgent:
        """The agent currently answering (changes on handoff)."""
        agent: RealtimeAgent = self._ask(cmd.GetCurrentAgent())
        return agent

    @property
    def session_id(self) -> str:
        """This session's id (its key in a :class:`~realtime_actors.durable.SessionStore`)."""
        return self._tree.state.session_id

    def snapshot(self) -> SessionSnapshot:
        """A :class:`~realtime_actors.durable.SessionSnapshot` of the conversation now, from
        which ``rt.run(agent, resume=snapshot)`` carries on (here or in another process)."""
        snapshot: SessionSnapshot = self._ask(cmd.TakeSnapshot())
        return snapshot

    def checkpoint(self, timeout: float = 10.0) -> SessionSnapshot:
        """Take a snapshot and save it in the run config's store before returning (what the
        store raises reaches the caller). :class:`ConfigError` without a store."""
        sink = self._tree.state.sink
        if not isinstance(sink, CheckpointSink):
            raise ConfigError("checkpoint() needs RunConfig(store=...)")
        snapshot = self.snapshot()
        sink.checkpoint.save_now(snapshot)
        return snapshot

    def keep_record(self) -> None:
        """Stop checkpointing and keep the stored record when the session ends (it is being
        handed over, or its process is stopping to be resumed). No-op without a store."""
        sink = self._tree.state.sink
        if isinstance(sink, CheckpointSink):
            sink.checkpoint.detach()

    def close(self, timeout: float = 10.0) -> None:
        """Cancel tools, close the socket and stop every actor of the session; returns once
        they have stopped and the tools' threads have returned (or ``timeout`` passed)."""
        deadline = time.monotonic() + timeout
        try:
            self._tree.supervisor.stop(block=True, timeout=timeout)
        except pykka.Timeout:
            logger.error("session did not stop within %.1fs", timeout)
            return
        self._tree.state.tools.join(max(0.0, deadline - time.monotonic()))

    # ------------------------------------------------------------------ events
    def events(self, timeout: float | None = None) -> Iterator[SessionEvent]:
        """Yield session events in order; stops after ``SessionEndedEvent`` or after
        ``timeout`` seconds without an event. Where the bounded buffer behind it dropped
        events (see ``RunConfig.event_buffer_unread_bytes`` / ``event_buffer_bytes``), an
        :class:`~realtime_actors.session.events.EventsDroppedEvent` says how many."""
        while True:
            event = self._sink.get(timeout)
            if event is None:
                return
            yield event
            if isinstance(event, SessionEndedEvent):
                return

    def next_events(self, max_events: int = 256, timeout: float | None = None
                    ) -> list[SessionEvent]:
        """A batch of up to ``max_events`` events in order: waits up to ``timeout`` for the
        first, then takes those already buffered (``[]`` on timeout)."""
        return self._sink.get_batch(max_events, timeout)

    @property
    def dropped_events(self) -> int:
        """Events the ``events()`` buffer dropped because it was over a bound (each gap is
        marked in the stream by an :class:`~realtime_actors.session.events.EventsDroppedEvent`)."""
        return self._sink.dropped

    @overload
    def wait_for(self, kind: type[E], timeout: float, *,
                 collect: list[SessionEvent] | None = None) -> E: ...
    @overload
    def wait_for(self, kind: Callable[[SessionEvent], TypeGuard[E]], timeout: float, *,
                 collect: list[SessionEvent] | None = None) -> E: ...
    @overload
    def wait_for(self, kind: Callable[[SessionEvent], bool], timeout: float, *,
                 collect: list[SessionEvent] | None = None) -> SessionEvent: ...

    def wait_for(self, kind: EventKind, timeout: float, *,
                 collect: list[SessionEvent] | None = None) -> SessionEvent:
        """Consume events until one matches ``kind`` (a class or predicate); events before
        it are appended to ``collect`` if given. Raises TimeoutError after ``timeout``.
        Returns the event, typed as ``kind`` when it is a class (or a ``TypeGuard``)."""
        deadline = time.monotonic() + timeout
        matches = event_matcher(kind)
        while True:
            remaining = deadline - time.monotonic()
            event = self._sink.get(max(0.0, remaining)) if remaining > 0 else None
            if event is None:
                raise TimeoutError(f"no matching event within {timeout}s")
            if is_awaited(event, matches, collect):
                return event


def event_matcher(kind: EventKind) -> Callable[[SessionEvent], bool]:
    """What ``wait_for`` is given (an event class, or a predicate) as a predicate."""
    if isinstance(kind, type):
        return lambda event: isinstance(event, kind)
    return kind


def is_awaited(event: SessionEvent, matches: Callable[[SessionEvent], bool],
               collect: list[SessionEvent] | None) -> bool:
    """One step of every ``wait_for``: True when ``event`` is the one waited for; else it goes
    to ``collect`` (if given), and the session's last event raises ``SessionClosedError``."""
    if matches(event):
        return True
    if collect is not None:
        collect.append(event)
    if isinstance(event, SessionEndedEvent):
        raise SessionClosedError(f"session ended ({event.reason}) before a match")
    return False


def run(
    agent: RealtimeAgent,
    *,
    config: RunConfig | None = None,
    model_config: ModelConfig | None = None,
    subscribers: Iterable[pykka.ActorRef[Any]] = (),
    resume: SessionSnapshot | None = None,
    history: Iterable[HistoryItem | Mapping[str, Any]] | None = None,
    session_id: str | None = None,
) -> Session:
    """Start a realtime session for ``agent`` and return its handle.

    ``resume``: a :class:`~realtime_actors.durable.SessionSnapshot` (from
    ``Session.snapshot()`` or a store) to carry on: its conversation is restored on the first
    connection, its agent (``agent`` or one reachable by handoffs) answers. ``history``:
    items (``HistoryItem`` or GA item dicts) to seed a new conversation with. ``session_id``
    names the session in a store (default: the snapshot's, else a new id).

    The API key is resolved first (explicit, ``CODEX_API_KEY``, ``$CODEX_HOME/auth.json``,
    ``OPENAI_API_KEY``): a missing key raises :class:`~realtime_actors.errors.AuthError`
    before any connection. ``subscribers`` are subscribed before the first event.
    """
    config = config or RunConfig()
    model_config = model_config or ModelConfig()
    key = resolve_api_key(model_config.api_key)
    url = model_config.build_url()
    headers = auth_headers(key, extra=model_config.headers)
    options = ConnectOptions(
        url=url,
        headers=headers,
        connect_timeout_s=model_config.connect_timeout_s,
        close_timeout_s=model_config.close_timeout_s,
        sslopt=websocket_sslopt() if url.startswith("wss://") else {},
        limits=model_config.transport_limits(),
    )
    if resume is not None and history is not None:
        raise ConfigError("pass resume= or history=, not both")
    if resume is not None and not isinstance(resume, SessionSnapshot):
        raise ConfigError(f"resume= takes a SessionSnapshot, not {type(resume).__name__}")
    if history is not None:
        resume = seed_snapshot(agent, history, session_id or uuid.uuid4().hex)
    return Session(start_session_tree(agent, config, model_config, options, subscribers,
                                      session_id=session_id, resume=resume))
