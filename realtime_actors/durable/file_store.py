"""FileStore: a :class:`~realtime_actors.durable.store.SessionStore` in a directory."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .snapshot import SessionSnapshot, SnapshotError
from .store import Fence, Lease, LeaseBook, StoreError, check_session_id


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

    def _book(self) -> LeaseBook:
        path = self.directory / "leases.json"
        book = LeaseBook(time.time)
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                book.epochs = {k: int(v) for k, v in data["epochs"].items()}
                book.expires = {k: float(v) for k, v in data["expires"].items()}
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise StoreError(f"{path} is corrupt: {exc}") from None
        return book

    def _keep(self, book: LeaseBook) -> None:
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

    def owner_of(self, session_id: str) -> str | None:
        """See :class:`SessionStore`."""
        record = self._read(session_id)
        owner = None if record is None else record.get("owner")
        return owner if isinstance(owner, str) else None

    def released_ids(self) -> list[str]:
        """See :class:`SessionStore`."""
        return [sid for sid in self.session_ids()
                if (rec := self._read(sid)) is not None and rec.get("owner") is None]

    def _set_owner(self, session_id: str, fence: Fence, new_owner: str | None) -> bool:
        with self._locked():
            self._book().check(fence)
            record = self._read(session_id)
            if record is None or record.get("owner") not in (None, fence.owner):
                return False
            if record.get("owner") != new_owner:
                record["owner"] = new_owner
                self._write(self._sessions / f"{session_id}.json",
                            json.dumps(record, separators=(",", ":")))
            return True

    def claim(self, session_id: str, fence: Fence) -> bool:
        """See :class:`SessionStore`."""
        return self._set_owner(session_id, fence, fence.owner)

    def release(self, session_id: str, fence: Fence) -> None:
        """See :class:`SessionStore`."""
        if self.owner_of(session_id) == fence.owner:
            self._set_owner(session_id, fence, None)

    def __getstate__(self) -> dict[str, Any]:
        return {"directory": str(self.directory), "fsync": self._fsync}

    def __setstate__(self, state: dict[str, Any]) -> None:
        FileStore.__init__(self, state["directory"], fsync=state["fsync"])

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
