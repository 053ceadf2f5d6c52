"""Checkpoints: a session with ``RunConfig(store=...)`` saves its snapshot after every change
to its conversation, debounced (at most one save per session per ``interval_s``) and bounded
(one pending snapshot per session), on one writer thread per process."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from ..session import events as ev
from ..session.event_sink import DEFAULT_EVENT_BUFFER_BYTES, DEFAULT_UNREAD_BYTES, EventSink
from ..validation import NUMBER, checked
from .capture import capture_snapshot
from .snapshot import SessionSnapshot
from .store import SessionStore

if TYPE_CHECKING:
    from ..session.state import SessionState

logger = logging.getLogger(__name__)

CHANGE_EVENTS = (ev.HistoryAddedEvent, ev.HistoryUpdatedEvent, ev.HandoffEvent,
                 ev.ToolEndEvent, ev.AgentEndEvent)
"""Events after which the conversation (or the owed response) may have changed."""


@attrs.frozen(kw_only=True)
class CheckpointPolicy:
    """How often a session with a store saves its snapshot."""

    interval_s: float = attrs.field(default=0.2, validator=checked(NUMBER, attrs.validators.ge(0)))
    """At most one save per session per interval; a change is saved at most this long
    after it happened (0: every change is saved as soon as the writer gets to it)."""
    delete_on_end: bool = True
    """Delete the session's record when it ends (a closed session is not resumed)."""


@attrs.define(eq=False)
class CheckpointStats:
    """What the writer has done (for benchmarks and health checks)."""

    saves: int = 0
    failures: int = 0
    bytes: int = 0
    seconds: float = 0.0


class Checkpoint:
    """The checkpoint state of one session: its latest unsaved snapshot and where it goes."""

    def __init__(self, writer: Checkpointer, store: SessionStore, session_id: str,
                 policy: CheckpointPolicy) -> None:
        self.writer = writer
        self.store = store
        self.session_id = session_id
        self.policy = policy
        self.on_error: Callable[[BaseException], None] | None = None
        self.pending: SessionSnapshot | None = None
        self.due = 0.0
        self.last_save = float("-inf")
        self.saved_sequence = -1
        self.ended = False
        self.detached = False
        self.save_lock = threading.Lock()

    def changed(self, snapshot: SessionSnapshot) -> None:
        """A newer snapshot to save (replaces any unsaved one)."""
        self.writer.submit(self, snapshot)

    def save_now(self, snapshot: SessionSnapshot) -> None:
        """Save ``snapshot`` in the calling thread (raises what the store raises)."""
        with self.save_lock:
            if snapshot.sequence <= self.saved_sequence:
                return
            self.store.save(snapshot)
            self.saved_sequence = snapshot.sequence
            self.last_save = time.monotonic()

    def detach(self) -> None:
        """Stop saving and never delete: the record stays for whoever resumes it."""
        self.detached = True
        self.writer.forget(self)

    def flush(self, timeout: float) -> bool:
        """Wait until the latest snapshot is saved; False on timeout."""
        return self.writer.wait_saved(self, timeout)


class Checkpointer:
    """The writer thread shared by every checkpointed session of the process; it runs only
    while some session has a snapshot to save."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._cond = threading.Condition()
        self._queue: dict[int, Checkpoint] = {}
        self._busy: set[int] = set()
        self._thread: threading.Thread | None = None
        self.stats = CheckpointStats()

    def submit(self, checkpoint: Checkpoint, snapshot: SessionSnapshot) -> None:
        """Queue ``snapshot`` (debounced by the checkpoint's policy)."""
        with self._cond:
            if checkpoint.detached:
                return
            if checkpoint.pending is None:
                checkpoint.due = max(self._clock(),
                                     checkpoint.last_save + checkpoint.policy.interval_s)
            checkpoint.pending = snapshot
            self._queue[id(checkpoint)] = checkpoint
            self._wake()

    def end(self, checkpoint: Checkpoint) -> None:
        """The session ended: delete its record (policy) or save what is pending now."""
        with self._cond:
            if checkpoint.detached:
                return
            checkpoint.ended = True
            checkpoint.due = self._clock()
            if checkpoint.policy.delete_on_end:
                checkpoint.pending = None
            self._queue[id(checkpoint)] = checkpoint
            self._wake()

    def forget(self, checkpoint: Checkpoint) -> None:
        """Drop whatever ``checkpoint`` has queued."""
        with self._cond:
            checkpoint.pending = None
            self._queue.pop(id(checkpoint), None)
            self._cond.notify_all()

    def wait_saved(self, checkpoint: Checkpoint, timeout: float) -> bool:
        """Wait until nothing of ``checkpoint`` is queued or being written."""
        key = id(checkpoint)
        with self._cond:
            return self._cond.wait_for(
                lambda: key not in self._queue and key not in self._busy, timeout)

    def _wake(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="checkpoint-writer",
                                            daemon=True)
            self._thread.start()
        self._cond.notify_all()

    def _next(self) -> Checkpoint | None:
        with self._cond:
            while True:
                if not self._queue:
                    self._thread = None
                    return None
                now = self._clock()
                first = min(self._queue.values(), key=lambda c: c.due)
                if first.due <= now:
                    del self._queue[id(first)]
                    self._busy.add(id(first))
                    return first
                self._cond.wait(first.due - now)

    def _run(self) -> None:
        while (checkpoint := self._next()) is not None:
            try:
                self._write(checkpoint)
            finally:
                with self._cond:
                    self._busy.discard(id(checkpoint))
                    self._cond.notify_all()

    def _write(self, checkpoint: Checkpoint) -> None:
        with self._cond:
            snapshot, checkpoint.pending = checkpoint.pending, None
        started = time.perf_counter()
        try:
            if snapshot is not None:
                checkpoint.save_now(snapshot)
                self.stats.bytes += len(snapshot.to_json())
            if checkpoint.ended and checkpoint.policy.delete_on_end:
                checkpoint.store.delete(checkpoint.session_id)
        except Exception as exc:  # reported, never silent: logged, counted, handed on
            self.stats.failures += 1
            logger.error("checkpoint of session %s failed: %s: %s", checkpoint.session_id,
                         type(exc).__name__, exc)
            if checkpoint.on_error is not None:
                checkpoint.on_error(exc)
            return
        self.stats.saves += snapshot is not None
        self.stats.seconds += time.perf_counter() - started


DEFAULT_CHECKPOINTER = Checkpointer()
"""The process's writer."""


class CheckpointSink(EventSink):
    """The session's event buffer, which also takes a snapshot (in the session actor, so it
    is consistent) after every event that may change the conversation, for the writer."""

    def __init__(self, maxlen: int, checkpoint: Checkpoint, *,
                 max_bytes: int = DEFAULT_EVENT_BUFFER_BYTES,
                 unread_bytes: int | None = DEFAULT_UNREAD_BYTES,
                 subscribed: bool = False) -> None:
        super().__init__(maxlen, max_bytes=max_bytes, unread_bytes=unread_bytes,
                         subscribed=subscribed)
        self.checkpoint = checkpoint
        self.state: SessionState | None = None

    def put(self, event: ev.SessionEvent) -> None:
        """Buffer the event; queue a snapshot after a change, or the end of the session."""
        super().put(event)
        if self.state is None:
            return
        if isinstance(event, CHANGE_EVENTS):
            try:
                snapshot = take_snapshot(self.state)
            except Exception:  # a bug here must not take the session down: logged loudly
                logger.exception("taking a snapshot of session %s failed",
                                 self.checkpoint.session_id)
                return
            self.checkpoint.changed(snapshot)
        elif isinstance(event, ev.SessionEndedEvent):
            self.checkpoint.writer.end(self.checkpoint)


def take_snapshot(state: SessionState) -> SessionSnapshot:
    """The next snapshot of ``state`` (run by the actor that owns it)."""
    state.snapshot_count += 1
    return capture_snapshot(state, state.session_id, state.snapshot_count)
