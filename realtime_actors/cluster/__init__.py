"""Session hosts on Ray (the ``ray`` extra): placement, fail-over with restore, fencing, drain."""

from __future__ import annotations

try:
    import ray  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError("realtime_actors.cluster needs Ray: "
                      "pip install 'realtime-actors[ray]'") from exc

from .client import Cluster, current, run
from .errors import (
    ClusterError,
    HostDrainingError,
    HostFencedError,
    HostFullError,
    HostUnavailableError,
    NoHostError,
    UnknownSessionError,
)
from .host import HostConfig, HostLoad, SessionHost
from .lease import LeaseClock, LeaseKeeper
from .ray_host import HostActor
from .ray_store import RayStore
from .remote import RemoteSession

__all__ = [
    "Cluster",
    "ClusterError",
    "HostActor",
    "HostConfig",
    "HostDrainingError",
    "HostFencedError",
    "HostFullError",
    "HostLoad",
    "HostUnavailableError",
    "LeaseClock",
    "LeaseKeeper",
    "NoHostError",
    "RayStore",
    "RemoteSession",
    "SessionHost",
    "UnknownSessionError",
    "current",
    "run",
]
