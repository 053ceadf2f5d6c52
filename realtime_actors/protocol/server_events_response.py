"""GA server events of a response: lifecycle, output items, content parts, text, audio,
audio transcript and function-call arguments."""

from __future__ import annotations

from typing import Any, ClassVar, Self

import attrs

from realtime_actors.protocol.items import (
    ContentPart,
    ConversationItem,
    RealtimeResponse,
    base64_repr,
    decode_base64_audio,
)
from realtime_actors.protocol.server_events_base import ServerEvent, read_fields, server_event

# ----------------------------------------------------------------------------- lifecycle


@server_event
@attrs.frozen(kw_only=True)
class ResponseCreatedEvent(ServerEvent):
    """``response.created``: a response started (``status`` in_progress)."""

    TYPE: ClassVar[str] = "response.created"
    response: RealtimeResponse


@server_event
@attrs.frozen(kw_only=True)
class ResponseDoneEvent(ServerEvent):
    """``response.done``: a response ended (completed, cancelled, incomplete or failed)."""

    TYPE: ClassVar[str] = "response.done"
    response: RealtimeResponse


@server_event
@attrs.frozen(kw_only=True)
class ResponseOutputItemAddedEvent(ServerEvent):
    """``response.output_item.added``: the response started an output item."""

    TYPE: ClassVar[str] = "response.output_item.added"
    response_id: str
    output_index: int
    item: ConversationItem


@server_event
@attrs.frozen(kw_only=True)
class ResponseOutputItemDoneEvent(ServerEvent):
    """``response.output_item.done``: an output item is complete."""

    TYPE: ClassVar[str] = "response.output_item.done"
    response_id: str
    output_index: int
    item: ConversationItem


@server_event
@attrs.frozen(kw_only=True)
class ResponseContentPartAddedEvent(ServerEvent):
    """``response.content_part.added``: a content part (``text`` or ``audio``) started."""

    TYPE: ClassVar[str] = "response.content_part.added"
    response_id: str
    item_id: str
    output_index: int
    content_index: int
    part: ContentPart


@server_event
@attrs.frozen(kw_only=True)
class ResponseContentPartDoneEvent(ServerEvent):
    """``response.content_part.done``: a content part is complete."""

    TYPE: ClassVar[str] = "response.content_part.done"
    response_id: str
    item_id: str
    output_index: int
    content_index: int
    part: ContentPart


# ----------------------------------------------------------------------------- text


@server_event
@attrs.frozen(kw_only=True)
class ResponseOutputTextDeltaEvent(ServerEvent):
    """``response.output_text.delta``: a chunk of output text."""

    TYPE: ClassVar[str] = "response.output_text.delta"
    response_id: str
    item_id: str
    output_index: int
    content_index: int
    delta: str


@server_event
@attrs.frozen(kw_only=True)
class ResponseOutputTextDoneEvent(ServerEvent):
    """``response.output_text.done``: the full output text of a content part."""

    TYPE: ClassVar[str] = "response.output_text.done"
    response_id: str
    item_id: str
    output_index: int
    content_index: int
    text: str


# ----------------------------------------------------------------------------- audio


@server_event
@attrs.frozen(kw_only=True)
class ResponseOutputAudioDeltaEvent(ServerEvent):
    """``response.output_audio.delta``: a chunk of output audio, ``delta`` in base64 (not
    decoded at parse time; call ``audio_bytes()``)."""

    TYPE: ClassVar[str] = "response.output_audio.delta"
    response_id: str
    item_id: str
    output_index: int
    content_index: int
    delta: str = attrs.field(repr=base64_repr)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from a decoded frame, as :meth:`ServerEvent.from_dict` does.

        The hottest event of a session: a well-formed delta (the exact JSON types) is checked
        and built inline; anything else goes through the generic readers, which accept the
        same values and raise the same ``ProtocolError`` for bad ones."""
        event = cls.from_exact_dict(data)
        return event if event is not None else read_fields(cls, data)

    @classmethod
    def from_exact_dict(cls, data: dict[str, Any]) -> Self | None:
        """The event when every field has its exact JSON type, else None (the caller then
        takes the generic path, which accepts or refuses what this one did not check)."""
        get = data.get
        event_id = get("event_id")
        response_id = get("response_id")
        item_id = get("item_id")
        output_index = get("output_index")
        content_index = get("content_index")
        delta = get("delta")
        if (type(delta) is str and type(item_id) is str and type(response_id) is str
                and type(output_index) is int and type(content_index) is int
                and (event_id is None or type(event_id) is str)):
            return cls(event_id=event_id, raw=data, response_id=response_id, item_id=item_id,
                       output_index=output_index, content_index=content_index, delta=delta)
        return None

    def audio_bytes(self) -> bytes:
        """Decoded audio; raises ``AudioFormatError`` if ``delta`` is not valid base64."""
        return decode_base64_audio(self.delta)


@server_event
@attrs.frozen(kw_only=True)
class ResponseOutputAudioDoneEvent(ServerEvent):
    """``response.output_audio.done``: the audio of a content part is complete."""

    TYPE: ClassVar[str] = "response.output_audio.done"
    response_id: str
    item_id: str
    output_index: int
    content_index: int


@server_event
@attrs.frozen(kw_only=True)
class ResponseOutputAudioTranscriptDeltaEvent(ServerEvent):
    """``response.output_audio_transcript.delta``: a chunk of the output audio's transcript."""

    TYPE: ClassVar[str] = "response.output_audio_transcript.delta"
    response_id: str
    item_id: str
    output_index: int
    content_index: int
    delta: str


@server_event
@attrs.frozen(kw_only=True)
class ResponseOutputAudioTranscriptDoneEvent(ServerEvent):
    """``response.output_audio_transcript.done``: the full transcript of the output audio."""

    TYPE: ClassVar[str] = "response.output_audio_transcript.done"
    response_id: str
    item_id: str
    output_index: int
    content_index: int
    transcript: str


# ----------------------------------------------------------------------------- function calls


@server_event
@attrs.frozen(kw_only=True)
class ResponseFunctionCallArgumentsDeltaEvent(ServerEvent):
    """``response.function_call_arguments.delta``: a chunk of a function call's JSON
    arguments."""

    TYPE: ClassVar[str] = "response.function_call_arguments.delta"
    response_id: str
    item_id: str
    output_index: int
    call_id: str
    delta: str


@server_event
@attrs.frozen(kw_only=True)
class ResponseFunctionCallArgumentsDoneEvent(ServerEvent):
    """``response.function_call_arguments.done``: a function call is complete (``name`` and
    the full JSON ``arguments`` string)."""

    TYPE: ClassVar[str] = "response.function_call_arguments.done"
    response_id: str
    item_id: str
    output_index: int
    call_id: str
    name: str
    arguments: str
