"""SessionHost: many sessions in one process, with a lease, checkpoints, fencing and drain.

A plain class (no Ray in it): the Ray actor of :mod:`realtime_actors.cluster.ray_host` wraps
it, and tests can run it in-process. Every session checkpoints into the shared store under
the host's lease, so a host that lost its lease can no longer write, and stops."""

from __future__ import annotations

import collections
import concurrent.futures
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from ..agents.agent import RealtimeAgent
from ..durable.capture import find_agent
from ..durable.checkpointer import CheckpointPolicy
from ..durable.snapshot import SessionSnapshot, SnapshotError
from ..durable.store import FencedStore, SessionStore, StaleEpochError
from ..errors import ConfigError
from ..session.core.history import HistoryItem
from ..session.events import SessionEndedEvent, SessionEvent
from ..session.handle import Session, run
from ..session.run_config import ModelConfig, RunConfig
from ..validation import checked
from .errors import HostDrainingError, HostFencedError, HostFullError, UnknownSessionError
from .lease import LeaseKeeper

logger = logging.getLogger(__name__)

STOP_THREADS = 32
"""Sessions stopped at the same time when a host is fenced or shut down."""

KNOWN_IDS_LIMIT = 4096
"""Message ids remembered per session to ignore a retried message (oldest forgotten)."""


@attrs.frozen(kw_only=True)
class HostConfig:
    """A host's name (its lease and the owner of its sessions in the store) and limits."""

    name: str
    capacity: int = attrs.field(default=100, validator=checked(attrs.validators.gt(0)))
    lease_ttl_s: float = attrs.field(default=3.0, validator=checked(attrs.validators.gt(0)))
    checkpoint: CheckpointPolicy = attrs.field(factory=lambda: CheckpointPolicy(interval_s=0.1))
    sweep_s: float | None = 1.0
    """How often to adopt sessions another host released (``None``: never)."""
    close_timeout_s: float = 5.0


@attrs.frozen(kw_only=True)
class HostLoad:
    """What a host reports for placement."""

    name: str
    sessions: int
    capacity: int
    draining: bool
    fenced: bool
    epoch: int
    pid: int

    @property
    def free(self) -> int:
        """Sessions it can still take (0 when draining or fenced)."""
        return 0 if self.draining or self.fenced else max(0, self.capacity - self.sessions)


class _Hosted:
    """One session of the host, and the ids of the messages it already has."""

    def __init__(self, session: Session, known: Iterable[str]) -> None:
        self.session = session
        self.known: collections.OrderedDict[str, None] = collections.OrderedDict(
            (k, None) for k in known)

    def seen(self, item_id: str) -> bool:
        if item_id in self.known:
            return True
        self.known[item_id] = None
        if len(self.known) > KNOWN_IDS_LIMIT:
            self.known.popitem(last=False)
        return False


class SessionHost:
    """Runs sessions of the given ``agents`` (and those reachable by their handoffs) against
    ``model_config``, checkpointing each into ``store`` under this host's lease."""

    def __init__(self, config: HostConfig, agents: Sequence[RealtimeAgent], store: SessionStore,
                 model_config: ModelConfig, run_config: RunConfig | None = None, *,
                 on_fenced: Callable[[str], None] | None = None) -> None:
        if not agents:
            raise ConfigError("a SessionHost needs at least one agent")
        self.config = config
        self.agents = tuple(agents)
        self.store = store
        self.model_config = model_config
        self.run_config = run_config or RunConfig()
        self._on_fenced = on_fenced
        self._lock = threading.Condition()
        self._sessions: dict[str, _Hosted] = {}
        self._closed: collections.deque[str] = collections.deque(maxlen=KNOWN_IDS_LIMIT)
        """Sessions ended by ``close`` (their end is reported), most recent last."""
        self._draining = False
        self._fenced: str | None = None
        self._keeper = LeaseKeeper(store, config.name, config.lease_ttl_s, self.fence)
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> list[str]:
        """Take the lease (waiting out a previous holder's) and resume every session the
        store says this host owns; returns their ids."""
        self._keeper.acquire()
        resumed = [sid for sid in self.store.session_ids(self.config.name) if self._resume(sid)]
        if resumed:
            logger.info("%s resumed %d sessions", self.config.name, len(resumed))
        if self.config.sweep_s is not None:
            self._sweeper = threading.Thread(target=self._sweep, daemon=True,
                                             name=f"sweep-{self.config.name}")
            self._sweeper.start()
        return resumed

    def shutdown(self) -> None:
        """Stop every session keeping its record (a restarted host resumes them), stop
        renewing and release the lease."""
        self._stop.set()
        self._stop_all(self._take_all())
        self._keeper.stop(release=True)
        if self._sweeper is not None:
            self._sweeper.join(timeout=5)

    def fence(self, reason: str) -> None:
        """The lease is lost: stop every session at once (closing its socket) without
        writing to the store, and take no more calls."""
        with self._lock:
            if self._fenced is not None:
                return
            self._fenced = reason
        self._stop.set()
        started = time.monotonic()
        hosted = self._take_all()
        self._stop_all(hosted)
        logger.error("%s fenced (%s): stopped %d sessions in %.3fs", self.config.name,
                     reason, len(hosted), time.monotonic() - started)
        if self._on_fenced is not None:
            self._on_fenced(reason)

    def drain(self, timeout: float) -> list[str]:
        """Take no new sessions; wait up to ``timeout`` for the running ones to end, then
        hand the rest over: save, release in the store (another host adopts them), stop.
        Returns the ids handed over."""
        with self._lock:
            self._draining = True
            self._lock.wait_for(lambda: not self._sessions, timeout)
        released = []
        for hosted in self._take_all():
            sid = hosted.session.session_id
            try:
                hosted.session.checkpoint()
                self.store.release(sid, self._keeper.fence)
                released.append(sid)
            except Exception as exc:  # kept: the record stays ours, a restart resumes it
                logger.error("%s: handing %s over failed: %s", self.config.name, sid, exc)
            self._stop_session(hosted, keep=True)
        logger.info("%s drained: handed over %d sessions", self.config.name, len(released))
        return released

    def load(self) -> HostLoad:
        """Sessions, capacity and state, for placement."""
        with self._lock:
            return HostLoad(name=self.config.name, sessions=len(self._sessions),
                            capacity=self.config.capacity, draining=self._draining,
                            fenced=self._fenced is not None,
                            epoch=self._keeper.lease.fence.epoch if self._keeper.lease else 0,
                            pid=os.getpid())

    def session_ids(self) -> list[str]:
        """Ids of the sessions running here."""
        with self._lock:
            return list(self._sessions)

    # ------------------------------------------------------------------ placing sessions
    def open(self, agent_name: str, *, session_id: str | None = None,
             history: Sequence[HistoryItem | Mapping[str, Any]] | None = None,
             resume: SessionSnapshot | None = None) -> str:
        """Start a session of the agent called ``agent_name``; returns its id."""
        self._admit()
        agent = self._agent(agent_name)
        sid = session_id or (resume.session_id if resume else uuid.uuid4().hex)
        known = () if resume is None else _known_ids(resume)
        self._start(agent, sid, known, history=history, resume=resume)
        return sid

    def adopt(self, session_id: str) -> bool:
        """Claim a session released by another host and resume it here; False if another
        host has it (or it is gone)."""
        self._admit()
        if not self.store.claim(session_id, self._keeper.fence):
            return False
        return self._resume(session_id)

    def _admit(self) -> None:
        with self._lock:
            if self._fenced is not None:
                raise HostFencedError(f"{self.config.name} is fenced: {self._fenced}")
            if self._draining:
                raise HostDrainingError(f"{self.config.name} is draining")
            if len(self._sessions) >= self.config.capacity:
                raise HostFullError(f"{self.config.name} runs {self.config.capacity} sessions")

    def _agent(self, name: str) -> RealtimeAgent:
        for root in self.agents:
            try:
                return find_agent(root, name)
            except SnapshotError:
                continue
        raise ConfigError(f"{self.config.name} has no agent {name!r}")

    def _resume(self, session_id: str) -> bool:
        snapshot = self.store.load(session_id)
        if snapshot is None:
            return False
        try:
            agent = self._agent(snapshot.agent_name)
        except ConfigError as exc:
            logger.error("cannot resume %s: %s", session_id, exc)
            return False
        root = next(a for a in self.agents if _reaches(a, agent))
        self._start(root, session_id, _known_ids(snapshot), resume=snapshot)
        return True

    def _start(self, agent: RealtimeAgent, session_id: str, known: Iterable[str],
               **kwargs: Any) -> None:
        # the consumer's pulls read the buffer: keep audio from the start, not only from the
        # first pull (which may come after the first deltas)
        config = attrs.evolve(self.run_config, checkpoint=self.config.checkpoint,
                              store=FencedStore(self.store, self._keeper.fence),
                              event_buffer_unread_bytes=None)
        session = run(agent, config=config, model_config=self.model_config,
                      session_id=session_id, **kwargs)
        with self._lock:
            if self._fenced is None and session_id not in self._sessions:
                self._sessions[session_id] = _Hosted(session, known)
                return
        self._stop_session(_Hosted(session, ()), keep=True)
        raise HostFencedError(f"{self.config.name} is fenced") if self._fenced else \
            ConfigError(f"session {session_id!r} already runs here")

    # ------------------------------------------------------------------ session calls
    def _get(self, session_id: str) -> Session:
        with self._lock:
            if self._fenced is not None:
                raise HostFencedError(f"{self.config.name} is fenced: {self._fenced}")
            hosted = self._sessions.get(session_id)
        if hosted is None:
            raise UnknownSessionError(f"{self.config.name} does not run {session_id!r}")
        return hosted.session

    def send_message(self, session_id: str, message: str | Mapping[str, Any]) -> str:
        """Send a message and save a checkpoint holding it before returning (the
        acknowledgement); a message id already seen is not sent twice. Returns its id."""
        session = self._get(session_id)
        item: dict[str, Any] = dict(message) if isinstance(message, Mapping) else {
            "type": "message", "role": "user",
            "content": [{"type": "input_text", "text": message}]}
        item_id: str = item.setdefault("id", f"item_{uuid.uuid4().hex[:24]}")
        with self._lock:
            hosted = self._sessions.get(session_id)
            duplicate = hosted is not None and hosted.seen(item_id)
        if not duplicate:
            session.send_message(item)
        self._checkpoint(session)
        return item_id

    def _checkpoint(self, session: Session) -> None:
        try:
            session.checkpoint()
        except StaleEpochError as exc:
            self.fence(str(exc))
            raise HostFencedError(f"{self.config.name} lost its lease: {exc}") from None

    def send_audio(self, session_id: str, pcm: bytes, commit: bool = False,
                   respond: bool | None = None) -> None:
        """Append audio (not checkpointed: audio is kept as transcripts)."""
        self._get(session_id).send_audio(pcm, commit=commit, respond=respond)

    def interrupt(self, session_id: str) -> None:
        """Cancel the current response and truncate its audio."""
        self._get(session_id).interrupt()

    def history(self, session_id: str) -> tuple[HistoryItem, ...]:
        """The session's conversation."""
        return self._get(session_id).history()

    def snapshot(self, session_id: str) -> SessionSnapshot:
        """A snapshot of the session now."""
        return self._get(session_id).snapshot()

    def pull(self, session_id: str, max_events: int = 256, wait_s: float = 1.0,
             ) -> list[SessionEvent]:
        """Up to ``max_events`` events of the session (waiting up to ``wait_s`` for one).
        A session stopped here to move elsewhere does not report its end: the consumer's
        next pull finds it gone and follows it."""
        batch = self._get(session_id).next_events(max_events, wait_s)
        with self._lock:
            moved = session_id not in self._sessions and session_id not in self._closed
        if moved:
            batch = [e for e in batch if not isinstance(e, SessionEndedEvent)]
        return batch

    def close(self, session_id: str) -> None:
        """End the session for good (its record is deleted). A session this host does not
        run is deleted from the store unless another host owns it (UnknownSessionError)."""
        with self._lock:
            hosted = self._sessions.pop(session_id, None)
            self._closed.append(session_id)
            self._lock.notify_all()
        if hosted is not None:
            hosted.session.close(timeout=self.config.close_timeout_s)
            return
        if self._fenced is not None:
            raise HostFencedError(f"{self.config.name} is fenced: {self._fenced}")
        owner = self.store.owner_of(session_id)
        if owner not in (None, self.config.name):
            raise UnknownSessionError(f"{session_id!r} runs on {owner}, not here")
        self.store.delete(session_id, fence=self._keeper.fence)

    # ------------------------------------------------------------------ internals
    def _take_all(self) -> list[_Hosted]:
        with self._lock:
            hosted = list(self._sessions.values())
            self._sessions.clear()
            self._lock.notify_all()
        return hosted

    def _stop_all(self, hosted: list[_Hosted]) -> None:
        """Stop sessions keeping their records, all at once (each close waits for its
        socket's close handshake, up to the model config's close timeout)."""
        for item in hosted:
            item.session.keep_record()
        if len(hosted) <= 1:
            for item in hosted:
                self._stop_session(item, keep=True)
            return
        with concurrent.futures.ThreadPoolExecutor(
                max_workers=min(STOP_THREADS, len(hosted)),
                thread_name_prefix=f"stop-{self.config.name}") as pool:
            list(pool.map(lambda item: self._stop_session(item, keep=True), hosted))

    def _stop_session(self, hosted: _Hosted, *, keep: bool) -> None:
        if keep:
            hosted.session.keep_record()
        hosted.session.close(timeout=self.config.close_timeout_s)

    def _sweep(self) -> None:
        assert self.config.sweep_s is not None
        while not self._stop.wait(self.config.sweep_s):
            if self.load().free == 0:
                continue
            try:
                for sid in self.store.released_ids():
                    if self.load().free == 0:
                        break
                    if self.adopt(sid):
                        logger.info("%s adopted released session %s", self.config.name, sid)
            except Exception as exc:  # the next sweep tries again
                logger.warning("%s: sweep failed: %s: %s", self.config.name,
                               type(exc).__name__, exc)


def _known_ids(snapshot: SessionSnapshot) -> list[str]:
    ids = [item.item_id for item in snapshot.items]
    for frame in snapshot.pending:
        item = frame.get("item")
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            ids.append(item["id"])
    return ids


def _reaches(root: RealtimeAgent, agent: RealtimeAgent) -> bool:
    try:
        return find_agent(root, agent.name) is agent
    except SnapshotError:
        return False
