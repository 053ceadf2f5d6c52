"""Per-child bookkeeping of a supervisor, stopping a child without waiting, and the watchdog
fallback thread (internal)."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

import attrs
import pykka
from pykka import messages

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

    def release(self) -> pykka.ActorRef[Any] | None:
        """Detach the current incarnation and return it: its own exit report becomes stale, a
        pending restart is off. Its watchdog, if any, ends by itself when it stops."""
        ref, self.ref = self.ref, None
        self.state = ChildState.STOPPED
        self.token = None
        self.watchdog = None
        return ref


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


class _StopReply(pykka.ThreadingFuture[Any]):
    """The reply to a stop request: calls ``on_done`` once it is set, on the thread that sets
    it (the child's, when it has stopped). ``on_done`` must only tell the supervisor."""

    def __init__(self, on_done: Callable[[], None]) -> None:
        super().__init__()
        self._on_done = on_done

    def set(self, value: Any | None = None) -> None:
        """Store the value, then notify."""
        super().set(value)
        self._notify()

    def set_exception(self, exc_info: Any = None) -> None:
        """Store the exception, then notify."""
        super().set_exception(exc_info if exc_info is not None else sys.exc_info())
        self._notify()

    def _notify(self) -> None:
        try:
            self._on_done()
        except Exception:  # must not disturb the stopping child's thread
            logger.exception("supervisor stop notification failed")


class _StopEnvelope:
    """pykka's envelope shape (``message``, ``reply_to``), carrying our own reply."""

    __slots__ = ("message", "reply_to")

    def __init__(self, reply_to: _StopReply) -> None:
        self.message = messages._ActorStop()
        self.reply_to: pykka.Future[Any] | None = reply_to


def request_stop(ref: pykka.ActorRef[Any], on_stopped: Callable[[], None]) -> bool:
    """Ask ``ref`` to stop without waiting, as ``ref.stop(block=False)`` does, and call
    ``on_stopped`` once it has (after its ``on_stop``), on the thread that stopped it.

    False when the actor is already dead: nothing is sent and ``on_stopped`` is not called.
    A thread-based actor that dies between the check and the request may never answer: the
    caller bounds the wait with the child's shutdown timeout, as pykka's own ``stop`` must.
    """
    if not ref.is_alive():
        return False
    inbox: Any = ref.actor_inbox  # takes any object of the envelope's shape
    inbox.put(_StopEnvelope(_StopReply(on_stopped)))
    return True


def tell_quietly(ref: pykka.ActorRef[Any], message: Any) -> None:
    """Tell ``ref``; a dead actor (a stopped supervisor) drops the message, logged at DEBUG."""
    tell_if_alive(ref, message, logger, "%s is gone; %s dropped", ref, type(message).__name__)


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
