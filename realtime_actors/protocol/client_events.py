"""Builders for the 11 GA client events (sans-I/O): each returns the JSON-ready wire dict.

Every builder takes an optional keyword ``event_id`` (at most 512 characters); the server echoes
it in ``error.event_id`` when the event fails. Bad arguments raise
:class:`~realtime_actors.errors.ConfigError` (or :class:`~realtime_actors.errors.AudioFormatError`
for audio) before anything is sent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from realtime_actors.errors import AudioFormatError, ConfigError
from realtime_actors.protocol.config_checks import check_int, check_str, json_object
from realtime_actors.protocol.item_builders import (
    assistant_text_item,
    check_item,
    encode_audio,
    function_call_item,
    function_call_output_item,
    item_reference,
    system_text_item,
    user_audio_item,
    user_text_item,
)
from realtime_actors.protocol.response_params import ConversationMode, ResponseParams
from realtime_actors.protocol.session_config import SessionModelSettings

__all__ = [
    "CLIENT_EVENT_TYPES",
    "EVENT_ID_MAX_LEN",
    "MAX_APPEND_BYTES",
    "ConversationMode",
    "ResponseParams",
    "assistant_text_item",
    "conversation_item_create",
    "conversation_item_delete",
    "conversation_item_retrieve",
    "conversation_item_truncate",
    "function_call_item",
    "function_call_output_item",
    "input_audio_buffer_append",
    "input_audio_buffer_clear",
    "input_audio_buffer_commit",
    "item_reference",
    "output_audio_buffer_clear",
    "response_cancel",
    "response_create",
    "session_update",
    "session_update_raw",
    "system_text_item",
    "user_audio_item",
    "user_text_item",
]

CLIENT_EVENT_TYPES: Final = frozenset(
    {
        "session.update",
        "input_audio_buffer.append",
        "input_audio_buffer.commit",
        "input_audio_buffer.clear",
        "output_audio_buffer.clear",
        "conversation.item.create",
        "conversation.item.retrieve",
        "conversation.item.truncate",
        "conversation.item.delete",
        "response.create",
        "response.cancel",
    }
)
"""The ``type`` of every GA client event."""

EVENT_ID_MAX_LEN: Final = 512
"""Longest ``event_id`` the server accepts."""
MAX_APPEND_BYTES: Final = 15 * 1024 * 1024
"""Largest audio payload (decoded bytes) of one ``input_audio_buffer.append``."""

_BETA_SESSION_KEYS = frozenset(
    {
        "modalities",
        "voice",
        "speed",
        "temperature",
        "input_audio_format",
        "output_audio_format",
        "input_audio_transcription",
        "input_audio_noise_reduction",
        "turn_detection",
        "max_response_output_tokens",
    }
)


def _event(event_type: str, event_id: str | None, **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"type": event_type}
    if event_id is not None:
        event["event_id"] = check_str(event_id, "event_id", max_len=EVENT_ID_MAX_LEN)
    event.update(fields)
    return event


def session_update(
    settings: SessionModelSettings | Mapping[str, Any],
    *,
    include_model: bool = True,
    event_id: str | None = None,
) -> dict[str, Any]:
    """``session.update`` from settings (a mapping goes through
    :meth:`SessionModelSettings.from_mapping`). ``include_model=False`` leaves ``model`` out."""
    if isinstance(settings, Mapping):
        settings = SessionModelSettings.from_mapping(settings)
    elif not isinstance(settings, SessionModelSettings):
        raise ConfigError(
            f"settings: expected SessionModelSettings or a mapping, got {type(settings).__name__}"
        )
    return _event(
        "session.update", event_id, session=settings.to_session(include_model=include_model)
    )


def session_update_raw(
    session: Mapping[str, Any], *, event_id: str | None = None
) -> dict[str, Any]:
    """``session.update`` with a wire-shaped GA session object, for fields the settings class
    does not model (``truncation``, ``reasoning``, ``include``, ``prompt``...).

    ``session.type`` must be ``realtime`` or ``transcription``; beta-only keys are refused.
    """
    copied = json_object(session, "session")
    if copied.get("type") not in ("realtime", "transcription"):
        raise ConfigError(
            f"session.type: required, 'realtime' or 'transcription', got {copied.get('type')!r}"
        )
    beta = sorted(_BETA_SESSION_KEYS & copied.keys())
    if beta:
        raise ConfigError(
            f"session: beta-only key(s) {beta} are not part of the GA session "
            "(audio settings live under session.audio.input/output)"
        )
    return _event("session.update", event_id, session=copied)


def input_audio_buffer_append(audio: bytes | str, *, event_id: str | None = None) -> dict[str, Any]:
    """``input_audio_buffer.append``: bytes are base64-encoded, a ``str`` must be base64 already.

    Empty, invalid or over-15-MiB audio raises :class:`AudioFormatError`.
    """
    encoded = encode_audio(audio, "audio")
    decoded_len = len(encoded) // 4 * 3 - encoded[-2:].count("=")
    if decoded_len > MAX_APPEND_BYTES:
        raise AudioFormatError(
            f"audio: {decoded_len} bytes exceed the {MAX_APPEND_BYTES}-byte limit of one append; "
            "split it into smaller chunks"
        )
    return _event("input_audio_buffer.append", event_id, audio=encoded)


def input_audio_buffer_commit(*, event_id: str | None = None) -> dict[str, Any]:
    """``input_audio_buffer.commit``: turn the buffered audio into a user item."""
    return _event("input_audio_buffer.commit", event_id)


def input_audio_buffer_clear(*, event_id: str | None = None) -> dict[str, Any]:
    """``input_audio_buffer.clear``: drop the buffered input audio."""
    return _event("input_audio_buffer.clear", event_id)


def output_audio_buffer_clear(*, event_id: str | None = None) -> dict[str, Any]:
    """``output_audio_buffer.clear`` (WebRTC/SIP only; send ``response.cancel`` first)."""
    return _event("output_audio_buffer.clear", event_id)


def conversation_item_create(
    item: Mapping[str, Any], previous_item_id: str | None = None, *, event_id: str | None = None
) -> dict[str, Any]:
    """``conversation.item.create``; ``previous_item_id="root"`` inserts at the start."""
    fields: dict[str, Any] = {}
    if previous_item_id is not None:
        fields["previous_item_id"] = check_str(previous_item_id, "previous_item_id")
    fields["item"] = check_item(item, "item")
    return _event("conversation.item.create", event_id, **fields)


def conversation_item_retrieve(item_id: str, *, event_id: str | None = None) -> dict[str, Any]:
    """``conversation.item.retrieve``: ask for the server's copy of an item."""
    return _event("conversation.item.retrieve", event_id, item_id=check_str(item_id, "item_id"))


def conversation_item_truncate(
    item_id: str, audio_end_ms: float, content_index: int = 0, *, event_id: str | None = None
) -> dict[str, Any]:
    """``conversation.item.truncate``: cut an assistant audio item at ``audio_end_ms`` (the
    played duration; a float is rounded down to whole milliseconds)."""
    if isinstance(audio_end_ms, float) and math.isfinite(audio_end_ms) and audio_end_ms >= 0:
        audio_end_ms = math.floor(audio_end_ms)
    return _event(
        "conversation.item.truncate",
        event_id,
        item_id=check_str(item_id, "item_id"),
        content_index=check_int(content_index, "content_index", lo=0),
        audio_end_ms=check_int(audio_end_ms, "audio_end_ms", lo=0),
    )


def conversation_item_delete(item_id: str, *, event_id: str | None = None) -> dict[str, Any]:
    """``conversation.item.delete``: remove an item from the conversation."""
    return _event("conversation.item.delete", event_id, item_id=check_str(item_id, "item_id"))


def response_create(
    response: ResponseParams | Mapping[str, Any] | None = None, *, event_id: str | None = None
) -> dict[str, Any]:
    """``response.create``; ``None`` gives the bare event, a mapping goes through
    :meth:`ResponseParams.from_mapping`."""
    if response is None:
        return _event("response.create", event_id)
    if isinstance(response, Mapping):
        response = ResponseParams.from_mapping(response)
    elif not isinstance(response, ResponseParams):
        raise ConfigError(
            f"response: expected ResponseParams, a mapping or None, got {type(response).__name__}"
        )
    return _event("response.create", event_id, response=response.to_wire())


def response_cancel(
    response_id: str | None = None, *, event_id: str | None = None
) -> dict[str, Any]:
    """``response.cancel``: cancel ``response_id``, or the active default-conversation one."""
    if response_id is None:
        return _event("response.cancel", event_id)
    return _event("response.cancel", event_id, response_id=check_str(response_id, "response_id"))
