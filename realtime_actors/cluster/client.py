"""Cluster: start session hosts on Ray, place sessions on them, drain them.

``rt.cluster.run(agent, ...)`` (module level) uses the cluster started last in this
process; a :class:`Cluster` can also be used directly."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import ray
import ray.exceptions

from ..agents.agent import RealtimeAgent
from ..durable.snapshot import SessionSnapshot
from ..durable.store import SessionStore
from ..errors import ConfigError
from ..session.core.history import HistoryItem
from ..session.run_config import ModelConfig, RunConfig
from .errors import ClusterError, HostDrainingError, HostFullError, NoHostError
from .host import HostConfig, HostLoad
from .ray_host import ACTOR_PREFIX, HostActor
from .ray_store import RayStore
from .remote import RemoteSession

logger = logging.getLogger(__name__)

_current: list[Cluster] = []


class Cluster:
    """Session hosts on a Ray cluster, sharing one store."""

    def __init__(self, store: SessionStore, *, namespace: str | None = None,
                 owns_store: bool = False) -> None:
        self.store = store
        self.namespace = namespace
        self._handles: dict[str, Any] = {}
        self._owns_store = owns_store

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    @classmethod
    def start(cls, agents: Sequence[RealtimeAgent], model_config: ModelConfig, *,
              hosts: int | Sequence[str] = 2, store: SessionStore | None = None,
              run_config: RunConfig | None = None, capacity: int = 100,
              lease_ttl_s: float = 3.0, max_restarts: int = 3,
              sigterm_drain_s: float | None = 10.0, namespace: str | None = None,
              **options: Any) -> Cluster:
        """Start ``hosts`` session hosts (a count, or names) running ``agents``, on a Ray
        already initialised, with a shared ``store`` (default: a new :class:`RayStore`).
        ``options`` go to each host actor's ``.options()`` (resources, scheduling)."""
        if not ray.is_initialized():
            raise ConfigError("Cluster.start() needs ray.init() first")
        names = [f"host-{n}" for n in range(hosts)] if isinstance(hosts, int) else list(hosts)
        owns = store is None
        cluster = cls(store or RayStore.start(namespace=namespace), namespace=namespace,
                      owns_store=owns)
        for name in names:
            cluster.add_host(name, agents, model_config, run_config=run_config,
                             capacity=capacity, lease_ttl_s=lease_ttl_s,
                             max_restarts=max_restarts, sigterm_drain_s=sigterm_drain_s,
                             wait=False, **options)
        ray.get([cluster.handle(name).ping.remote() for name in names])
        _current.append(cluster)
        return cluster

    def add_host(self, name: str, agents: Sequence[RealtimeAgent], model_config: ModelConfig,
                 *, run_config: RunConfig | None = None, capacity: int = 100,
                 lease_ttl_s: float = 3.0, max_restarts: int = 3,
                 sigterm_drain_s: float | None = 10.0, wait: bool = True,
                 **options: Any) -> None:
        """Start one more host actor called ``name`` (Ray restarts it ``max_restarts``
        times); ``wait``: until it has resumed its sessions."""
        options.setdefault("num_cpus", 0)
        options.setdefault("max_concurrency", 64)
        actor = ray.remote(HostActor).options(
            name=ACTOR_PREFIX + name, namespace=self.namespace, max_restarts=max_restarts,
            max_task_retries=0, **options)
        config = HostConfig(name=name, capacity=capacity, lease_ttl_s=lease_ttl_s)
        # Any: Ray types an actor handle's methods as the plain methods, without .remote()
        handle: Any = actor.remote(config, list(agents), self.store, model_config, run_config,
                                   sigterm_drain_s)
        self._handles[name] = handle
        if wait:
            ray.get(handle.ping.remote())

    def handle(self, name: str) -> Any:
        """The Ray actor handle of host ``name`` (found by name if this process did not
        start it; ValueError if there is none)."""
        handle = self._handles.get(name)
        if handle is None:
            handle = ray.get_actor(ACTOR_PREFIX + name, namespace=self.namespace)
            self._handles[name] = handle
        return handle

    def host_names(self) -> list[str]:
        """Names of the hosts this cluster knows."""
        return list(self._handles)

    def loads(self, timeout: float = 5.0) -> list[HostLoad]:
        """Each reachable host's load, in the order the hosts were added (hosts that do not
        answer within ``timeout`` are left out)."""
        refs = [self.handle(name).load.remote() for name in self._handles]
        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=timeout)
        answered = set(ready)
        loads = []
        for ref in refs:
            if ref not in answered:
                continue
            try:
                loads.append(ray.get(ref))
            except ray.exceptions.RayError as exc:
                logger.warning("a host did not report its load: %s", type(exc).__name__)
        return loads

    def run(self, agent: RealtimeAgent | str, *, host: str | None = None,
            session_id: str | None = None,
            history: Sequence[HistoryItem | Mapping[str, Any]] | None = None,
            resume: SessionSnapshot | None = None) -> RemoteSession:
        """Start a session of ``agent`` (one the hosts run, or its name) on host ``host``,
        else on the least-loaded host; returns its :class:`RemoteSession`."""
        name = agent if isinstance(agent, str) else agent.name
        if host is not None:
            candidates = [host]
        else:
            # least loaded first; ties go to the host added first
            loads = sorted((load for load in self.loads() if load.free > 0),
                           key=lambda load: load.sessions / load.capacity)
            candidates = [load.name for load in loads]
        for candidate in candidates:
            try:
                sid = ray.get(self.handle(candidate).open.remote(
                    name, session_id=session_id, history=history, resume=resume))
            except ray.exceptions.RayTaskError as exc:
                cause = getattr(exc, "cause", None)
                if isinstance(cause, HostFullError | HostDrainingError) and host is None:
                    continue  # filled up or started draining since it reported: next one
                raise (cause if isinstance(cause, Exception) else exc) from None
            return RemoteSession(self, sid, candidate)
        raise NoHostError("no host can take a new session (none running, full or draining)")

    def attach(self, session_id: str) -> RemoteSession:
        """A handle on an existing session (from its id, e.g. in another process)."""
        owner = self.store.owner_of(session_id)
        if owner is None:
            raise ClusterError(f"no host owns session {session_id!r}")
        return RemoteSession(self, session_id, owner)

    def drain(self, host: str, timeout: float) -> list[str]:
        """Drain ``host`` (see :meth:`SessionHost.drain`) and place the sessions it hands
        over on the least-loaded other hosts; returns their ids."""
        released: list[str] = ray.get(self.handle(host).drain.remote(timeout),
                                      timeout=timeout + 30)
        others = [load for load in self.loads() if load.name != host and load.free > 0]
        for sid in released:
            others.sort(key=lambda load: load.sessions / load.capacity)
            for load in others:
                try:
                    adopted = ray.get(self.handle(load.name).adopt.remote(sid))
                except ray.exceptions.RayError as exc:  # full, draining or gone: next one
                    logger.info("%s did not adopt %s: %s", load.name, sid, type(exc).__name__)
                    continue
                if adopted:
                    others[others.index(load)] = HostLoad(
                        name=load.name, sessions=load.sessions + 1, capacity=load.capacity,
                        draining=False, fenced=False, epoch=load.epoch, pid=load.pid)
                    break
            else:
                logger.warning("nobody adopted %s now; a sweeping host will", sid)
        return released

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop every host (their sessions stop, records kept) and the store if this
        cluster started it."""
        refs = []
        for name, handle in self._handles.items():
            try:
                refs.append(handle.shutdown.remote())
            except ray.exceptions.RayError:
                logger.info("host %s already gone", name)
        if refs:
            ray.wait(refs, num_returns=len(refs), timeout=timeout)
        for handle in self._handles.values():
            ray.kill(handle, no_restart=True)
        self._handles.clear()
        if self._owns_store and isinstance(self.store, RayStore):
            self.store.kill()
        if self in _current:
            _current.remove(self)


def current() -> Cluster:
    """The cluster started last in this process (ClusterError if none)."""
    if not _current:
        raise ClusterError("no cluster started in this process: call Cluster.start() first")
    return _current[-1]


def run(agent: RealtimeAgent | str, **kwargs: Any) -> RemoteSession:
    """``current().run(agent, ...)``: start a session on the current cluster."""
    return current().run(agent, **kwargs)
