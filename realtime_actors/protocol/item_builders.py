"""Builders and checks for GA conversation items (the ``item`` of ``conversation.item.create``
and the ``input`` of ``response.create``). Items are plain wire dicts."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from realtime_actors.errors import AudioFormatError, ConfigError
from realtime_actors.protocol.config_checks import check_str, json_object

_CONTENT_TYPES = {
    "user": frozenset({"input_text", "input_audio", "input_image"}),
    "system": frozenset({"input_text"}),
    "assistant": frozenset({"output_text", "output_audio"}),
}
_BETA_CONTENT_HINTS = {
    "text": "beta name; use 'output_text' for assistant or 'input_text' for user/system",
    "audio": "beta name; use 'output_audio' for assistant or 'input_audio' for user",
}
_MCP_ITEM_TYPES = frozenset(
    {"mcp_approval_response", "mcp_list_tools", "mcp_call", "mcp_approval_request"}
)
ITEM_TYPES = frozenset({"message", "function_call", "function_call_output"} | _MCP_ITEM_TYPES)
"""Item ``type`` values ``conversation.item.create`` accepts."""


def encode_audio(audio: object, field: str = "audio") -> str:
    """Base64 of ``audio``: bytes-like objects are encoded, a ``str`` must already be base64.

    Empty or invalid audio raises :class:`AudioFormatError`.
    """
    if isinstance(audio, str):
        if not audio:
            raise AudioFormatError(f"{field}: empty audio")
        try:
            base64.b64decode(audio, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise AudioFormatError(f"{field}: string is not valid base64 ({exc})") from exc
        return audio
    if isinstance(audio, bytes | bytearray | memoryview):
        if not len(audio):
            raise AudioFormatError(f"{field}: empty audio")
        return binascii.b2a_base64(audio, newline=False).decode("ascii")
    raise AudioFormatError(
        f"{field}: expected bytes or a base64 string, got {type(audio).__name__} "
        "(convert arrays with realtime_actors.audio.pcm first)"
    )


def _with_id(item: dict[str, Any], item_id: str | None) -> dict[str, Any]:
    if item_id is not None:
        return {"id": check_str(item_id, "item_id", max_len=512), **item}
    return item


def _message(role: str, content: dict[str, Any], item_id: str | None) -> dict[str, Any]:
    return _with_id({"type": "message", "role": role, "content": [content]}, item_id)


def user_text_item(text: str, *, item_id: str | None = None) -> dict[str, Any]:
    """A user message with one ``input_text`` part."""
    text = check_str(text, "text", allow_empty=True)
    return _message("user", {"type": "input_text", "text": text}, item_id)


def user_audio_item(
    pcm: bytes | str, transcript: str | None = None, *, item_id: str | None = None
) -> dict[str, Any]:
    """A user message with one ``input_audio`` part (audio in the session's input format)."""
    content: dict[str, Any] = {"type": "input_audio", "audio": encode_audio(pcm, "pcm")}
    if transcript is not None:
        content["transcript"] = check_str(transcript, "transcript", allow_empty=True)
    return _message("user", content, item_id)


def system_text_item(text: str, *, item_id: str | None = None) -> dict[str, Any]:
    """A system message with one ``input_text`` part."""
    text = check_str(text, "text", allow_empty=True)
    return _message("system", {"type": "input_text", "text": text}, item_id)


def assistant_text_item(text: str, *, item_id: str | None = None) -> dict[str, Any]:
    """An assistant message with one ``output_text`` part (GA name; beta used ``text``)."""
    text = check_str(text, "text", allow_empty=True)
    return _message("assistant", {"type": "output_text", "text": text}, item_id)


def function_call_item(
    call_id: str, name: str, arguments: str, *, item_id: str | None = None
) -> dict[str, Any]:
    """A ``function_call`` item; ``arguments`` is the JSON-encoded arguments string."""
    if not isinstance(arguments, str):
        raise ConfigError(
            f"arguments: expected a JSON string (use json.dumps), got {type(arguments).__name__}"
        )
    item = {
        "type": "function_call",
        "call_id": check_str(call_id, "call_id"),
        "name": check_str(name, "name"),
        "arguments": arguments,
    }
    return _with_id(item, item_id)


def function_call_output_item(
    call_id: str, output: str, *, item_id: str | None = None
) -> dict[str, Any]:
    """A ``function_call_output`` item answering the call ``call_id``."""
    if not isinstance(output, str):
        raise ConfigError(
            f"output: expected a string (encode results first), got {type(output).__name__}"
        )
    item = {
        "type": "function_call_output",
        "call_id": check_str(call_id, "call_id"),
        "output": output,
    }
    return _with_id(item, item_id)


def item_reference(item_id: str) -> dict[str, Any]:
    """A reference to an existing item, for ``ResponseParams.input`` only."""
    return {"type": "item_reference", "id": check_str(item_id, "item_id", max_len=512)}


def check_item(
    item: object, field: str = "item", *, allow_reference: bool = False
) -> dict[str, Any]:
    """Check the shape of a wire item and return a deep copy.

    Verifies the item ``type``, a message's ``role`` and content part types (rejecting the beta
    ``text``/``audio`` names), and the required strings of function call items.
    """
    if not isinstance(item, Mapping):
        raise ConfigError(f"{field}: expected an item mapping, got {type(item).__name__}")
    copied = json_object(item, field)
    kind = copied.get("type")
    if kind == "item_reference" and allow_reference:
        check_str(copied.get("id"), f"{field}.id")
        return copied
    if kind not in ITEM_TYPES:
        allowed = sorted(ITEM_TYPES | ({"item_reference"} if allow_reference else set()))
        raise ConfigError(f"{field}.type: invalid value {kind!r}; allowed values are {allowed}")
    if kind == "message":
        _check_message(copied, field)
    elif kind == "function_call":
        check_str(copied.get("name"), f"{field}.name")
        if not isinstance(copied.get("arguments"), str):
            raise ConfigError(f"{field}.arguments: required JSON string")
    elif kind == "function_call_output":
        check_str(copied.get("call_id"), f"{field}.call_id")
        if not isinstance(copied.get("output"), str):
            raise ConfigError(f"{field}.output: required string")
    return copied


def _check_message(item: dict[str, Any], field: str) -> None:
    role = item.get("role")
    if role not in _CONTENT_TYPES:
        raise ConfigError(
            f"{field}.role: invalid value {role!r}; "
            "allowed values are 'user', 'assistant', 'system'"
        )
    content = item.get("content")
    if not isinstance(content, list):
        raise ConfigError(f"{field}.content: required list of content parts")
    allowed = _CONTENT_TYPES[role]
    for index, part in enumerate(content):
        where = f"{field}.content[{index}]"
        if not isinstance(part, dict):
            raise ConfigError(f"{where}: expected a content part mapping")
        kind = part.get("type")
        if kind not in allowed:
            hint = _BETA_CONTENT_HINTS.get(kind) if isinstance(kind, str) else None
            raise ConfigError(
                f"{where}.type: invalid value {kind!r} for role {role!r}"
                + (f" ({hint})" if hint else "")
                + f"; allowed values are {sorted(allowed)}"
            )
        if role == "assistant" and kind == "output_audio" and part.get("audio") is not None:
            raise ConfigError(
                f"{where}: conversation.item.create cannot add assistant audio; send the "
                "transcript as output_text instead"
            )
