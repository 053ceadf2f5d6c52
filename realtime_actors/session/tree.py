"""The supervised actor tree of one realtime session.

``Supervisor (rest_for_one)`` ─┬─ ``session``: :class:`SessionActor` (transient)
                              └─ ``connection``: :class:`WebSocketActor` (transient)

A lost connection makes the connection child exit abnormally; the supervisor starts a new one
after its backoff and the session restores the conversation on it. A crash of the session
restarts both (``rest_for_one``), the state carried over in a :class:`SessionState`. More
restarts than the :class:`~realtime_actors.transport.reconnect.ReconnectPolicy`
allows end the session with a ``reconnect_failed`` error.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

import attrs
import pykka

from ..agents.agent import RealtimeAgent
from ..durable.capture import restore_snapshot
from ..durable.checkpointer import DEFAULT_CHECKPOINTER, Checkpoint, CheckpointSink
from ..durable.snapshot import SessionSnapshot
from ..durable.store import check_session_id
from ..reactor.core import reactor
from ..supervision import (
    Address,
    ChildSpec,
    GetAddress,
    Restart,
    StartChild,
    Strategy,
    SupervisionLink,
    Supervisor,
)
from ..transport.send_gauge import SendGauge
from ..transport.websocket_actor import ConnectOptions, WebSocketActor
from .actor import SessionActor
from .core.session_core import SessionCore
from .event_sink import EventSink
from .run_config import ModelConfig, RunConfig
from .state import SessionState

logger = logging.getLogger(__name__)

SESSION_CHILD = "session"
CONNECTION_CHILD = "connection"


class SessionSupervisor(Supervisor):
    """The supervisor of one session tree, run on the reactor: its children are library
    actors (no user code runs in their factories or in ``on_give_up``) and it never blocks."""

    actor_pool = reactor()


@attrs.frozen(kw_only=True)
class SessionTree:
    """The started tree: the supervisor, the session's stable address, the shared state."""

    supervisor: pykka.ActorRef[SessionSupervisor]
    session: Address
    gave_up: threading.Event
    state: SessionState = attrs.field(repr=False)


def start_session_tree(
    agent: RealtimeAgent,
    run_config: RunConfig,
    model_config: ModelConfig,
    options: ConnectOptions,
    subscribers: Iterable[pykka.ActorRef[Any]] = (),
    *,
    session_id: str | None = None,
    resume: SessionSnapshot | None = None,
) -> SessionTree:
    """Start the supervisor with the session and its connection; returns the tree.

    ``resume``: a snapshot whose conversation the first connection restores. With a store in
    ``run_config``, the session checkpoints itself under ``session_id`` (a new id if None)."""
    core = SessionCore(agent, run_config, playback_tracker=model_config.playback_tracker,
                       clock=time.monotonic)
    session_id = check_session_id(session_id or (resume.session_id if resume else
                                                 uuid.uuid4().hex))
    sink: EventSink
    subscribers = list(dict.fromkeys(subscribers))
    max_bytes, unread_bytes = run_config.event_buffer_bytes, run_config.event_buffer_unread_bytes
    if run_config.store is not None:
        sink = CheckpointSink(run_config.event_buffer, Checkpoint(
            DEFAULT_CHECKPOINTER, run_config.store, session_id, run_config.checkpoint),
            max_bytes=max_bytes, unread_bytes=unread_bytes, subscribed=bool(subscribers))
    else:
        sink = EventSink(run_config.event_buffer, max_bytes=max_bytes, unread_bytes=unread_bytes,
                         subscribed=bool(subscribers))
    state = SessionState(core=core, run_config=run_config, sink=sink,
                         subscribers=subscribers, session_id=session_id,
                         gauge=SendGauge(options.limits.send_buffer_bytes))
    if resume is not None:
        restore_snapshot(state, resume, agent)
        state.snapshot_count = resume.sequence
    if isinstance(sink, CheckpointSink):
        sink.state = state
    session_address: list[Address] = []

    def start_session(link: SupervisionLink) -> pykka.ActorRef[Any]:
        return SessionActor.start(state, link=link)

    def start_connection(link: SupervisionLink) -> pykka.ActorRef[Any]:
        owner = session_address[0] if session_address else None
        return WebSocketActor.start(options, owner, link=link)

    def on_give_up(reason: str) -> None:
        state.give_up_reason = reason

    policy = run_config.reconnect
    gave_up = threading.Event()
    # children are started one by one so the connection can be given the session's address
    supervisor = SessionSupervisor.start(
        children=[ChildSpec(id=SESSION_CHILD, start=start_session, restart=Restart.TRANSIENT,
                            watchdog=False)],
        strategy=Strategy.REST_FOR_ONE,
        max_restarts=policy.max_attempts,
        max_seconds=policy.window_s,
        backoff=policy.backoff(),
        on_give_up=on_give_up,
        gave_up=gave_up,
        name="realtime-session",
    )
    try:
        address: Address = supervisor.ask(GetAddress(child_id=SESSION_CHILD), block=True,
                                          timeout=10)
        session_address.append(address)
        supervisor.ask(StartChild(spec=ChildSpec(id=CONNECTION_CHILD, start=start_connection,
                                                 restart=Restart.TRANSIENT, watchdog=False)),
                       timeout=10)
    except BaseException:
        supervisor.stop(block=True, timeout=10)
        raise
    return SessionTree(supervisor=supervisor, session=session_address[0], gave_up=gave_up,
                       state=state)
