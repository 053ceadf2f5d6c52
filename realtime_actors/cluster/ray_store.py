"""RayStore: a :class:`~realtime_actors.durable.store.SessionStore` in a detached Ray actor,
so it outlives every host (and the driver) for as long as the Ray cluster runs."""

from __future__ import annotations

import logging
import time
from typing import Any

import ray
import ray.exceptions

from ..durable.memory_store import MemoryStore
from ..durable.snapshot import SessionSnapshot
from ..durable.store import Fence, Lease, StoreError
from ..errors import ConfigError, RealtimeError

logger = logging.getLogger(__name__)

DEFAULT_NAME = "realtime-actors-store"

_METHODS = frozenset({"save", "load", "delete", "session_ids", "owner_of", "released_ids",
                      "claim", "release", "acquire_lease", "renew_lease", "release_lease"})


class StoreActor:
    """The actor behind :class:`RayStore`: a :class:`MemoryStore` served to every process."""

    def __init__(self) -> None:
        self._store = MemoryStore()

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Run one store method."""
        if method not in _METHODS:
            raise ConfigError(f"unknown store method {method!r}")
        return getattr(self._store, method)(*args, **kwargs)


class RayStore:
    """Client of the store actor (picklable: hosts get a copy). Every call has a timeout; an
    unreachable store raises :class:`StoreError`, a stale fence :class:`StaleEpochError`."""

    def __init__(self, handle: Any, timeout_s: float = 5.0) -> None:
        self.handle = handle
        self.timeout_s = timeout_s

    def __repr__(self) -> str:
        return "RayStore()"

    @classmethod
    def start(cls, name: str = DEFAULT_NAME, *, namespace: str | None = None,
              timeout_s: float = 5.0, **options: Any) -> RayStore:
        """Start (or find) the detached store actor ``name``; ``options`` go to Ray's
        ``.options()`` (e.g. a ``scheduling_strategy`` pinning it to the head node)."""
        if not ray.is_initialized():
            raise ConfigError("RayStore.start() needs ray.init() first")
        options.setdefault("num_cpus", 0)
        actor = ray.remote(StoreActor).options(
            name=name, namespace=namespace, lifetime="detached", get_if_exists=True,
            max_restarts=0, **options).remote()
        store = cls(actor, timeout_s)
        store.session_ids()  # ready
        return store

    def kill(self, timeout_s: float = 10.0) -> None:
        """Stop the store actor (everything it kept is gone) and wait until it is dead, so
        its name is free for a new store."""
        ray.kill(self.handle, no_restart=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                ray.get(self.handle.call.remote("session_ids"), timeout=1.0)
            except (ray.exceptions.RayActorError, ray.exceptions.GetTimeoutError):
                return
            time.sleep(0.05)
        logger.warning("the store actor still answers %.0fs after it was killed", timeout_s)

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return ray.get(self.handle.call.remote(method, *args, **kwargs),
                           timeout=self.timeout_s)
        except ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, RealtimeError):
                raise cause from None
            raise StoreError(f"store {method} failed: {exc}") from None
        except (ray.exceptions.GetTimeoutError, ray.exceptions.RayActorError) as exc:
            raise StoreError(f"the store is unreachable ({type(exc).__name__})") from None

    def save(self, snapshot: SessionSnapshot, *, fence: Fence | None = None) -> None:
        """See :class:`~realtime_actors.durable.store.SessionStore`."""
        self._call("save", snapshot, fence=fence)

    def load(self, session_id: str) -> SessionSnapshot | None:
        """See :class:`~realtime_actors.durable.store.SessionStore`."""
        snapshot: SessionSnapshot | None = self._call("load", session_id)
        return snapshot

    def delete(self, session_id: str, *, fence: Fence | None = None) -> None:
        """See :class:`~realtime_actors.durable.store.SessionStore`."""
        self._call("delete", session_id, fence=fence)

    def session_ids(self, owner: str | None = None) -> list[str]:
        """See :class:`~realtime_actors.durable.store.SessionStore`."""
        ids: list[str] = self._call("session_ids", owner)
        return ids

    def owner_of(self, session_id: str) -> str | None:
        """See :class:`~realtime_actors.durable.store.SessionStore`."""
        owner: str | None = self._call("owner_of", session_id)
        return owner

    def released_ids(self) -> list[str]:
        """See :class:`~realtime_actors.durable.store.SessionStore`."""
        ids: list[str] = self._call("released_ids")
        return ids

    def claim(self, session_id: str, fence: Fence) -> bool:
        """See :class:`~realtime_actors.durable.store.SessionStore`."""
        claimed: bool = self._call("claim", session_id, fence)
        return claimed

    def release(self, session_id: str, fence: Fence) -> None:
        """See :class:`~realtime_actors.durable.store.SessionStore`."""
        self._call("release", session_id, fence)

    def acquire_lease(self, owner: str, ttl_s: float) -> Lease:
        """See :class:`~realtime_actors.durable.store.SessionStore`."""
        lease: Lease = self._call("acquire_lease", owner, ttl_s)
        return lease

    def renew_lease(self, fence: Fence, ttl_s: float) -> bool:
        """See :class:`~realtime_actors.durable.store.SessionStore`."""
        renewed: bool = self._call("renew_lease", fence, ttl_s)
        return renewed

    def release_lease(self, fence: Fence) -> None:
        """See :class:`~realtime_actors.durable.store.SessionStore`."""
        self._call("release_lease", fence)
