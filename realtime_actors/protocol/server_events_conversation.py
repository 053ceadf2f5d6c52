"""GA server events about the session, the conversation, its items and input transcription."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import attrs

from realtime_actors.protocol.items import (
    ConversationInfo,
    ConversationItem,
    ErrorDetail,
    LogProb,
    SessionInfo,
    Usage,
)
from realtime_actors.protocol.server_events_base import FieldTypeError, ServerEvent, server_event

logger = logging.getLogger(__name__)


def _read_languages(value: Any, key: str) -> tuple[str, ...] | None:
    """``languages`` is a list of ``{"code": "en"}``; keep the codes (other entries dropped)."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise FieldTypeError(key, "a list of {code} objects", value)
    codes = tuple(
        entry["code"]
        for entry in value
        if isinstance(entry, dict) and isinstance(entry.get("code"), str)
    )
    if len(codes) != len(value):
        logger.warning("%s: %d malformed language entries dropped", key, len(value) - len(codes))
    return codes


# ----------------------------------------------------------------------------- session


@server_event
@attrs.frozen(kw_only=True)
class SessionCreatedEvent(ServerEvent):
    """``session.created``: always the first event; the default session configuration."""

    TYPE: ClassVar[str] = "session.created"
    session: SessionInfo


@server_event
@attrs.frozen(kw_only=True)
class SessionUpdatedEvent(ServerEvent):
    """``session.updated``: the full effective session after a ``session.update``."""

    TYPE: ClassVar[str] = "session.updated"
    session: SessionInfo


# ----------------------------------------------------------------------------- conversation


@server_event
@attrs.frozen(kw_only=True)
class ConversationCreatedEvent(ServerEvent):
    """``conversation.created``: the default conversation exists."""

    TYPE: ClassVar[str] = "conversation.created"
    conversation: ConversationInfo


@server_event
@attrs.frozen(kw_only=True)
class ConversationItemCreatedEvent(ServerEvent):
    """``conversation.item.created``: an item was created (older name; GA uses ``.added``)."""

    TYPE: ClassVar[str] = "conversation.item.created"
    item: ConversationItem
    previous_item_id: str | None = None


@server_event
@attrs.frozen(kw_only=True)
class ConversationItemAddedEvent(ServerEvent):
    """``conversation.item.added``: an item was added to the conversation (may be in
    progress)."""

    TYPE: ClassVar[str] = "conversation.item.added"
    item: ConversationItem
    previous_item_id: str | None = None


@server_event
@attrs.frozen(kw_only=True)
class ConversationItemDoneEvent(ServerEvent):
    """``conversation.item.done``: an item is complete."""

    TYPE: ClassVar[str] = "conversation.item.done"
    item: ConversationItem
    previous_item_id: str | None = None


@server_event
@attrs.frozen(kw_only=True)
class ConversationItemRetrievedEvent(ServerEvent):
    """``conversation.item.retrieved``: answer to ``conversation.item.retrieve`` (with audio)."""

    TYPE: ClassVar[str] = "conversation.item.retrieved"
    item: ConversationItem


@server_event
@attrs.frozen(kw_only=True)
class ConversationItemTruncatedEvent(ServerEvent):
    """``conversation.item.truncated``: an assistant audio item was truncated."""

    TYPE: ClassVar[str] = "conversation.item.truncated"
    item_id: str
    content_index: int
    audio_end_ms: int


@server_event
@attrs.frozen(kw_only=True)
class ConversationItemDeletedEvent(ServerEvent):
    """``conversation.item.deleted``: an item was removed from the conversation."""

    TYPE: ClassVar[str] = "conversation.item.deleted"
    item_id: str


# ----------------------------------------------------------------------------- transcription


@server_event
@attrs.frozen(kw_only=True)
class ConversationItemInputAudioTranscriptionDeltaEvent(ServerEvent):
    """``conversation.item.input_audio_transcription.delta``: partial input transcript."""

    TYPE: ClassVar[str] = "conversation.item.input_audio_transcription.delta"
    item_id: str
    content_index: int | None = None
    delta: str | None = None
    logprobs: tuple[LogProb, ...] | None = None


@server_event
@attrs.frozen(kw_only=True)
class ConversationItemInputAudioTranscriptionCompletedEvent(ServerEvent):
    """``conversation.item.input_audio_transcription.completed``: final input transcript.
    ``usage`` is token-based or ``type="duration"``; ``languages`` holds language codes."""

    TYPE: ClassVar[str] = "conversation.item.input_audio_transcription.completed"
    item_id: str
    content_index: int
    transcript: str
    usage: Usage | None = None
    logprobs: tuple[LogProb, ...] | None = None
    languages: tuple[str, ...] | None = attrs.field(
        default=None, metadata={"reader": _read_languages}
    )


@server_event
@attrs.frozen(kw_only=True)
class ConversationItemInputAudioTranscriptionFailedEvent(ServerEvent):
    """``conversation.item.input_audio_transcription.failed``: transcription failed."""

    TYPE: ClassVar[str] = "conversation.item.input_audio_transcription.failed"
    item_id: str
    content_index: int
    error: ErrorDetail


@server_event
@attrs.frozen(kw_only=True)
class ConversationItemInputAudioTranscriptionSegmentEvent(ServerEvent):
    """``conversation.item.input_audio_transcription.segment``: a diarized segment."""

    TYPE: ClassVar[str] = "conversation.item.input_audio_transcription.segment"
    item_id: str
    content_index: int
    id: str
    text: str
    speaker: str
    start: float
    end: float
