"""The default conversation of one simulated connection: ordered items (sans-I/O).

Items are kept in wire form (the ``item`` objects of GA events) next to what the scripted
model "understood" of them (``text``) and their raw audio.
"""

from __future__ import annotations

import base64
import copy
import math
from typing import Any

import attrs

from .audio import duration_ms
from .errors import ClientEventError, invalid_type, invalid_value, missing_parameter
from .errors import unknown_parameter as unknown
from .ids import IdFactory

MESSAGE_KEYS = frozenset({"id", "object", "type", "status", "role", "content"})
CALL_KEYS = frozenset({"id", "object", "type", "status", "call_id", "name", "arguments"})
OUTPUT_KEYS = frozenset({"id", "object", "type", "status", "call_id", "output"})
ITEM_KEYS = {
    "message": MESSAGE_KEYS,
    "function_call": CALL_KEYS,
    "function_call_output": OUTPUT_KEYS,
}
CONTENT_TYPES = {
    "user": ("input_text", "input_audio", "input_image"),
    "system": ("input_text",),
    "assistant": ("output_text",),
}


@attrs.define(kw_only=True)
class StoredItem:
    """One item of the conversation."""

    item: dict[str, Any]
    """Wire form, without raw audio."""
    text: str | None = None
    """What the scripted model understood: message text or audio transcript."""
    audio: bytes = b""
    """Raw audio of an audio content part (input or output), in ``audio_format``."""
    audio_format: str = "audio/pcm"
    truncated: bool = False
    """Set once the client truncated the item (its audio stays cut, its transcript removed)."""

    @property
    def id(self) -> str:
        """The item id."""
        return str(self.item["id"])

    def wire(self, *, with_audio: bool = False) -> dict[str, Any]:
        """A copy of the wire item; ``with_audio`` adds base64 audio to audio content parts."""
        out = copy.deepcopy(self.item)
        if with_audio and self.audio:
            for part in out.get("content", []):
                if part.get("type") in ("input_audio", "output_audio"):
                    part["audio"] = base64.b64encode(self.audio).decode("ascii")
        return out


def item_not_found(item_id: Any, param: str = "item_id") -> ClientEventError:
    """The error for an id that names no item of the conversation."""
    return ClientEventError(
        "item_not_found", f"Item with item_id not found: {item_id}", param=param
    )


def _content(content: Any, role: str) -> list[dict[str, Any]]:
    if not isinstance(content, list):
        raise invalid_type("item.content", content, "an array")
    parts = []
    for i, part in enumerate(content):
        p = f"item.content[{i}]"
        if not isinstance(part, dict):
            raise invalid_type(p, part, "an object")
        kind = part.get("type")
        if role == "assistant" and kind == "output_audio":
            raise ClientEventError(
                "invalid_value",
                "Assistant audio messages cannot be created by the client.",
                param=f"{p}.type",
            )
        if kind not in CONTENT_TYPES[role]:
            raise invalid_value(f"{p}.type", kind, CONTENT_TYPES[role])
        keys = {
            "input_text": {"type", "text"},
            "output_text": {"type", "text"},
            "input_audio": {"type", "audio", "transcript"},
            "input_image": {"type", "image_url", "detail"},
        }[kind]
        for key in part:
            if key not in keys:
                raise unknown(f"{p}.{key}")
        if kind in ("input_text", "output_text") and not isinstance(part.get("text"), str):
            raise missing_parameter(f"{p}.text")
        if kind == "input_audio" and "audio" in part:
            try:
                base64.b64decode(part["audio"], validate=True)
            except (ValueError, TypeError) as exc:
                raise invalid_value(f"{p}.audio", "<invalid base64>") from exc
        parts.append(dict(part))
    return parts


def normalize_client_item(item: Any, ids: IdFactory) -> StoredItem:
    """Validate the ``item`` of a ``conversation.item.create``; fills id, object and status.

    Audio content keeps its bytes in :attr:`StoredItem.audio` (first audio part); the caller
    sets :attr:`StoredItem.text` of audio messages from a transcript.
    """
    if not isinstance(item, dict):
        raise invalid_type("item", item, "an object")
    kind = item.get("type")
    keys = ITEM_KEYS
    if kind not in keys:
        raise invalid_value("item.type", kind, tuple(keys))
    for key in item:
        if key not in keys[kind]:
            raise unknown(f"item.{key}")
    out: dict[str, Any] = {
        "id": item.get("id") or ids.new("item"),
        "type": kind,
        "object": "realtime.item",
        "status": "completed",
    }
    stored = StoredItem(item=out)
    if kind == "message":
        role = item.get("role")
        if role not in CONTENT_TYPES:
            raise invalid_value("item.role", role, tuple(CONTENT_TYPES))
        parts = _content(item.get("content"), role)
        texts = []
        for part in parts:
            if "text" in part:
                texts.append(part["text"])
            if part["type"] == "input_audio":
                if "audio" in part and not stored.audio:
                    stored.audio = base64.b64decode(part.pop("audio"))
                else:
                    part.pop("audio", None)
                part.setdefault("transcript", None)
                if part["transcript"]:
                    texts.append(part["transcript"])
        out["role"] = role
        out["content"] = parts
        stored.text = " ".join(texts)
    elif kind == "function_call":
        for key in ("name", "arguments"):
            if not isinstance(item.get(key), str):
                raise missing_parameter(f"item.{key}")
        out.update(call_id=item.get("call_id") or ids.new("call"), name=item["name"],
                   arguments=item["arguments"])
    else:
        for key in ("call_id", "output"):
            if not isinstance(item.get(key), str):
                raise missing_parameter(f"item.{key}")
        out.update(call_id=item["call_id"], output=item["output"])
        stored.text = item["output"]
    return stored


class Conversation:
    """Ordered items of the default conversation."""

    def __init__(self, conversation_id: str) -> None:
        self.id = conversation_id
        self._items: list[StoredItem] = []

    def __len__(self) -> int:
        return len(self._items)

    @property
    def items(self) -> tuple[StoredItem, ...]:
        """The items, oldest first."""
        return tuple(self._items)

    def _index(self, item_id: Any) -> int:
        for i, stored in enumerate(self._items):
            if stored.id == item_id:
                return i
        raise item_not_found(item_id)

    def get(self, item_id: Any) -> StoredItem:
        """The item with this id; raises ``ClientEventError`` when there is none."""
        return self._items[self._index(item_id)]

    def insert(self, stored: StoredItem, previous_item_id: str | None = None) -> str | None:
        """Insert after ``previous_item_id`` (``None``: at the end; ``"root"``: first).

        Returns the id of the item now before it (``None`` when it is first).
        """
        if any(s.id == stored.id for s in self._items):
            raise ClientEventError(
                "invalid_value", f"Item with id '{stored.id}' already exists.", param="item.id"
            )
        if previous_item_id is None:
            position = len(self._items)
        elif previous_item_id == "root":
            position = 0
        else:
            try:
                position = self._index(previous_item_id) + 1
            except ClientEventError as exc:
                raise item_not_found(previous_item_id, "previous_item_id") from exc
        self._items.insert(position, stored)
        return self._items[position - 1].id if position > 0 else None

    def delete(self, item_id: Any) -> None:
        """Remove an item; raises ``ClientEventError`` when there is none."""
        del self._items[self._index(item_id)]

    def truncate(self, item_id: Any, content_index: Any, audio_end_ms: Any) -> None:
        """Cut an assistant audio item's audio at ``audio_end_ms`` and remove its transcript,
        as the service does; the scripted model keeps, as its memory of the item, the part of
        the text the user heard (cut in proportion to the audio)."""
        stored = self.get(item_id)
        item = stored.item
        if item.get("type") != "message" or item.get("role") != "assistant":
            raise ClientEventError(
                "invalid_value", "Only assistant messages can be truncated.", param="item_id"
            )
        content = item.get("content", [])
        if not isinstance(content_index, int) or not 0 <= content_index < len(content):
            raise invalid_value("content_index", content_index)
        part = content[content_index]
        if part.get("type") != "output_audio":
            raise ClientEventError(
                "invalid_value", "Only audio content can be truncated.", param="content_index"
            )
        if not isinstance(audio_end_ms, int) or audio_end_ms < 0:
            raise invalid_value("audio_end_ms", audio_end_ms)
        total_ms = duration_ms(len(stored.audio), stored.audio_format)
        if audio_end_ms > total_ms:
            raise ClientEventError(
                "invalid_value",
                f"Audio content of {math.floor(total_ms)}ms is already shorter than "
                f"{audio_end_ms}ms",
                param="audio_end_ms",
            )
        ratio = audio_end_ms / total_ms if total_ms else 0.0
        keep_bytes = int(len(stored.audio) * ratio)
        if stored.audio_format == "audio/pcm":
            keep_bytes -= keep_bytes % 2
        stored.audio = stored.audio[:keep_bytes]
        transcript = stored.text or part.get("transcript") or ""
        cut = transcript[: round(len(transcript) * ratio)]
        if 0 < len(cut) < len(transcript) and " " in cut:
            cut = cut[: cut.rindex(" ")]
        part["transcript"] = None  # the service removes the server-side transcript
        stored.text = cut
        stored.truncated = True

    def history(self) -> list[StoredItem]:
        """Items in order (a copy of the list)."""
        return list(self._items)


def history_texts(items: list[StoredItem]) -> tuple[str, ...]:
    """Texts of user and assistant messages, oldest first."""
    return tuple(
        s.text
        for s in items
        if s.item.get("type") == "message"
        and s.item.get("role") in ("user", "assistant")
        and s.text
    )


def latest_user(items: list[StoredItem]) -> StoredItem | None:
    """The newest user message, if any."""
    for stored in reversed(items):
        if stored.item.get("type") == "message" and stored.item.get("role") == "user":
            return stored
    return None
