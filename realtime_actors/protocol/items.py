"""Typed nested objects carried by GA server events: items, content parts, responses, sessions.

Every class has a tolerant ``from_dict``: missing keys and nulls become ``None`` (or an empty
tuple), unknown keys are ignored (they stay in ``raw``), and a value of the wrong type is logged at
WARNING and replaced by ``None`` (the original is still in ``raw``). ``from_dict`` never raises on
odd shapes.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from realtime_actors.errors import AudioFormatError

logger = logging.getLogger(__name__)

_T = TypeVar("_T")


# ----------------------------------------------------------------------------- helpers


def decode_base64_audio(data: str) -> bytes:
    """Decode base64 audio strictly (no stray characters, correct padding).

    Raises ``AudioFormatError`` when ``data`` is not a string or not valid base64."""
    if not isinstance(data, str):
        raise AudioFormatError(f"base64 audio must be a str, got {type(data).__name__}")
    try:
        return base64.b64decode(data, validate=True)
    except ValueError as exc:  # binascii.Error, or non-ASCII characters
        raise AudioFormatError(f"invalid base64 audio ({len(data)} chars): {exc}") from exc


def base64_repr(value: str | None) -> str:
    """Short repr for base64 audio fields (``<N base64 chars>``) so logs stay readable."""
    return "None" if value is None else f"<{len(value)} base64 chars>"


class _Fields:
    """Tolerant typed access to one wire dict: absent/null gives None, a wrong type is logged at
    WARNING and gives None (the value stays in ``data``, i.e. the object's ``raw``)."""

    __slots__ = ("data", "owner")

    def __init__(self, value: object, owner: str) -> None:
        if not isinstance(value, dict):
            if value is not None:
                logger.warning("%s: expected a JSON object, got %s", owner, type(value).__name__)
            value = {}
        self.data: dict[str, Any] = value
        self.owner = owner

    def wrong(self, key: str, value: object, wanted: str) -> None:
        logger.warning(
            "%s.%s: expected %s, got %s; set to None (kept in raw)",
            self.owner,
            key,
            wanted,
            type(value).__name__,
        )

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        self.wrong(key, value, "a string")
        return None

    def integer(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        self.wrong(key, value, "an integer")
        return None

    def number(self, key: str) -> float | None:
        value = self.data.get(key)
        if value is None or not (isinstance(value, int | float) and not isinstance(value, bool)):
            if value is not None:
                self.wrong(key, value, "a number")
            return None
        return float(value)

    def array(self, key: str) -> list[Any] | None:
        value = self.data.get(key)
        if value is None or isinstance(value, list):
            return value
        self.wrong(key, value, "a list")
        return None

    def obj(self, key: str, build: Callable[[Any], _T]) -> _T | None:
        """``build(value)`` for a present non-null value (``build`` is tolerant)."""
        value = self.data.get(key)
        return None if value is None else build(value)

    def objects(self, key: str, build: Callable[[dict[str, Any]], _T]) -> tuple[_T, ...]:
        """Build each dict element of a list; other elements are dropped with a warning."""
        out: list[_T] = []
        for index, element in enumerate(self.array(key) or ()):
            if isinstance(element, dict):
                out.append(build(element))
            else:
                logger.warning(
                    "%s.%s[%d]: expected a JSON object, got %s; dropped",
                    self.owner,
                    key,
                    index,
                    type(element).__name__,
                )
        return tuple(out)

    def texts(self, key: str) -> tuple[str, ...] | None:
        """A list of strings; non-string elements are dropped with a warning."""
        values = self.array(key)
        if values is None:
            return None
        out = tuple(v for v in values if isinstance(v, str))
        if len(out) != len(values):
            dropped = len(values) - len(out)
            logger.warning("%s.%s: %d non-string element(s) dropped", self.owner, key, dropped)
        return out


# ----------------------------------------------------------------------------- classes

@attrs.frozen(kw_only=True)
class ErrorDetail:
    """An error object: the ``error`` of an ``error`` event, of a failed transcription, or of a
    failed response's ``status_details``. ``event_id`` is the client event that caused it."""

    type: str | None = None
    code: str | None = None
    message: str | None = None
    param: str | None = None
    event_id: str | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> ErrorDetail:
        """Build from a wire dict, tolerating missing keys, nulls and wrong types."""
        f = _Fields(data, "ErrorDetail")
        return cls(
            type=f.text("type"),
            code=f.text("code"),
            message=f.text("message"),
            param=f.text("param"),
            event_id=f.text("event_id"),
            raw=f.data,
        )


@attrs.frozen(kw_only=True)
class ContentPart:
    """One content part of an item (``input_text``, ``input_audio``, ``output_text``,
    ``output_audio``, ``input_image``) or of ``response.content_part.*`` (``text``/``audio``)."""

    type: str | None = None
    text: str | None = None
    audio: str | None = attrs.field(default=None, repr=base64_repr)
    transcript: str | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> ContentPart:
        """Build from a wire dict, tolerating missing keys, nulls and wrong types."""
        f = _Fields(data, "ContentPart")
        return cls(
            type=f.text("type"),
            text=f.text("text"),
            audio=f.text("audio"),
            transcript=f.text("transcript"),
            raw=f.data,
        )

    def audio_bytes(self) -> bytes:
        """Decoded ``audio``; raises ``AudioFormatError`` if absent or not valid base64."""
        if self.audio is None:
            raise AudioFormatError("content part has no audio")
        return decode_base64_audio(self.audio)


@attrs.frozen(kw_only=True)
class ConversationItem:
    """A conversation item: ``message`` (with ``role`` and ``content``), ``function_call``
    (``call_id``, ``name``, ``arguments``), ``function_call_output`` (``call_id``, ``output``) or
    an MCP item (its specific fields stay in ``raw``)."""

    id: str | None = None
    type: str | None = None
    role: str | None = None
    status: str | None = None
    content: tuple[ContentPart, ...] = ()
    call_id: str | None = None
    name: str | None = None
    arguments: str | None = None
    output: str | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> ConversationItem:
        """Build from a wire dict, tolerating missing keys, nulls and wrong types."""
        f = _Fields(data, "ConversationItem")
        return cls(
            id=f.text("id"),
            type=f.text("type"),
            role=f.text("role"),
            status=f.text("status"),
            content=f.objects("content", ContentPart.from_dict),
            call_id=f.text("call_id"),
            name=f.text("name"),
            arguments=f.text("arguments"),
            output=f.text("output"),
            raw=f.data,
        )


@attrs.frozen(kw_only=True)
class Usage:
    """Token usage of a response, or of an input transcription. Transcription usage may instead
    be ``type="duration"`` with ``seconds`` (token fields then None)."""

    total_tokens: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    type: str | None = None
    seconds: float | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> Usage:
        """Build from a wire dict, tolerating missing keys, nulls and wrong types."""
        f = _Fields(data, "Usage")
        return cls(
            total_tokens=f.integer("total_tokens"),
            input_tokens=f.integer("input_tokens"),
            output_tokens=f.integer("output_tokens"),
            type=f.text("type"),
            seconds=f.number("seconds"),
            raw=f.data,
        )


@attrs.frozen(kw_only=True)
class ResponseStatusDetails:
    """Why a response ended: ``type`` (completed/cancelled/incomplete/failed), ``reason``
    (turn_detected, client_cancelled, max_output_tokens, content_filter) and, when failed,
    ``error``."""

    type: str | None = None
    reason: str | None = None
    error: ErrorDetail | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> ResponseStatusDetails:
        """Build from a wire dict, tolerating missing keys, nulls and wrong types."""
        f = _Fields(data, "ResponseStatusDetails")
        return cls(
            type=f.text("type"),
            reason=f.text("reason"),
            error=f.obj("error", ErrorDetail.from_dict),
            raw=f.data,
        )


@attrs.frozen(kw_only=True)
class RealtimeResponse:
    """A response object (``response.created`` / ``response.done``). ``status_details`` and
    ``usage`` are None while in progress; ``conversation_id`` is None for out-of-band responses.
    ``metadata`` is kept only if it is a JSON object."""

    id: str | None = None
    status: str | None = None
    status_details: ResponseStatusDetails | None = None
    output: tuple[ConversationItem, ...] = ()
    conversation_id: str | None = None
    output_modalities: tuple[str, ...] | None = None
    usage: Usage | None = None
    metadata: dict[str, str] | None = attrs.field(default=None, hash=False)
    raw: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> RealtimeResponse:
        """Build from a wire dict, tolerating missing keys, nulls and wrong types."""
        f = _Fields(data, "RealtimeResponse")
        metadata = f.data.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            f.wrong("metadata", metadata, "an object")
            metadata = None
        return cls(
            id=f.text("id"),
            status=f.text("status"),
            status_details=f.obj("status_details", ResponseStatusDetails.from_dict),
            output=f.objects("output", ConversationItem.from_dict),
            conversation_id=f.text("conversation_id"),
            output_modalities=f.texts("output_modalities"),
            usage=f.obj("usage", Usage.from_dict),
            metadata=metadata,
            raw=f.data,
        )


@attrs.frozen(kw_only=True)
class RateLimit:
    """One entry of ``rate_limits.updated``: ``name`` is ``requests`` or ``tokens``."""

    name: str | None = None
    limit: int | None = None
    remaining: int | None = None
    reset_seconds: float | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> RateLimit:
        """Build from a wire dict, tolerating missing keys, nulls and wrong types."""
        f = _Fields(data, "RateLimit")
        return cls(
            name=f.text("name"),
            limit=f.integer("limit"),
            remaining=f.integer("remaining"),
            reset_seconds=f.number("reset_seconds"),
            raw=f.data,
        )


@attrs.frozen(kw_only=True)
class LogProb:
    """One token log-probability of an input transcription (``bytes``: the token's UTF-8)."""

    token: str | None = None
    logprob: float | None = None
    bytes: tuple[int, ...] | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> LogProb:
        """Build from a wire dict, tolerating missing keys, nulls and wrong types."""
        f = _Fields(data, "LogProb")
        values = f.array("bytes")
        token_bytes: tuple[int, ...] | None = None
        if values is not None:
            if all(isinstance(b, int) and not isinstance(b, bool) for b in values):
                token_bytes = tuple(values)
            else:
                f.wrong("bytes", values, "a list of integers")
        return cls(
            token=f.text("token"), logprob=f.number("logprob"), bytes=token_bytes, raw=f.data
        )


@attrs.frozen(kw_only=True)
class ConversationInfo:
    """The ``conversation`` object of ``conversation.created``."""

    id: str | None = None
    object: str | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> ConversationInfo:
        """Build from a wire dict, tolerating missing keys, nulls and wrong types."""
        f = _Fields(data, "ConversationInfo")
        return cls(id=f.text("id"), object=f.text("object"), raw=f.data)


def _audio_side(session: dict[str, Any], side: str) -> dict[str, Any]:
    audio = session.get("audio")
    part = audio.get(side) if isinstance(audio, dict) else None
    return part if isinstance(part, dict) else {}


def _format_type(side: dict[str, Any]) -> str | None:
    fmt = side.get("format")
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    return kind if isinstance(kind, str) else None


@attrs.frozen(kw_only=True)
class SessionInfo:
    """The effective session of ``session.created`` / ``session.updated``.

    ``voice`` comes from ``audio.output.voice`` (a custom voice ``{"id": ...}`` gives its id);
    ``input_audio_format`` / ``output_audio_format`` are ``audio.{input,output}.format.type``
    (``audio/pcm``, ``audio/pcmu``, ``audio/pcma``). Everything else stays in ``raw``."""

    id: str | None = None
    type: str | None = None
    model: str | None = None
    instructions: str | None = None
    output_modalities: tuple[str, ...] | None = None
    voice: str | None = None
    input_audio_format: str | None = None
    output_audio_format: str | None = None
    tools: tuple[dict[str, Any], ...] = attrs.field(default=(), hash=False)
    expires_at: int | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> SessionInfo:
        """Build from a wire dict, tolerating missing keys, nulls and wrong types."""
        f = _Fields(data, "SessionInfo")
        output_side = _audio_side(f.data, "output")
        voice = output_side.get("voice")
        if isinstance(voice, dict):
            voice = voice.get("id")
        if voice is not None and not isinstance(voice, str):
            f.wrong("audio.output.voice", voice, "a string or {id}")
            voice = None
        return cls(
            id=f.text("id"),
            type=f.text("type"),
            model=f.text("model"),
            instructions=f.text("instructions"),
            output_modalities=f.texts("output_modalities"),
            voice=voice,
            input_audio_format=_format_type(_audio_side(f.data, "input")),
            output_audio_format=_format_type(output_side),
            tools=f.objects("tools", lambda tool: tool),
            expires_at=f.integer("expires_at"),
            raw=f.data,
        )
