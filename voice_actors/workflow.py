"""Workflows: what the pipeline says in answer to a transcript."""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable

from realtime_actors.errors import ConfigError


class VoiceWorkflowBase(abc.ABC):
    """Base class of workflows. ``run`` is called in a worker thread, one turn at a time."""

    @abc.abstractmethod
    def run(self, transcript: str) -> Iterable[str]:
        """Yield the reply text (fragments or sentences) for one user turn."""

    def on_start(self) -> Iterable[str]:
        """Yield a greeting spoken as a first turn of multi-turn runs (none by default)."""
        return ()

    def close(self) -> None:
        """Release resources; called each time a pipeline actor incarnation stops or crashes.

        A supervised pipeline keeps using the workflow after a restart, so a workflow used
        after ``close()`` must acquire its resources again (lazily).
        """
        return None


class SimpleWorkflow(VoiceWorkflowBase):
    """A workflow from a function ``transcript -> iterable of strings`` and an optional greeting.

    The greeting (when given) is spoken as a first turn before the user's first turn.
    """

    def __init__(
        self, fn: Callable[[str], Iterable[str]], *, greeting: str | None = None
    ) -> None:
        if not callable(fn):
            raise ConfigError(f"SimpleWorkflow needs a callable, got {type(fn).__name__}")
        if greeting is not None and (not isinstance(greeting, str) or not greeting.strip()):
            raise ConfigError("SimpleWorkflow greeting must be a non-empty string or None")
        self._fn = fn
        self.greeting = greeting

    def run(self, transcript: str) -> Iterable[str]:
        """Return ``fn(transcript)``."""
        return self._fn(transcript)

    def on_start(self) -> Iterable[str]:
        """Return ``[greeting]`` when a greeting was given, else nothing."""
        return [self.greeting] if self.greeting is not None else []
