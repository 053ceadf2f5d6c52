"""Child specs, strategies, restart types and the messages exchanged with a supervisor."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, TypeVar

import attrs
import pykka

from realtime_actors.supervision.errors import SupervisionConfigError

_S = TypeVar("_S", bound=enum.StrEnum)


class Restart(enum.StrEnum):
    """OTP restart type of a child."""

    PERMANENT = "permanent"  # always restarted
    TRANSIENT = "transient"  # restarted only after an abnormal exit
    TEMPORARY = "temporary"  # never restarted; removed when it exits


class Strategy(enum.StrEnum):
    """OTP restart strategy of a supervisor."""

    ONE_FOR_ONE = "one_for_one"
    ONE_FOR_ALL = "one_for_all"
    REST_FOR_ONE = "rest_for_one"


class ChildState(enum.StrEnum):
    """Lifecycle state of a child as seen by its supervisor."""

    RUNNING = "running"
    RESTARTING = "restarting"
    STOPPED = "stopped"


RestartName = Literal["permanent", "transient", "temporary"]
"""The values of :class:`Restart`, accepted wherever a member is."""
StrategyName = Literal["one_for_one", "one_for_all", "rest_for_one"]
"""The values of :class:`Strategy`, accepted wherever a member is."""


def _member(enum_cls: type[_S], value: str) -> _S:
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        raise SupervisionConfigError(
            f"invalid {enum_cls.__name__} {value!r}; expected one of {allowed}"
        ) from None


def to_restart(value: Restart | RestartName) -> Restart:
    """The :class:`Restart` named by ``value`` (SupervisionConfigError for another value)."""
    return _member(Restart, value)


def to_strategy(value: Strategy | StrategyName) -> Strategy:
    """The :class:`Strategy` named by ``value`` (SupervisionConfigError for another value)."""
    return _member(Strategy, value)


def _args(args: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(args)


@attrs.frozen(kw_only=True)
class SupervisionLink:
    """What a child needs to report to its supervisor: who, which child, which incarnation."""

    supervisor: pykka.ActorRef[Any]
    child_id: str
    generation: int


StartFn = Callable[[SupervisionLink], "pykka.ActorRef[Any]"]


@attrs.frozen(kw_only=True)
class ChildSpec:
    """How to start one child and what to do when it exits.

    Give exactly one of ``start`` (called with a :class:`SupervisionLink`, returns the started
    ActorRef; it should pass the link to a :class:`Supervised` actor) or ``actor_class`` (started
    as ``actor_class.start(*args, **kwargs)``, plus ``link=`` when it subclasses ``Supervised``).
    ``watchdog``: None picks automatically (a watchdog thread for actors that are not
    ``Supervised``); True/False forces it. A watchdog cannot tell normal from abnormal exits, so a
    watched-only child's exit always counts as abnormal.
    """

    id: str
    start: StartFn | None = None
    actor_class: type[pykka.Actor] | None = None
    args: tuple[Any, ...] = attrs.field(default=(), converter=_args)
    kwargs: Mapping[str, Any] = attrs.field(factory=dict)
    restart: Restart = attrs.field(default=Restart.PERMANENT, converter=to_restart)
    shutdown_timeout_s: float = 5.0
    watchdog: bool | None = None

    def __attrs_post_init__(self) -> None:
        if not self.id:
            raise SupervisionConfigError("ChildSpec.id must be a non-empty string")
        if (self.start is None) == (self.actor_class is None):
            raise SupervisionConfigError(
                f"ChildSpec {self.id!r}: give exactly one of start= or actor_class="
            )
        if self.shutdown_timeout_s <= 0:
            raise SupervisionConfigError(
                f"ChildSpec {self.id!r}: shutdown_timeout_s must be > 0"
            )


@attrs.frozen(kw_only=True)
class Exited:
    """A child incarnation ended. Sent by :class:`Supervised` hooks or the watchdog."""

    child_id: str
    generation: int
    abnormal: bool
    reason: str


@attrs.frozen(kw_only=True)
class Healthy:
    """A child tells its supervisor it is working (resets its backoff attempt counter)."""

    child_id: str
    generation: int


@attrs.frozen(kw_only=True)
class ChildInfo:
    """One row of :meth:`Supervisor.which_children`."""

    id: str
    state: ChildState
    generation: int
    restart: Restart
    ref: pykka.ActorRef[Any] | None
    attempts: int = 0
    """Restarts since the child last reported itself healthy (drives the backoff)."""


# Requests answered by a Supervisor (send with ask, or use SupervisorHandle).
@attrs.frozen(kw_only=True)
class StartChild:
    """Ask: add and start a child; answers its Address."""

    spec: ChildSpec


@attrs.frozen(kw_only=True)
class GetAddress:
    """Ask: the Address of a child."""

    child_id: str


@attrs.frozen(kw_only=True)
class WhichChildren:
    """Ask: a list of ChildInfo in start order."""


@attrs.frozen(kw_only=True)
class TerminateChild:
    """Ask: stop a child and remove it (its Address becomes stopped)."""

    child_id: str
