"""The conversation as the client keeps it: the history, the items the server has not
acknowledged yet, and what a lost connection cut off; and its restore on a new connection.

Part of the sans-I/O session core: methods return the effects to carry out.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Collection, Mapping
from typing import Any

from ...protocol import client_events as ce
from ...protocol import item_builders as ib
from ...transport.reconnect import restore_items
from .. import events as ev
from .effects import Effect, Emit, Send, error
from .history import History, item_from_wire
from .input_journal import InputAudioJournal

logger = logging.getLogger(__name__)


class Conversation:
    """History, unacknowledged items and cut-off output (one owner: the session core)."""

    def __init__(self) -> None:
        self.history = History()
        self.unconfirmed: dict[str, dict[str, Any]] = {}
        """Items we created that the server has not acknowledged yet, by item id: re-sent on
        the next connection if the current one is lost first."""
        self.cut_items: set[str] = set()
        """Output items a dropped connection cut off: not restored (the response is redone)."""

    def track(self, frame: dict[str, Any]) -> None:
        """A ``conversation.item.create`` going out: its item gets a client id (unless it has
        one) and is remembered until the server acknowledges it."""
        if not isinstance(frame.get("item"), dict):
            return
        item = frame["item"] = dict(frame["item"])
        item_id = item.setdefault("id", f"item_{uuid.uuid4().hex[:24]}")
        self.unconfirmed[item_id] = frame

    def upsert(self, wire_item: Mapping[str, Any] | None,
               previous_item_id: str | None = None) -> list[Effect]:
        """Record a server item in the history and emit Added or Updated."""
        if not isinstance(wire_item, Mapping):
            return []
        item = item_from_wire(wire_item)
        if item is None:
            return [error("conversation item without id or type", "protocol")]
        self.unconfirmed.pop(item.item_id, None)
        if self.history.upsert(item, previous_item_id):  # a new item is stored as given
            return [Emit(ev.HistoryAddedEvent(item=item))]
        return [self._updated()]

    def update(self, item_id: str, **changes: Any) -> list[Effect]:
        """Change fields of an item in the history (nothing if it is not there)."""
        if self.history.update(item_id, **changes) is None:
            return []
        return [self._updated()]

    def delete(self, item_id: str) -> list[Effect]:
        """The server deleted an item."""
        return [self._updated()] if self.history.delete(item_id) else []

    def has_output(self, call_id: str) -> bool:
        """Whether the conversation holds the output of this function call."""
        return any(item.type == "function_call_output" and item.call_id == call_id
                   for item in self.history.snapshot())

    def cut_off(self) -> None:
        """The connection was lost: output items still in progress were cut mid-way."""
        for item in self.history.snapshot():
            if item.status == "in_progress":
                self.cut_items.add(item.item_id)
                self.history.update(item.item_id, status="incomplete")

    def restore(self, journal: InputAudioJournal, queued_item_ids: Collection[str | None],
                next_event_id: Callable[[], str]) -> list[Effect]:
        """On a new connection after a lost one: drop the cut-off items, re-create the
        conversation (committed turns the lost connection never confirmed with an item come
        back with their audio) and re-send what was never acknowledged, except the items in
        ``queued_item_ids`` (still queued to go after this)."""
        effects: list[Effect] = []
        # output items the drop cut mid-way are not part of the conversation any more (the
        # response that carried them is redone)
        dropped = [item_id for item_id in self.cut_items if self.history.delete(item_id)]
        self.cut_items.clear()
        if dropped:
            effects.append(self._updated())
        restored = restore_items(self.history.snapshot(), audio=journal.turn_audio)
        restored += [ib.user_audio_item(audio, item_id=item_id)
                     for item_id in journal.turn_audio_ids()
                     if item_id not in self.history
                     and (audio := journal.turn_audio(item_id)) is not None]
        for item in restored:
            effects.append(Send(ce.conversation_item_create(item, event_id=next_event_id())))
        resent = 0
        for item_id, frame in list(self.unconfirmed.items()):
            if item_id in self.history:
                del self.unconfirmed[item_id]  # restored above
            elif item_id not in queued_item_ids:
                effects.append(Send(dict(frame, event_id=next_event_id())))
                resent += 1
        logger.info("restored %d items and re-sent %d", len(restored), resent)
        return effects

    def _updated(self) -> Emit:
        return Emit(ev.HistoryUpdatedEvent(history=self.history.snapshot()))
