"""MemoryStore: a :class:`~realtime_actors.durable.store.SessionStore` in one process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from .snapshot import SessionSnapshot
from .store import Fence, Lease, LeaseBook, check_session_id


class MemoryStore:
    """A :class:`SessionStore` in this process's memory (snapshots kept as JSON text, so
    a saved snapshot is a copy). Thread-safe."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, tuple[str, str | None]] = {}
        self._leases = LeaseBook(clock)

    def save(self, snapshot: SessionSnapshot, *, fence: Fence | None = None) -> None:
        """See :class:`SessionStore`."""
        session_id = check_session_id(snapshot.session_id)
        text = snapshot.to_json()
        with self._lock:
            self._leases.check(fence)
            self._records[session_id] = (text, fence.owner if fence else None)

    def load(self, session_id: str) -> SessionSnapshot | None:
        """See :class:`SessionStore`."""
        with self._lock:
            record = self._records.get(check_session_id(session_id))
        return None if record is None else SessionSnapshot.from_json(record[0])

    def delete(self, session_id: str, *, fence: Fence | None = None) -> None:
        """See :class:`SessionStore`."""
        with self._lock:
            self._leases.check(fence)
            self._records.pop(check_session_id(session_id), None)

    def session_ids(self, owner: str | None = None) -> list[str]:
        """See :class:`SessionStore`."""
        with self._lock:
            return [sid for sid, (_, who) in self._records.items()
                    if owner is None or who == owner]

    def owner_of(self, session_id: str) -> str | None:
        """See :class:`SessionStore`."""
        with self._lock:
            record = self._records.get(check_session_id(session_id))
        return None if record is None else record[1]

    def released_ids(self) -> list[str]:
        """See :class:`SessionStore`."""
        with self._lock:
            return [sid for sid, (_, who) in self._records.items() if who is None]

    def claim(self, session_id: str, fence: Fence) -> bool:
        """See :class:`SessionStore`."""
        with self._lock:
            self._leases.check(fence)
            record = self._records.get(check_session_id(session_id))
            if record is None or record[1] not in (None, fence.owner):
                return False
            self._records[session_id] = (record[0], fence.owner)
            return True

    def release(self, session_id: str, fence: Fence) -> None:
        """See :class:`SessionStore`."""
        with self._lock:
            self._leases.check(fence)
            record = self._records.get(check_session_id(session_id))
            if record is not None and record[1] == fence.owner:
                self._records[session_id] = (record[0], None)

    def __reduce__(self) -> Any:
        raise TypeError("a MemoryStore lives in one process and cannot be sent to another; "
                        "use a FileStore or realtime_actors.cluster.RayStore")

    def acquire_lease(self, owner: str, ttl_s: float) -> Lease:
        """See :class:`SessionStore`."""
        with self._lock:
            return self._leases.acquire(owner, ttl_s)

    def renew_lease(self, fence: Fence, ttl_s: float) -> bool:
        """See :class:`SessionStore`."""
        with self._lock:
            return self._leases.renew(fence, ttl_s)

    def release_lease(self, fence: Fence) -> None:
        """See :class:`SessionStore`."""
        with self._lock:
            self._leases.release(fence)
