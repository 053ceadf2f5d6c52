"""RemoteSession: the handle on a session running in a host somewhere in the Ray cluster,
with the methods of :class:`~realtime_actors.session.handle.Session`. It follows its session when
the host fails over or drains (it asks the store who owns the session now)."""

from __future__ import annotations

import collections
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar, overload

import numpy as np
import ray
import ray.exceptions

from ..audio.pcm import to_pcm16_bytes
from ..durable.snapshot import SessionSnapshot
from ..session.core.history import HistoryItem
from ..session.events import SessionEndedEvent, SessionEvent
from ..session.handle import EventKind, SessionClosedError, event_matcher, is_awaited
from ..supervision.backoff import backoff_delay
from .errors import HostFencedError, HostUnavailableError, UnknownSessionError

if TYPE_CHECKING:
    from .client import Cluster

logger = logging.getLogger(__name__)

E = TypeVar("E", bound=SessionEvent)

_MOVED = (UnknownSessionError, HostFencedError)
_UNREACHABLE = (ray.exceptions.RayActorError, ray.exceptions.GetTimeoutError)


class RemoteSession:
    """Handle on a session in a :class:`~realtime_actors.cluster.host.SessionHost`.

    Calls go to the host that owns the session. While the host is down or the session is
    moving, a call is retried for up to ``failover_timeout_s`` and then raises
    :class:`HostUnavailableError`. ``send_message`` returns once the message is saved in
    the store (a retried message is not sent twice); ``send_audio`` is not retried (audio is
    not durable) and raises :class:`HostUnavailableError` at once when the host is down."""

    def __init__(self, cluster: Cluster, session_id: str, host: str, *,
                 failover_timeout_s: float = 30.0, call_timeout_s: float = 10.0) -> None:
        self._cluster = cluster
        self.session_id = session_id
        self._host = host
        self.failover_timeout_s = failover_timeout_s
        self.call_timeout_s = call_timeout_s
        self._unread: collections.deque[SessionEvent] = collections.deque()
        """Pulled events not handed out yet (a batch is read one event at a time)."""

    def __repr__(self) -> str:
        return f"<RemoteSession {self.session_id} on {self._host}>"

    @property
    def host(self) -> str:
        """The host the handle talks to now."""
        return self._host

    # ------------------------------------------------------------------ calls
    def _call(self, method: str, *args: Any, retry: bool = True,
              timeout: float | None = None, **kwargs: Any) -> Any:
        deadline = time.monotonic() + self.failover_timeout_s
        attempt = 0
        while True:
            attempt += 1
            delay = backoff_delay(attempt, base_s=0.05, cap_s=0.5, jitter=1.0)
            try:
                handle = self._cluster.handle(self._host)
                ref = getattr(handle, method).remote(self.session_id, *args, **kwargs)
                return ray.get(ref, timeout=timeout or self.call_timeout_s)
            except ray.exceptions.RayTaskError as exc:
                cause = getattr(exc, "cause", None)
                if not isinstance(cause, _MOVED):
                    raise (cause if isinstance(cause, Exception) else exc) from None
                problem: BaseException = cause
            except (*_UNREACHABLE, ValueError) as exc:  # ValueError: no actor of that name
                if not retry:
                    raise HostUnavailableError(
                        f"host {self._host} is unreachable; {method} was not retried "
                        f"({type(exc).__name__})") from None
                problem = exc
            if time.monotonic() + delay > deadline:
                raise HostUnavailableError(
                    f"no host answered {method} for session {self.session_id} within "
                    f"{self.failover_timeout_s}s (last: {type(problem).__name__})") from None
            time.sleep(delay)
            self._resolve(gone_here=isinstance(problem, UnknownSessionError))

    def _resolve(self, gone_here: bool = False) -> None:
        """Ask the store who owns the session now (it may have moved). A session its host
        does not run and the store does not keep has ended: SessionClosedError."""
        store = self._cluster.store
        try:
            owner = store.owner_of(self.session_id)
            ended = gone_here and owner is None and store.load(self.session_id) is None
        except Exception as exc:  # the store itself is down: keep the host we know
            logger.warning("cannot resolve %s: %s", self.session_id, exc)
            return
        if ended:
            raise SessionClosedError(f"session {self.session_id} has ended")
        if owner is not None and owner != self._host:
            logger.info("session %s moved from %s to %s", self.session_id, self._host, owner)
            self._host = owner

    def send_message(self, message: str | Mapping[str, Any]) -> str:
        """Send user text (or an item dict); returns once the host saved it. Returns the
        item id (given once, so a retry after a fail-over cannot send it twice)."""
        item = dict(message) if isinstance(message, Mapping) else {
            "type": "message", "role": "user",
            "content": [{"type": "input_text", "text": message}]}
        item.setdefault("id", f"item_{uuid.uuid4().hex[:24]}")
        item_id: str = self._call("send_message", item)
        return item_id

    def send_audio(self, audio: bytes | np.ndarray, *, commit: bool = False,
                   respond: bool | None = None) -> None:
        """Append audio (PCM16 bytes or numpy) on the host; see the class docstring."""
        self._call("send_audio", to_pcm16_bytes(audio), commit, respond, retry=False)

    def interrupt(self) -> None:
        """Cancel the current response and truncate its audio."""
        self._call("interrupt")

    def history(self) -> tuple[HistoryItem, ...]:
        """The conversation history, in order."""
        history: tuple[HistoryItem, ...] = self._call("history")
        return history

    def snapshot(self) -> SessionSnapshot:
        """A :class:`~realtime_actors.durable.SessionSnapshot` of the session now."""
        snapshot: SessionSnapshot = self._call("snapshot")
        return snapshot

    def close(self) -> None:
        """End the session for good (its record is deleted)."""
        self._call("close")

    # ------------------------------------------------------------------ events
    def next_events(self, max_events: int = 256, wait_s: float = 1.0) -> list[SessionEvent]:
        """A batch of events (one round trip); ``[]`` after ``wait_s`` without one."""
        if self._unread:
            batch = list(self._unread)
            self._unread.clear()
            return batch
        events: list[SessionEvent] = self._call(
            "pull", max_events, wait_s, timeout=wait_s + self.call_timeout_s)
        return events

    def _next(self, wait_s: float) -> SessionEvent | None:
        if not self._unread:
            self._unread.extend(self.next_events(wait_s=wait_s))
        return self._unread.popleft() if self._unread else None

    def events(self, timeout: float | None = None) -> Iterator[SessionEvent]:
        """Yield events in order (batched pulls); stops after ``SessionEndedEvent`` or
        ``timeout`` seconds without one. Events the old host had not handed out when it
        failed are lost; the resumed session's own events follow."""
        idle_since = time.monotonic()
        while True:
            left = None if timeout is None else timeout - (time.monotonic() - idle_since)
            if left is not None and left <= 0:
                return
            event = self._next(1.0 if left is None else min(left, 1.0))
            if event is None:
                continue
            idle_since = time.monotonic()
            yield event
            if isinstance(event, SessionEndedEvent):
                return

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
        """Consume events until one matches ``kind`` (a class or predicate); earlier ones go
        to ``collect``. Raises TimeoutError after ``timeout``. Returns the event, typed as
        ``kind`` when it is a class (or a ``TypeGuard``)."""
        deadline = time.monotonic() + timeout
        matches = event_matcher(kind)
        while (left := deadline - time.monotonic()) > 0:
            event = self._next(min(left, 1.0))
            if event is not None and is_awaited(event, matches, collect):
                return event
        raise TimeoutError(f"no matching event within {timeout}s")
