"""Deterministic identifiers for simulated sessions (``event_``, ``item_``, ``resp_``...)."""

from __future__ import annotations

import random
import string

BASE62 = string.digits + string.ascii_letters
ID_LENGTH = 21
OBFUSCATION_LENGTH = 13


class IdFactory:
    """Makes OpenAI-looking ids (prefix + 21 base62 characters) from a seeded RNG.

    One factory per connection, seeded with ``scenario.seed + connection index``, so a
    scripted conversation produces the same ids on every run.
    """

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def _chars(self, n: int) -> str:
        return "".join(self._rng.choice(BASE62) for _ in range(n))

    def new(self, prefix: str) -> str:
        """A new id such as ``item_`` + 21 base62 characters."""
        return f"{prefix}_{self._chars(ID_LENGTH)}"

    def event(self) -> str:
        """A new server ``event_id``."""
        return self.new("event")

    def obfuscation(self) -> str:
        """A random padding string, like the ``obfuscation`` field of live delta events."""
        return self._chars(OBFUSCATION_LENGTH)
