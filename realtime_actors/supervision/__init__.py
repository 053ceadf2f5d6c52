"""OTP-style supervision for pykka actors: child specs, supervisors, stable addresses."""

from __future__ import annotations

from realtime_actors.supervision.address import Address
from realtime_actors.supervision.backoff import BackoffPolicy, backoff_delay
from realtime_actors.supervision.errors import (
    ChildRestartingError,
    ChildStoppedError,
    ChildUnavailableError,
    SupervisionConfigError,
    SupervisionError,
    UnknownChildError,
)
from realtime_actors.supervision.handle import SupervisorHandle
from realtime_actors.supervision.spec import (
    ChildInfo,
    ChildSpec,
    ChildState,
    Exited,
    GetAddress,
    Healthy,
    Restart,
    RestartName,
    StartChild,
    Strategy,
    StrategyName,
    SupervisionLink,
    TerminateChild,
    WhichChildren,
)
from realtime_actors.supervision.supervised import Supervised
from realtime_actors.supervision.supervisor import Supervisor

__all__ = [
    "Address",
    "BackoffPolicy",
    "ChildInfo",
    "ChildRestartingError",
    "ChildSpec",
    "ChildState",
    "ChildStoppedError",
    "ChildUnavailableError",
    "Exited",
    "GetAddress",
    "Healthy",
    "Restart",
    "RestartName",
    "StartChild",
    "Strategy",
    "StrategyName",
    "Supervised",
    "SupervisionConfigError",
    "SupervisionError",
    "SupervisionLink",
    "Supervisor",
    "SupervisorHandle",
    "TerminateChild",
    "UnknownChildError",
    "WhichChildren",
    "backoff_delay",
]
