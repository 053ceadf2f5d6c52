"""Deferred ``response.create``: at most one response in flight on the default conversation.

Pure state, no I/O. Requests made while a response is active (or while our own create is
awaiting ``response.created``) are coalesced into one create sent after ``response.done``.
A create the server rejects never leaves the tracker stuck.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

ACTIVE_RESPONSE_CODE = "conversation_already_has_active_response"


class ResponseTracker:
    """Tracks responses on the default conversation and our outstanding create."""

    def __init__(self) -> None:
        self.active_ids: set[str] = set()
        self.create_in_flight: str | None = None
        """event_id of our ``response.create`` awaiting ``response.created``."""
        self.pending: bool = False
        self.current_response_id: str | None = None

    @property
    def busy(self) -> bool:
        """A response is running, or our create has not been answered yet."""
        return bool(self.active_ids) or self.create_in_flight is not None

    def request(self, event_id: str) -> bool:
        """Ask for a response. Returns True when a create with ``event_id`` must be sent now,
        False when it was deferred (coalesced with any other deferred request)."""
        if self.busy:
            self.pending = True
            return False
        self.create_in_flight = event_id
        return True

    def on_created(self, response_id: str | None, in_default_conversation: bool) -> None:
        """``response.created`` arrived (ours or one the server started itself)."""
        if not in_default_conversation:
            return
        self.create_in_flight = None
        if response_id:
            self.active_ids.add(response_id)
            self.current_response_id = response_id

    def on_done(self, response_id: str | None) -> bool:
        """``response.done`` arrived. Returns True when a deferred create should go now."""
        if response_id in self.active_ids:
            self.active_ids.discard(response_id)
        elif response_id is None:
            self.active_ids.clear()
        else:
            # an out-of-band response, or one we never saw created: nothing to release
            return False
        if response_id == self.current_response_id:
            self.current_response_id = None
        return self._take_pending()

    def on_error(self, event_id: str | None, code: str | None) -> bool:
        """An ``error`` arrived. Returns True when a deferred create should go now.

        If it rejects our create because another response is active (one the server started
        on its own), the request is kept and sent after that response ends. Any other
        rejection releases the in-flight slot so the session never gets stuck.
        """
        if event_id is None or event_id != self.create_in_flight:
            return False
        self.create_in_flight = None
        if code == ACTIVE_RESPONSE_CODE:
            self.pending = True
            return False
        logger.warning("response.create rejected (%s); deferred requests stay pending", code)
        return self._take_pending()

    def reset(self) -> bool:
        """The connection was lost: nothing is in flight any more. Returns True when a
        request (in flight or deferred) should be re-sent once reconnected."""
        had = self.create_in_flight is not None or self.pending or bool(self.active_ids)
        self.active_ids.clear()
        self.create_in_flight = None
        self.current_response_id = None
        self.pending = False
        return had

    def _take_pending(self) -> bool:
        if self.pending and not self.busy:
            self.pending = False
            return True
        return False
