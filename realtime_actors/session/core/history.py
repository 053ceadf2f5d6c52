"""Conversation history as the client sees it: items keyed by their GA item id.

:class:`History` is plain, single-owner state (the session core owns it); :class:`HistoryItem`
values are immutable snapshots handed to users.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs


@attrs.frozen(kw_only=True)
class HistoryItem:
    """One conversation item: a message, a function call, or a function call's output."""

    item_id: str
    type: str
    """``message``, ``function_call`` or ``function_call_output``."""
    role: str | None = None
    """``user``, ``assistant`` or ``system`` for messages."""
    text: str | None = None
    """Text content (input_text / output_text)."""
    transcript: str | None = None
    """Transcript of audio content (user input audio or assistant output audio)."""
    has_audio: bool = False
    status: str | None = None
    call_id: str | None = None
    name: str | None = None
    arguments: str | None = None
    output: str | None = None
    truncated_at_ms: int | None = None

    @property
    def content_text(self) -> str:
        """The words of this item: its text, else its transcript, else ``""``."""
        return self.text or self.transcript or ""


def item_from_wire(item: Mapping[str, Any]) -> HistoryItem | None:
    """Build a :class:`HistoryItem` from a GA item dict; ``None`` if it has no id/type."""
    item_id = item.get("id")
    item_type = item.get("type")
    if not isinstance(item_id, str) or not isinstance(item_type, str):
        return None
    texts: list[str] = []
    transcripts: list[str] = []
    has_audio = False
    for part in item.get("content") or ():
        if not isinstance(part, Mapping):
            continue
        ptype = part.get("type")
        if ptype in ("input_text", "output_text", "text") and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif ptype in ("input_audio", "output_audio", "audio"):
            has_audio = True
            if isinstance(part.get("transcript"), str):
                transcripts.append(part["transcript"])
    return HistoryItem(
        item_id=item_id,
        type=item_type,
        role=_str(item.get("role")),
        text="".join(texts) if texts else None,
        transcript="".join(transcripts) if transcripts else None,
        has_audio=has_audio,
        status=_str(item.get("status")),
        call_id=_str(item.get("call_id")),
        name=_str(item.get("name")),
        arguments=_str(item.get("arguments")),
        output=_str(item.get("output")),
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class History:
    """Ordered items by id. Mutations return whether the item was new."""

    def __init__(self) -> None:
        self._items: dict[str, HistoryItem] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def get(self, item_id: str) -> HistoryItem | None:
        """The item with that id, if any."""
        return self._items.get(item_id)

    def snapshot(self) -> tuple[HistoryItem, ...]:
        """All items in conversation order."""
        return tuple(self._items.values())

    def upsert(self, item: HistoryItem, previous_item_id: str | None = None) -> bool:
        """Insert or merge an item; new items go after ``previous_item_id`` when known.

        Merging keeps what the newer snapshot lacks (a transcript accumulated from deltas,
        a truncation) so a later ``conversation.item.done`` without content loses nothing.
        """
        old = self._items.get(item.item_id)
        if old is not None:
            self._items[item.item_id] = _merge(old, item)
            return False
        if previous_item_id and previous_item_id in self._items:
            items = list(self._items.items())
            index = next(i for i, (k, _) in enumerate(items) if k == previous_item_id) + 1
            items.insert(index, (item.item_id, item))
            self._items = dict(items)
        elif previous_item_id == "root":
            self._items = {item.item_id: item, **self._items}
        else:
            self._items[item.item_id] = item
        return True

    def update(self, item_id: str, **changes: Any) -> HistoryItem | None:
        """Replace fields of an existing item; returns the new snapshot or ``None``."""
        old = self._items.get(item_id)
        if old is None:
            return None
        new = attrs.evolve(old, **changes)
        self._items[item_id] = new
        return new

    def delete(self, item_id: str) -> bool:
        """Remove an item; ``False`` if it was not there."""
        return self._items.pop(item_id, None) is not None


def _merge(old: HistoryItem, new: HistoryItem) -> HistoryItem:
    return attrs.evolve(
        new,
        text=new.text if new.text is not None else old.text,
        transcript=new.transcript if new.transcript else old.transcript,
        has_audio=new.has_audio or old.has_audio,
        role=new.role or old.role,
        call_id=new.call_id or old.call_id,
        name=new.name or old.name,
        arguments=new.arguments if new.arguments else old.arguments,
        output=new.output if new.output is not None else old.output,
        truncated_at_ms=old.truncated_at_ms,
    )
