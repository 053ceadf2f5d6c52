"""Splitting streamed reply text into sentences for text-to-speech."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+")
_ENDS_SENTENCE = re.compile(r"[.!?…][\"')\]]*\s*$")


class SentenceSplitter:
    """Accumulates text fragments and hands out complete sentences.

    A sentence is complete when it ends in ``.``, ``!``, ``?`` or ``…`` (optionally closed by a
    quote or bracket) and is followed by whitespace or ends the buffer. Complete sentences
    shorter than ``min_chars`` are joined with the next one. :meth:`flush` returns the rest.
    """

    def __init__(self, min_chars: int = 20) -> None:
        self._min_chars = min_chars
        self._buffer = ""

    def feed(self, fragment: str) -> list[str]:
        """Add a fragment; return the sentences it completed (possibly none)."""
        self._buffer += fragment
        pieces = _SENTENCE_END.split(self._buffer)
        if _ENDS_SENTENCE.search(self._buffer):
            complete, rest = pieces, ""
        else:
            complete, rest = pieces[:-1], pieces[-1]
        ready: list[str] = []
        pending = ""
        for piece in complete:
            pending = f"{pending} {piece.strip()}" if pending else piece.strip()
            if len(pending) >= self._min_chars:
                ready.append(pending)
                pending = ""
        if pending:
            rest = f"{pending} {rest}" if rest else pending + " "
        self._buffer = rest
        return ready

    def flush(self) -> str | None:
        """Return the remaining text (None when only whitespace is left) and clear the buffer."""
        rest, self._buffer = self._buffer.strip(), ""
        return rest or None
