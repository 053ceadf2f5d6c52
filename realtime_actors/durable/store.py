"""Where snapshots are kept: the :class:`SessionStore` protocol (save / load / delete by
session id, with leases that fence stale writers) and two stores, in memory and in files."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

import attrs

from ..errors import ConfigError, RealtimeError
from .snapshot import SessionSnapshot, SnapshotError

logger = logging.getLogger(__name__)

_SAFE_ID = re.compile(r"[A-Za-z0-9_.\-]{1,128}")


class StoreError(RealtimeError):
    """A store could not carry out an operation (I/O failure, corrupt record)."""


class StaleEpochError(StoreError):
    """A write under a lease that is no longer current: another holder took it over."""


@attrs.frozen
class Fence:
    """Who writes (``owner``) under which lease ``epoch``."""

    owner: str
    epoch: int


@attrs.frozen
class Lease:
    """A granted lease: its fence, its time to live, and how long the previous holder may
    still act (``wait_s``: wait that long before taking its work over)."""

    fence: Fence
    ttl_s: float
    wait_s: float


@runtime_checkable
class SessionStore(Protocol):
    """Keeps the newest snapshot of each session, by session id, and the leases of the
    processes that write them. A write under a ``fence`` whose epoch is not its owner's
    current one raises :class:`StaleEpochError`."""

    def save(self, snapshot: SessionSnapshot, *, fence: Fence | None = None) -> None:
        """Keep ``snapshot`` as the newest of ``snapshot.session_id``."""

    def load(self, session_id: str) -> SessionSnapshot | None:
        """The newest snapshot of that session, or ``None``."""

    def delete(self, session_id: str, *, fence: Fence | None = None) -> None:
        """Forget that session (no error if unknown)."""

    def session_ids(self, owner: str | None = None) -> list[str]:
        """Ids of the sessions kept (last saved by ``owner``, if given)."""

    def acquire_lease(self, owner: str, ttl_s: float) -> Lease:
        """Take ``owner``'s lease under a new epoch (fencing any earlier holder)."""

    def renew_lease(self, fence: Fence, ttl_s: float) -> bool:
        """Extend the lease; False when ``fence`` is no longer the current one."""

    def release_lease(self, fence: Fence) -> None:
        """Let the lease lapse now (a clean stop)."""


def check_session_id(session_id: object) -> str:
    """``session_id`` if it is a safe key (1-128 of ``A-Z a-z 0-9 _ . -``), else ConfigError."""
    if not isinstance(session_id, str) or not _SAFE_ID.fullmatch(session_id):
        raise ConfigError(f"a session id is 1-128 characters of A-Z a-z 0-9 _ . -, "
                          f"not {session_id!r}")
    return session_id


@attrs.define
class _LeaseBook:
    """Epochs and expiry times by owner (shared by both stores; the caller locks)."""

    clock: Callable[[], float]
    epochs: dict[str, int] = attrs.field(factory=dict)
    expires: dict[str, float] = attrs.field(factory=dict)

    def acquire(self, owner: str, ttl_s: float) -> Lease:
        if ttl_s <= 0:
            raise ConfigError(f"a lease ttl must be > 0, got {ttl_s!r}")
        now = self.clock()
        wait = max(0.0, self.expires.get(owner, now) - now)
        epoch = self.epochs.get(owner, 0) + 1
        self.epochs[owner] = epoch
        self.expires[owner] = now + ttl_s
        return Lease(fence=Fence(owner, epoch), ttl_s=ttl_s, wait_s=wait)

    def renew(self, fence: Fence, ttl_s: float) -> bool:
        if self.epochs.get(fence.owner) != fence.epoch:
            return False
        self.expires[fence.owner] = self.clock() + ttl_s
        return True

    def release(self, fence: Fence) -> None:
        if self.epochs.get(fence.owner) == fence.epoch:
            self.expires[fence.owner] = self.clock()

    def check(self, fence: Fence | None) -> None:
        if fence is not None and self.epochs.get(fence.owner) != fence.epoch:
            raise StaleEpochError(f"{fence.owner} epoch {fence.epoch} is stale (current "
                                  f"{self.epochs.get(fence.owner)}); write refused")


class MemoryStore:
    """A :class:`SessionStore` in this process's memory (snapshots kept as JSON text, so
    a saved snapshot is a copy). Thread-safe."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, tuple[str, str | None]] = {}
        self._leases = _LeaseBook(clock)

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


class FileStore:
    """A :class:`SessionStore` in a directory: one JSON file per session, written atomically
    (a temporary file renamed over the old one, so a reader or a crash never sees half a
    record); leases in ``leases.json``. Processes on one machine (or a shared file system
    with working ``flock``) can share it. ``fsync=True`` also survives a machine crash."""

    def __init__(self, directory: str | os.PathLike[str], *, fsync: bool = False) -> None:
        self.directory = Path(directory)
        self._sessions = self.directory / "sessions"
        self._sessions.mkdir(parents=True, exist_ok=True)
        self._fsync = fsync
        self._thread_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FileStore({str(self.directory)!r})"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock, open(self.directory / ".lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _write(self, path: Path, text: str) -> None:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                if self._fsync:
                    handle.flush()
                    os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _book(self) -> _LeaseBook:
        path = self.directory / "leases.json"
        book = _LeaseBook(time.time)
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                book.epochs = {k: int(v) for k, v in data["epochs"].items()}
                book.expires = {k: float(v) for k, v in data["expires"].items()}
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise StoreError(f"{path} is corrupt: {exc}") from None
        return book

    def _keep(self, book: _LeaseBook) -> None:
        self._write(self.directory / "leases.json",
                    json.dumps({"epochs": book.epochs, "expires": book.expires}))

    def save(self, snapshot: SessionSnapshot, *, fence: Fence | None = None) -> None:
        """See :class:`SessionStore`."""
        path = self._sessions / f"{check_session_id(snapshot.session_id)}.json"
        record = json.dumps({"owner": fence.owner if fence else None,
                             "snapshot": snapshot.to_dict()}, separators=(",", ":"))
        with self._locked():
            if fence is not None:
                self._book().check(fence)
            self._write(path, record)

    def _read(self, session_id: str) -> dict[str, object] | None:
        path = self._sessions / f"{check_session_id(session_id)}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError as exc:
            raise StoreError(f"{path} is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise StoreError(f"{path} is not a store record")
        return data

    def load(self, session_id: str) -> SessionSnapshot | None:
        """See :class:`SessionStore`."""
        record = self._read(session_id)
        if record is None:
            return None
        try:
            return SessionSnapshot.from_dict(record.get("snapshot"))
        except SnapshotError as exc:
            raise StoreError(f"the record of {session_id!r} is not readable: {exc}") from exc

    def delete(self, session_id: str, *, fence: Fence | None = None) -> None:
        """See :class:`SessionStore`."""
        path = self._sessions / f"{check_session_id(session_id)}.json"
        with self._locked():
            if fence is not None:
                self._book().check(fence)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def session_ids(self, owner: str | None = None) -> list[str]:
        """See :class:`SessionStore`."""
        ids = sorted(p.stem for p in self._sessions.glob("*.json")
                     if not p.name.startswith(".tmp-"))
        if owner is None:
            return ids
        return [sid for sid in ids if (rec := self._read(sid)) and rec.get("owner") == owner]

    def acquire_lease(self, owner: str, ttl_s: float) -> Lease:
        """See :class:`SessionStore`."""
        with self._locked():
            book = self._book()
            lease = book.acquire(owner, ttl_s)
            self._keep(book)
            return lease

    def renew_lease(self, fence: Fence, ttl_s: float) -> bool:
        """See :class:`SessionStore`."""
        with self._locked():
            book = self._book()
            ok = book.renew(fence, ttl_s)
            if ok:
                self._keep(book)
            return ok

    def release_lease(self, fence: Fence) -> None:
        """See :class:`SessionStore`."""
        with self._locked():
            book = self._book()
            book.release(fence)
            self._keep(book)
