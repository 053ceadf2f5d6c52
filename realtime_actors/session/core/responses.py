"""The responses of the default conversation: deferred ``response.create`` and what each
active response carries.

Pure state, no I/O. At most one response is in flight: requests made while a response is
active (or while our own create is awaiting ``response.created``) are coalesced into one create
sent after ``response.done``. A create the server rejects never leaves the tracker stuck. Each
active response remembers the agent it started under and its output items, so a lost
connection can tell whether the conversation still needs it (:meth:`ResponseTracker.lost`).
"""

from __future__ import annotations

import logging

import attrs

from ...agents.agent import RealtimeAgent

logger = logging.getLogger(__name__)

ACTIVE_RESPONSE_CODE = "conversation_already_has_active_response"


@attrs.frozen
class ResponseEnded:
    """What ``response.done`` released: the response's agent, and whether the deferred
    create should go now."""

    agent: RealtimeAgent | None
    send_deferred: bool


class ResponseTracker:
    """Tracks responses on the default conversation and our outstanding create."""

    def __init__(self) -> None:
        self.active_ids: set[str] = set()
        self.create_in_flight: str | None = None
        """event_id of our ``response.create`` awaiting ``response.created``."""
        self.pending: bool = False
        self.current_response_id: str | None = None
        self.agents: dict[str, RealtimeAgent] = {}
        """The agent of each active response (the current one when it started)."""
        self.items: dict[str, dict[str, bool]] = {}
        """Output items of each active response: item id -> arrived complete."""
        self.tripped: set[str] = set()
        """Responses an output guardrail stopped: their later output is dropped."""
        self.unanswered_turn = False
        """A committed user turn that server VAD will answer, and no response started yet."""
        self.resume = False
        """A response a lost connection cut off, owed on the next connection."""

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

    def on_created(self, response_id: str | None, in_default_conversation: bool,
                   agent: RealtimeAgent) -> None:
        """``response.created`` arrived (ours or one the server started itself) while
        ``agent`` is current."""
        if not in_default_conversation:
            return
        self.create_in_flight = None
        self.unanswered_turn = False
        if response_id:
            self.active_ids.add(response_id)
            self.current_response_id = response_id
            self.agents[response_id] = agent
            self.items[response_id] = {}

    def on_done(self, response_id: str | None) -> ResponseEnded:
        """``response.done`` arrived: forget the response's state."""
        if response_id is not None:
            self.items.pop(response_id, None)
        agent = self.agents.pop(response_id, None) if response_id else None
        return ResponseEnded(agent, self._release(response_id))

    def _release(self, response_id: str | None) -> bool:
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

    def item_added(self, response_id: str | None, item_id: str | None) -> None:
        """An output item of an active response started."""
        items = self.items.get(response_id or "")
        if items is not None and item_id is not None:
            items.setdefault(item_id, False)

    def item_done(self, response_id: str | None, item_id: str) -> None:
        """An output item of an active response arrived complete."""
        items = self.items.get(response_id or "")
        if items is not None:
            items[item_id] = True

    def turn_committed(self) -> None:
        """Server VAD will answer a committed turn: until it starts, a drop loses it."""
        self.unanswered_turn = True

    def trip(self, response_id: str) -> bool:
        """An output guardrail stopped the response; False if it was stopped already."""
        if response_id in self.tripped:
            return False
        self.tripped.add(response_id)
        return True

    def lost(self) -> bool:
        """Whether a drop now loses a response the conversation still needs: one requested
        and not started, one with an output item cut mid-way (or none yet), or the answer
        server VAD owes a committed turn. A response whose items all arrived complete is kept
        as it is (a function call among them is answered by its tool's output)."""
        if self.pending or self.create_in_flight is not None or self.unanswered_turn:
            return True
        for response_id in self.active_ids:
            items = self.items.get(response_id)
            if not items or not all(items.values()):
                return True
        return False

    def on_disconnected(self, resume: bool) -> list[tuple[str, RealtimeAgent | None]]:
        """The connection was lost: nothing is in flight any more. Returns the responses it
        interrupted, with their agents; a lost one is owed again (``resume``)."""
        interrupted = [(response_id, self.agents.pop(response_id, None))
                       for response_id in sorted(self.active_ids)]
        self.resume = resume and (self.lost() or self.resume)
        self.active_ids.clear()
        self.create_in_flight = None
        self.current_response_id = None
        self.pending = False
        self.items.clear()
        return interrupted

    def owe(self, owed: bool) -> None:
        """Set whether a response is owed on the next connection (a restored snapshot)."""
        self.resume = owed

    def take_resume(self) -> bool:
        """Whether a response is owed; it is not any more."""
        resume, self.resume = self.resume, False
        return resume

    def _take_pending(self) -> bool:
        if self.pending and not self.busy:
            self.pending = False
            return True
        return False
