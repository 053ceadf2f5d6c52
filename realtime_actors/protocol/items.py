"""Typed nested objects carried by GA server events: items, content parts, responses, sessions.

Every class has a tolerant ``from_dict`` (derived from its fields, see ``wire_fields.py``):
missing keys and nulls become ``None`` (or an empty tuple), unknown keys are ignored (they stay
in ``raw``), and a value of the wrong type is logged at WARNING and replaced by ``None`` (the
original is still in ``raw``). ``from_dict`` never raises on odd shapes.
"""

from __future__ import annotations

import base64
from typing import Any

import attrs

from realtime_actors.errors import AudioFormatError
from realtime_actors.protocol.wire_fields import Fields, WireObject, wire_object

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


# ----------------------------------------------------------------------------- classes


@wire_object
@attrs.frozen(kw_only=True)
class ErrorDetail(WireObject):
    """An error object: the ``error`` of an ``error`` event, of a failed transcription, or of a
    failed response's ``status_details``. ``event_id`` is the client event that caused it."""

    type: str | None = None
    code: str | None = None
    message: str | None = None
    param: str | None = None
    event_id: str | None = None


@wire_object
@attrs.frozen(kw_only=True)
class ContentPart(WireObject):
    """One content part of an item (``input_text``, ``input_audio``, ``output_text``,
    ``output_audio``, ``input_image``) or of ``response.content_part.*`` (``text``/``audio``)."""

    type: str | None = None
    text: str | None = None
    audio: str | None = attrs.field(default=None, repr=base64_repr)
    transcript: str | None = None

    def audio_bytes(self) -> bytes:
        """Decoded ``audio``; raises ``AudioFormatError`` if absent or not valid base64."""
        if self.audio is None:
            raise AudioFormatError("content part has no audio")
        return decode_base64_audio(self.audio)


@wire_object
@attrs.frozen(kw_only=True)
class ConversationItem(WireObject):
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


@wire_object
@attrs.frozen(kw_only=True)
class Usage(WireObject):
    """Token usage of a response, or of an input transcription. Transcription usage may instead
    be ``type="duration"`` with ``seconds`` (token fields then None)."""

    total_tokens: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    type: str | None = None
    seconds: float | None = None


@wire_object
@attrs.frozen(kw_only=True)
class ResponseStatusDetails(WireObject):
    """Why a response ended: ``type`` (completed/cancelled/incomplete/failed), ``reason``
    (turn_detected, client_cancelled, max_output_tokens, content_filter) and, when failed,
    ``error``."""

    type: str | None = None
    reason: str | None = None
    error: ErrorDetail | None = None


def _read_metadata(f: Fields, key: str) -> dict[str, str] | None:
    metadata = f.data.get(key)
    if metadata is not None and not isinstance(metadata, dict):
        f.wrong(key, metadata, "an object")
        return None
    return metadata


@wire_object
@attrs.frozen(kw_only=True)
class RealtimeResponse(WireObject):
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
    metadata: dict[str, str] | None = attrs.field(default=None, hash=False,
                                                  metadata={"read": _read_metadata})


@wire_object
@attrs.frozen(kw_only=True)
class RateLimit(WireObject):
    """One entry of ``rate_limits.updated``: ``name`` is ``requests`` or ``tokens``."""

    name: str | None = None
    limit: int | None = None
    remaining: int | None = None
    reset_seconds: float | None = None


def _read_token_bytes(f: Fields, key: str) -> tuple[int, ...] | None:
    values = f.array(key)
    if values is None:
        return None
    if all(isinstance(b, int) and not isinstance(b, bool) for b in values):
        return tuple(values)
    f.wrong(key, values, "a list of integers")
    return None


@wire_object
@attrs.frozen(kw_only=True)
class LogProb(WireObject):
    """One token log-probability of an input transcription (``bytes``: the token's UTF-8)."""

    token: str | None = None
    logprob: float | None = None
    bytes: tuple[int, ...] | None = attrs.field(default=None,
                                                metadata={"read": _read_token_bytes})


@wire_object
@attrs.frozen(kw_only=True)
class ConversationInfo(WireObject):
    """The ``conversation`` object of ``conversation.created``."""

    id: str | None = None
    object: str | None = None


def _audio_side(session: dict[str, Any], side: str) -> dict[str, Any]:
    audio = session.get("audio")
    part = audio.get(side) if isinstance(audio, dict) else None
    return part if isinstance(part, dict) else {}


def _read_format_type(f: Fields, key: str) -> str | None:
    fmt = _audio_side(f.data, key.removesuffix("_audio_format")).get("format")
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    return kind if isinstance(kind, str) else None


def _read_voice(f: Fields, _key: str) -> str | None:
    voice = _audio_side(f.data, "output").get("voice")
    if isinstance(voice, dict):
        voice = voice.get("id")
    if voice is not None and not isinstance(voice, str):
        f.wrong("audio.output.voice", voice, "a string or {id}")
        return None
    return voice


def _read_tools(f: Fields, key: str) -> tuple[dict[str, Any], ...]:
    return f.objects(key, lambda tool: tool)


@wire_object
@attrs.frozen(kw_only=True)
class SessionInfo(WireObject):
    """The effective session of ``session.created`` / ``session.updated``.

    ``voice`` comes from ``audio.output.voice`` (a custom voice ``{"id": ...}`` gives its id);
    ``input_audio_format`` / ``output_audio_format`` are ``audio.{input,output}.format.type``
    (``audio/pcm``, ``audio/pcmu``, ``audio/pcma``). Everything else stays in ``raw``."""

    id: str | None = None
    type: str | None = None
    model: str | None = None
    instructions: str | None = None
    output_modalities: tuple[str, ...] | None = None
    voice: str | None = attrs.field(default=None, metadata={"read": _read_voice})
    input_audio_format: str | None = attrs.field(default=None,
                                                 metadata={"read": _read_format_type})
    output_audio_format: str | None = attrs.field(default=None,
                                                  metadata={"read": _read_format_type})
    tools: tuple[dict[str, Any], ...] = attrs.field(default=(), hash=False,
                                                    metadata={"read": _read_tools})
    expires_at: int | None = None
