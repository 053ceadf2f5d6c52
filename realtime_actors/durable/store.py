"""Where snapshots are kept: the :class:`SessionStore` protocol (save / load / delete by
session id, with leases that fence stale writers) and two stores, in memory and in files."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import attrs

from ..errors import ConfigError, RealtimeError
from .snapshot import SessionSnapshot

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

    def owner_of(self, session_id: str) -> str | None:
        """Who last saved that session under a fence (``None``: nobody, or released)."""

    def released_ids(self) -> list[str]:
        """Ids of the kept sessions that have no owner (released, for another to claim)."""

    def claim(self, session_id: str, fence: Fence) -> bool:
        """Make ``fence.owner`` the owner of a kept session that has none (or is its
        already); False if another owner has it or it is not kept."""

    def release(self, session_id: str, fence: Fence) -> None:
        """Give a session up (its owner becomes ``None``) for another owner to claim."""

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
class LeaseBook:
    """Epochs and expiry times by owner (the stores' shared lease rules; the caller locks)."""

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


class FencedStore:
    """A store seen through one lease: every write carries ``fence`` (what a host hands its
    sessions, so their checkpoints are refused once the lease is lost)."""

    def __init__(self, store: SessionStore, fence: Fence) -> None:
        self.store = store
        self.fence = fence

    def __repr__(self) -> str:
        return f"FencedStore({self.store!r}, {self.fence!r})"

    def save(self, snapshot: SessionSnapshot, *, fence: Fence | None = None) -> None:
        """Save under this store's fence."""
        self.store.save(snapshot, fence=fence or self.fence)

    def load(self, session_id: str) -> SessionSnapshot | None:
        """See :class:`SessionStore`."""
        return self.store.load(session_id)

    def delete(self, session_id: str, *, fence: Fence | None = None) -> None:
        """Delete under this store's fence."""
        self.store.delete(session_id, fence=fence or self.fence)

    def session_ids(self, owner: str | None = None) -> list[str]:
        """See :class:`SessionStore`."""
        return self.store.session_ids(owner)

    def owner_of(self, session_id: str) -> str | None:
        """See :class:`SessionStore`."""
        return self.store.owner_of(session_id)

    def released_ids(self) -> list[str]:
        """See :class:`SessionStore`."""
        return self.store.released_ids()

    def claim(self, session_id: str, fence: Fence) -> bool:
        """See :class:`SessionStore`."""
        return self.store.claim(session_id, fence)

    def release(self, session_id: str, fence: Fence) -> None:
        """See :class:`SessionStore`."""
        self.store.release(session_id, fence)

    def acquire_lease(self, owner: str, ttl_s: float) -> Lease:
        """See :class:`SessionStore`."""
        return self.store.acquire_lease(owner, ttl_s)

    def renew_lease(self, fence: Fence, ttl_s: float) -> bool:
        """See :class:`SessionStore`."""
        return self.store.renew_lease(fence, ttl_s)

    def release_lease(self, fence: Fence) -> None:
        """See :class:`SessionStore`."""
        self.store.release_lease(fence)
