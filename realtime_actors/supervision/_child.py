"""Per-child bookkeeping of a supervisor and the watchdog fallback thread (internal)."""

from __future__ import annotations

import logging
import threading
from typing import Any

import attrs
import pykka

from realtime_actors.runtime.tell import tell_if_alive
from realtime_actors.supervision.address import Address
from realtime_actors.supervision.spec import ChildSpec, ChildState, Exited, SupervisionLink

logger = logging.getLogger(__name__)


@attrs.define(kw_only=True)
class ChildRecord:
    """Mutable state of one child, owned by the supervisor's thread."""

    spec: ChildSpec
    address: Address
    generation: int = 0
    ref: pykka.ActorRef[Any] | None = None
    state: ChildState = ChildState.RESTARTING
    attempts: int = 0
    token: int | None = None
    watchdog: threading.Thread | None = None


def uses_hooks(spec: ChildSpec) -> bool:
    """True when the child reports its own exits (a Supervised actor class)."""
    from realtime_actors.supervision.supervised import Supervised

    return spec.actor_class is not None and issubclass(spec.actor_class, Supervised)


def start_incarnation(spec: ChildSpec, link: SupervisionLink) -> pykka.ActorRef[Any]:
    """Start one incarnation of ``spec``; exceptions from the constructor propagate."""
    if spec.start is not None:
        return spec.start(link)
    assert spec.actor_class is not None
    if uses_hooks(spec):
        return spec.actor_class.start(*spec.args, link=link, **dict(spec.kwargs))
    return spec.actor_class.start(*spec.args, **dict(spec.kwargs))


def needs_watchdog(spec: ChildSpec) -> bool:
    """Whether a watchdog thread should watch this child's incarnations."""
    if spec.watchdog is not None:
        return spec.watchdog
    return not uses_hooks(spec)


def start_watchdog(child_ref: pykka.ActorRef[Any], link: SupervisionLink) -> threading.Thread:
    """Start a daemon thread that reports an abnormal exit when ``child_ref`` stops.

    The thread ends as soon as the child stops, so stopping the child cleans it up.
    """

    def watch() -> None:
        child_ref.actor_stopped.wait()
        report = Exited(
            child_id=link.child_id,
            generation=link.generation,
            abnormal=True,
            reason="actor stopped (seen by watchdog)",
        )
        tell_if_alive(link.supervisor, report, logger,
                      "supervisor gone; watchdog report for %s dropped", link.child_id)

    thread = threading.Thread(
        target=watch, name=f"watchdog-{link.child_id}-{link.generation}", daemon=True
    )
    thread.start()
    return thread
