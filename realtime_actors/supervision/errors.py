"""Typed exceptions of the supervision package."""

from __future__ import annotations

import pykka

from realtime_actors.errors import ConfigError, RealtimeError


class SupervisionError(RealtimeError):
    """Base class of every supervision error."""


class SupervisionConfigError(SupervisionError, ConfigError):
    """A child spec or supervisor option is invalid (duplicate id, no start, bad enum value)."""


class UnknownChildError(SupervisionError, KeyError):
    """No child with this id is known to the supervisor."""

    def __init__(self, child_id: str) -> None:
        self.child_id = child_id
        super().__init__(f"no child with id {child_id!r}")

    def __str__(self) -> str:
        return str(self.args[0])


class ChildUnavailableError(SupervisionError, pykka.ActorDeadError):
    """An :class:`Address` has no live incarnation to deliver to.

    Subclasses :class:`pykka.ActorDeadError`, so code that already handles dead actors keeps
    working with addresses.
    """

    def __init__(self, child_id: str, detail: str) -> None:
        self.child_id = child_id
        super().__init__(f"child {child_id!r} {detail}")


class ChildRestartingError(ChildUnavailableError):
    """The child crashed and its next incarnation has not been started yet; retry later."""

    def __init__(self, child_id: str) -> None:
        super().__init__(child_id, "is restarting")


class ChildStoppedError(ChildUnavailableError):
    """The child is stopped for good (normal exit of a transient/temporary child, removed,
    or its supervisor stopped)."""

    def __init__(self, child_id: str) -> None:
        super().__init__(child_id, "is stopped")
