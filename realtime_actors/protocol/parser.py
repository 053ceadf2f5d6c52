"""Sans-I/O parser: one WebSocket text frame (or decoded dict) in, one typed ``ServerEvent`` out.

Every failure is a ``ProtocolError``; no other exception escapes ``parse_server_event``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from realtime_actors.errors import ProtocolError
from realtime_actors.protocol.server_events import (
    SERVER_EVENT_TYPES,
    ResponseOutputAudioDeltaEvent,
    ServerEvent,
    UnknownServerEvent,
)

logger = logging.getLogger(__name__)

__all__ = ["SERVER_EVENT_TYPES", "parse_server_event"]


def _reject_constant(name: str) -> Any:
    # JSON has no NaN/Infinity; Python's json accepts them unless told otherwise.
    raise ValueError(f"non-standard JSON constant {name}")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
# JSONDecoder.__init__ sets scan_once; typeshed does not declare the attribute.
_SCAN_ONCE: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
"""The decoder's scanner: ``decode`` without its whitespace and extra-data wrapping."""
_REGISTRY: Mapping[str, type[ServerEvent]] = SERVER_EVENT_TYPES


_AUDIO_DELTA = ResponseOutputAudioDeltaEvent.TYPE


def parse_server_event(frame: str | bytes | bytearray | dict[str, Any]) -> ServerEvent:
    """Parse one server frame into its typed event.

    ``frame`` is the text of a WebSocket frame, its bytes (strict UTF-8), or an already decoded
    dict (kept as the event's ``raw``, not copied). Unknown ``type`` values give an
    ``UnknownServerEvent``. Raises ``ProtocolError`` for invalid UTF-8, text that is not JSON,
    JSON that is not an object, a missing or non-string ``type``, or a known event whose fields
    are missing or of the wrong type."""
    if isinstance(frame, str):
        data = _decode_json(frame, frame)
    elif isinstance(frame, dict):
        data = frame
    elif isinstance(frame, bytes | bytearray):
        try:
            # the hot path (every frame read from the socket): orjson validates UTF-8 and
            # parses in one pass; anything it refuses is parsed again below for the exact error
            data = orjson.loads(frame)
        except orjson.JSONDecodeError:
            data = _decode_bytes(frame)
        else:
            if type(data) is dict and data.get("type") == _AUDIO_DELTA:
                # the hottest frame: its fields are strings and ints, so exact types mean no
                # integer was read as a float (one that was goes the careful way below)
                event = ResponseOutputAudioDeltaEvent.from_exact_dict(data)
                if event is not None:
                    return event
            if type(data) is dict and any(type(v) is float for v in data.values()):
                # orjson reads an integer beyond 64 bits as a float: the stdlib keeps it exact
                data = _decode_bytes(frame)
    else:
        raise ProtocolError(f"unsupported frame type {type(frame).__name__}")
    return _build(data, frame)


def _decode_bytes(frame: bytes | bytearray) -> Any:
    """The stdlib's decoding of a frame orjson refused: the value it accepts (a very large
    integer, say) or the precise ``ProtocolError``."""
    try:
        text = frame.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(
            f"invalid UTF-8 at byte {exc.start}", frame=bytes(frame[:200])
        ) from None
    return _decode_json(text, frame)


def _build(data: Any, frame: str | bytes | bytearray | dict[str, Any]) -> ServerEvent:
    if not isinstance(data, dict):
        raise ProtocolError(
            f"not a JSON object (got {type(data).__name__})", frame=_excerpt_source(frame)
        )
    event_type = data.get("type")
    if not isinstance(event_type, str):
        raise ProtocolError("no type (missing or not a string)", frame=_excerpt_source(frame))

    cls = _REGISTRY.get(event_type)
    if cls is None:
        return UnknownServerEvent.from_dict(data)
    try:
        return cls.from_dict(data)
    except ProtocolError as exc:
        raise ProtocolError(exc.reason, frame=_excerpt_source(frame)) from None
    except Exception as exc:
        # Safety net: the readers and nested from_dicts are written not to raise anything else.
        logger.error("unexpected %s while building %s", type(exc).__name__, event_type)
        raise ProtocolError(
            f"{event_type}: could not build event ({type(exc).__name__})",
            frame=_excerpt_source(frame),
        ) from exc


def _decode_json(text: str, source: str | bytes | bytearray) -> Any:
    # Fast path: one JSON value filling the whole text (a server frame) needs only the scanner;
    # anything else (whitespace around it, extra data, an error) goes through ``decode``,
    # which gives the same value or raises the error it always did.
    try:
        value, end = _SCAN_ONCE(text, 0)
    except (StopIteration, ValueError, RecursionError):
        pass
    else:
        if end == len(text):
            return value
    try:
        return _DECODER.decode(text)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc) or "too deep"
        raise ProtocolError(f"not JSON: {reason}", frame=_excerpt_source(source)) from None


def _excerpt_source(frame: object) -> str | bytes | None:
    if isinstance(frame, str | bytes):
        return frame
    if isinstance(frame, bytearray):
        return bytes(frame)
    return None
