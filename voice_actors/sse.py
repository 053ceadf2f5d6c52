"""A small incremental parser of server-sent events carrying JSON (``data: {...}`` lines)."""

from __future__ import annotations

import json
import logging
from typing import Any

logger = logging.getLogger(__name__)


class SSEParser:
    """Feed bytes as they arrive; get back the JSON objects of the completed events.

    An event ends at a blank line; its ``data:`` lines are joined with newlines and decoded
    as JSON. Comments (``:``) and other fields (``event:``, ``id:``) are ignored, as is a
    ``[DONE]`` sentinel. Data that is not a JSON object is logged and skipped.
    """

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        """Add bytes; return the events they completed, in order."""
        self._buffer += chunk
        events: list[dict[str, Any]] = []
        while True:
            cut = self._buffer.find(b"\n")
            if cut < 0:
                return events
            line = self._buffer[:cut].rstrip(b"\r").decode("utf-8", "replace")
            self._buffer = self._buffer[cut + 1 :]
            if line:
                if line.startswith("data:"):
                    self._data.append(line[5:].removeprefix(" "))
                continue
            event = self._finish()
            if event is not None:
                events.append(event)

    def _finish(self) -> dict[str, Any] | None:
        data, self._data = "\n".join(self._data), []
        if not data or data == "[DONE]":
            return None
        try:
            value = json.loads(data)
        except ValueError:
            logger.warning("SSE: skipping an event whose data is not JSON (%d chars)", len(data))
            return None
        if not isinstance(value, dict):
            logger.warning("SSE: skipping an event whose data is a %s", type(value).__name__)
            return None
        return value
