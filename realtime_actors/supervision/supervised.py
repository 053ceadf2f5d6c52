"""Supervised: base pykka actor that reports its exits to its supervisor."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

import pykka

from realtime_actors.runtime.tell import tell_if_alive
from realtime_actors.supervision.spec import Exited, Healthy, SupervisionLink

logger = logging.getLogger(__name__)


class Supervised(pykka.ThreadingActor):
    """Base class of actors run under a :class:`Supervisor`.

    Subclasses override :meth:`setup` (runs in the actor thread; raising counts as an abnormal
    exit and is reported, unlike a bare pykka ``on_start`` failure) and :meth:`teardown` (runs on
    every exit path; its exceptions are logged, not raised). Do not override ``on_start``,
    ``on_stop`` or ``on_failure``. Without a link (started outside a supervisor) nothing is
    reported.
    """

    def __init__(self, *, link: SupervisionLink | None = None) -> None:
        super().__init__()
        self._link = link
        self._reported = False
        self._exit_reason: tuple[bool, str] | None = None
        self._crashed = False

    @property
    def generation(self) -> int:
        """Incarnation number assigned by the supervisor (0 when unsupervised)."""
        return self._link.generation if self._link is not None else 0

    @property
    def crashed(self) -> bool:
        """True inside :meth:`teardown` when this incarnation is ending by a crash (an exception
        in a handler or in :meth:`setup`)."""
        return self._crashed

    def setup(self) -> None:
        """Hook: acquire resources. Runs in the actor thread before the first message."""

    def teardown(self) -> None:
        """Hook: release resources. Runs on normal stop, after a crash and after a failed setup."""

    def stop_with(self, reason: str, *, abnormal: bool = True) -> None:
        """Stop this actor after the current message and report ``reason`` to the supervisor."""
        self._exit_reason = (abnormal, reason)
        self.stop()

    def report_healthy(self) -> None:
        """Tell the supervisor this incarnation works, resetting its restart backoff."""
        if self._link is None:
            return
        link = self._link
        tell_if_alive(link.supervisor, Healthy(child_id=link.child_id, generation=link.generation),
                      logger, "supervisor of %s is gone; health report dropped", link.child_id)

    # --- pykka hooks ------------------------------------------------------------------------
    def on_start(self) -> None:
        """pykka hook: run :meth:`setup`; on failure tear down, report abnormal and re-raise."""
        try:
            self.setup()
        except Exception as exc:
            self._crashed = True
            self._run_teardown()
            self._report(abnormal=True, reason=f"setup failed: {exc!r}")
            raise

    def on_stop(self) -> None:
        """pykka hook: run :meth:`teardown` and report the exit (normal unless ``stop_with``)."""
        self._run_teardown()
        abnormal, reason = self._exit_reason or (False, "normal")
        self._report(abnormal=abnormal, reason=reason)

    def on_failure(
        self,
        exception_type: type[BaseException] | None,
        exception_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """pykka hook: run :meth:`teardown` and report an abnormal exit."""
        self._crashed = True
        self._run_teardown()
        self._report(abnormal=True, reason=f"crashed: {exception_value!r}")

    # --- internals --------------------------------------------------------------------------
    def _run_teardown(self) -> None:
        try:
            self.teardown()
        except Exception:
            logger.exception("teardown of %s failed", self)

    def _report(self, *, abnormal: bool, reason: str) -> None:
        link = self._link
        if link is None or self._reported:
            return
        self._reported = True
        message: Any = Exited(
            child_id=link.child_id, generation=link.generation, abnormal=abnormal, reason=reason
        )
        tell_if_alive(link.supervisor, message, logger,
                      "supervisor of %s is gone; exit report dropped", link.child_id)
