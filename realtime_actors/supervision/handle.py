"""SupervisorHandle: a caller-side wrapper with timeouts on every request."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pykka

from realtime_actors.supervision.address import Address
from realtime_actors.supervision.spec import (
    ChildInfo,
    ChildSpec,
    GetAddress,
    StartChild,
    TerminateChild,
    WhichChildren,
)
from realtime_actors.supervision.supervisor import Supervisor


class SupervisorHandle:
    """Owns a top-level :class:`Supervisor`; every call is bounded by a timeout."""

    def __init__(self, ref: pykka.ActorRef[Supervisor], gave_up: threading.Event) -> None:
        self._ref = ref
        self._gave_up = gave_up

    @classmethod
    def start(cls, children: Sequence[ChildSpec] = (), **options: Any) -> SupervisorHandle:
        """Start a Supervisor with ``children`` and Supervisor keyword ``options``."""
        gave_up = options.pop("gave_up", None) or threading.Event()
        ref = Supervisor.start(children=children, gave_up=gave_up, **options)
        return cls(ref, gave_up)

    @property
    def ref(self) -> pykka.ActorRef[Supervisor]:
        """The supervisor's ActorRef."""
        return self._ref

    @property
    def gave_up(self) -> threading.Event:
        """Set once the supervisor exceeded its restart intensity and stopped."""
        return self._gave_up

    def start_child(self, spec: ChildSpec, *, timeout: float = 5.0) -> Address:
        """Add and start a child; returns its Address."""
        address: Address = self._ref.ask(StartChild(spec=spec), block=True, timeout=timeout)
        return address

    def address(self, child_id: str, *, timeout: float = 5.0) -> Address:
        """The stable Address of a child (raises UnknownChildError)."""
        address: Address = self._ref.ask(GetAddress(child_id=child_id), block=True,
                                         timeout=timeout)
        return address

    def which_children(self, *, timeout: float = 5.0) -> list[ChildInfo]:
        """Children in start order."""
        children: list[ChildInfo] = self._ref.ask(WhichChildren(), block=True, timeout=timeout)
        return children

    def terminate_child(self, child_id: str, *, timeout: float = 10.0) -> None:
        """Stop and remove a child."""
        self._ref.ask(TerminateChild(child_id=child_id), timeout=timeout)

    def stop(self, *, timeout: float = 30.0) -> bool:
        """Stop the supervisor and its children (reverse order); False if already dead."""
        return self._ref.stop(block=True, timeout=timeout)
