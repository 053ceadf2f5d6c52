"""Keeping a host's lease: renew it periodically and fence the host (stop its sessions)
before the lease can run out in the store, or as soon as a newer epoch is seen.

:class:`LeaseClock` holds the rules (pure, driven by the caller's clock);
:class:`LeaseKeeper` is the thread that applies them."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import attrs

from ..durable.store import Fence, Lease, SessionStore, StoreError

logger = logging.getLogger(__name__)


@attrs.define
class LeaseClock:
    """When to renew and when to give up, from the send time of the last successful renewal.

    The store extends the lease to (time it handled the renewal + ttl), which is never
    earlier than (send time + ttl) on the host's clock, so a host that stops acting at
    ``send time + ttl - stop_budget`` has stopped before anyone may take its work over."""

    ttl_s: float
    valid_from: float
    """Send time of the last renewal the store accepted (or of the acquisition)."""

    @property
    def renew_every_s(self) -> float:
        """How often to renew (four tries per lease)."""
        return self.ttl_s / 4

    @property
    def stop_budget_s(self) -> float:
        """Time kept to stop the sessions before the lease runs out."""
        return self.ttl_s / 4

    def renewed(self, sent_at: float) -> None:
        """The store accepted a renewal sent at ``sent_at``."""
        self.valid_from = max(self.valid_from, sent_at)

    def must_stop(self, now: float) -> bool:
        """Whether the host must stop now (its lease may run out within the stop budget)."""
        return now >= self.valid_from + self.ttl_s - self.stop_budget_s


class LeaseKeeper:
    """Acquires ``owner``'s lease, waits out the previous holder's, then renews it on a
    daemon thread; calls ``on_lost(reason)`` once when the lease is lost (a newer epoch, or
    no renewal accepted in time)."""

    def __init__(self, store: SessionStore, owner: str, ttl_s: float,
                 on_lost: Callable[[str], None], clock: Callable[[], float] = time.monotonic,
                 ) -> None:
        self._store = store
        self._owner = owner
        self._ttl_s = ttl_s
        self._on_lost = on_lost
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lease: Lease | None = None
        self.lost: str | None = None

    @property
    def fence(self) -> Fence:
        """The fence of the held lease."""
        assert self.lease is not None, "acquire() first"
        return self.lease.fence

    def acquire(self, timeout_s: float = 30.0) -> Lease:
        """Take the lease, wait until the previous holder's has run out, start renewing.
        A store that cannot be reached is tried again for up to ``timeout_s`` (then its
        :class:`StoreError` is raised)."""
        deadline = self._clock() + timeout_s
        while True:
            sent = self._clock()
            try:
                lease = self._store.acquire_lease(self._owner, self._ttl_s)
                break
            except StoreError as exc:
                if self._clock() >= deadline:
                    raise
                logger.warning("%s: cannot take the lease yet: %s", self._owner, exc)
                self._stop.wait(min(1.0, self._ttl_s / 4))
        self.lease = lease
        if lease.wait_s > 0:
            logger.info("%s: waiting %.2fs for the previous lease to run out", self._owner,
                        lease.wait_s)
            self._stop.wait(lease.wait_s)
        rules = LeaseClock(ttl_s=self._ttl_s, valid_from=sent)
        self._thread = threading.Thread(target=self._run, args=(rules,), daemon=True,
                                        name=f"lease-{self._owner}")
        self._thread.start()
        return lease

    def _run(self, rules: LeaseClock) -> None:
        while not self._stop.wait(rules.renew_every_s):
            sent = self._clock()
            try:
                ok = self._store.renew_lease(self.fence, self._ttl_s)
            except Exception as exc:  # the store is unreachable: the clock decides
                logger.warning("%s: lease renewal failed: %s: %s", self._owner,
                               type(exc).__name__, exc)
                ok = None
            if ok:
                rules.renewed(sent)
            elif ok is False:
                self._lose(f"lease of {self._owner} taken over (epoch {self.fence.epoch} "
                           f"is stale)")
                return
            if rules.must_stop(self._clock()):
                self._lose(f"lease of {self._owner} not renewed within {self._ttl_s}s")
                return

    def _lose(self, reason: str) -> None:
        if self.lost is None and not self._stop.is_set():
            self.lost = reason
            logger.error("%s: %s; fencing this host", self._owner, reason)
            self._on_lost(reason)

    def stop(self, release: bool = True) -> None:
        """Stop renewing (and let the lease lapse now, unless ``release`` is False)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self._ttl_s)
        if release and self.lease is not None and self.lost is None:
            try:
                self._store.release_lease(self.fence)
            except Exception as exc:  # reported; the lease then runs out by itself
                logger.warning("%s: releasing the lease failed: %s", self._owner, exc)
