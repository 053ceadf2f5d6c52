"""The Ray actor around :class:`~realtime_actors.cluster.host.SessionHost`.

Ray re-runs the constructor when it restarts the actor (``max_restarts``), on a live node if
the old one died: the new incarnation takes the lease under a new epoch (fencing the old
one), waits out the old lease, and resumes every session the store says it owns. A fenced
incarnation stops its sessions, then exits. SIGTERM drains the host (hand-over by snapshot)
and exits for good (Ray does not restart it)."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Sequence
from typing import Any

import ray

from ..agents.agent import RealtimeAgent
from ..durable.store import SessionStore
from ..session.run_config import ModelConfig, RunConfig
from .host import HostConfig, SessionHost

logger = logging.getLogger(__name__)

ACTOR_PREFIX = "rt-host-"
"""Ray actor names of hosts are this prefix plus the host name."""


class HostActor(SessionHost):
    """A :class:`SessionHost` started as a Ray actor (see the module docstring)."""

    def __init__(self, config: HostConfig, agents: Sequence[RealtimeAgent], store: SessionStore,
                 model_config: ModelConfig, run_config: RunConfig | None = None,
                 sigterm_drain_s: float | None = 10.0) -> None:
        logging.basicConfig(level=logging.INFO)
        super().__init__(config, agents, store, model_config, run_config,
                         on_fenced=_exit_fenced)
        self._sigterm_drain_s = sigterm_drain_s
        self.start()
        if sigterm_drain_s is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._on_sigterm)

    def ping(self) -> int:
        """The host's process id (a cheap liveness check)."""
        return os.getpid()

    def _on_sigterm(self, _signum: int, _frame: Any) -> None:
        threading.Thread(target=self._drain_and_exit, daemon=True, name="sigterm-drain").start()

    def _drain_and_exit(self) -> None:
        assert self._sigterm_drain_s is not None
        logger.info("%s: SIGTERM, draining for up to %.1fs", self.config.name,
                    self._sigterm_drain_s)
        try:
            self.drain(self._sigterm_drain_s)
            self.shutdown()
            # gone for good: Ray must not restart a host whose process was told to stop
            ray.kill(ray.get_runtime_context().current_actor, no_restart=True)
        finally:
            os._exit(0)


def _exit_fenced(reason: str) -> None:
    """A fenced incarnation has stopped its sessions: it ends its process (Ray restarts it
    if no newer incarnation exists, which then resumes the sessions)."""
    logger.error("exiting: %s", reason)
    os._exit(1)
