"""Typed GA server events: registry coverage against the openai SDK, one representative frame per
type (cross-validated with the SDK's pydantic types), nulls, failures, errors and audio deltas."""

from __future__ import annotations

import base64
import itertools
import logging
import re
import typing
from typing import Annotated, Any

import attrs
import pytest
from openai.types.realtime import RealtimeServerEvent
from pydantic import BaseModel, Field, TypeAdapter

from realtime_actors.errors import AudioFormatError, ProtocolError
from realtime_actors.protocol import server_events as se
from realtime_actors.protocol.items import (
    ContentPart,
    ConversationItem,
    ErrorDetail,
    RateLimit,
    RealtimeResponse,
    SessionInfo,
    Usage,
)
from realtime_actors.protocol.parser import SERVER_EVENT_TYPES, parse_server_event

# ----------------------------------------------------------------------------- SDK reference

SDK_MEMBERS: tuple[type[BaseModel], ...] = typing.get_args(typing.get_args(RealtimeServerEvent)[0])
SDK_BY_TYPE: dict[str, type[BaseModel]] = {
    typing.get_args(m.model_fields["type"].annotation)[0]: m for m in SDK_MEMBERS
}
SDK_ADAPTER = TypeAdapter(Annotated[typing.Union[SDK_MEMBERS], Field(discriminator="type")])  # noqa: UP007

# ----------------------------------------------------------------------------- frames

PCM = bytes(range(256)) * 7 + bytes(128)  # 1920 bytes = 40 ms of pcm16 at 24 kHz
PCM_B64 = base64.b64encode(PCM).decode()

DEFAULT_SESSION: dict[str, Any] = {
    "object": "realtime.session",
    "type": "realtime",
    "id": "sess_C9G5QPteg4UIbotdKLoYQ",
    "model": "gpt-realtime-2025-08-28",
    "output_modalities": ["audio"],
    "instructions": "Your knowledge cutoff is 2023-10. You are a helpful, witty, and friendly AI.",
    "tools": [],
    "tool_choice": "auto",
    "max_output_tokens": "inf",
    "tracing": None,
    "truncation": "auto",
    "prompt": None,
    "expires_at": 1756324625,
    "include": None,
    "audio": {
        "input": {
            "format": {"type": "audio/pcm", "rate": 24000},
            "transcription": None,
            "noise_reduction": None,
            "turn_detection": {
                "type": "server_vad",
                "threshold": 0.5,
                "prefix_padding_ms": 300,
                "silence_duration_ms": 200,
                "idle_timeout_ms": None,
                "create_response": True,
                "interrupt_response": True,
            },
        },
        "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy", "speed": 1.0},
    },
}

WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}

UPDATED_SESSION: dict[str, Any] = {
    **DEFAULT_SESSION,
    "output_modalities": ["text"],
    "instructions": "Be brief.",
    "tools": [WEATHER_TOOL],
    "audio": {
        "input": {"format": {"type": "audio/pcmu"}, "turn_detection": None},
        "output": {"format": {"type": "audio/pcmu"}, "voice": "marin", "speed": 1.0},
    },
}

USER_AUDIO_ITEM = {
    "id": "item_A",
    "type": "message",
    "object": "realtime.item",
    "status": "completed",
    "role": "user",
    "content": [{"type": "input_audio", "transcript": None}],
}
USER_TEXT_ITEM = {
    "id": "item_T",
    "type": "message",
    "object": "realtime.item",
    "status": "completed",
    "role": "user",
    "content": [{"type": "input_text", "text": "hi"}],
}
ASSISTANT_IN_PROGRESS = {
    "id": "item_B",
    "type": "message",
    "object": "realtime.item",
    "status": "in_progress",
    "role": "assistant",
    "content": [],
}
ASSISTANT_AUDIO_DONE = {
    **ASSISTANT_IN_PROGRESS,
    "status": "completed",
    "content": [{"type": "output_audio", "transcript": "Hello there!"}],
}
FUNCTION_CALL_DONE = {
    "id": "item_F",
    "type": "function_call",
    "object": "realtime.item",
    "status": "completed",
    "call_id": "call_X",
    "name": "get_weather",
    "arguments": '{"city":"Paris"}',
}
USAGE = {
    "total_tokens": 253,
    "input_tokens": 132,
    "output_tokens": 121,
    "input_token_details": {
        "text_tokens": 119,
        "audio_tokens": 13,
        "image_tokens": 0,
        "cached_tokens": 64,
        "cached_tokens_details": {"text_tokens": 64, "audio_tokens": 0, "image_tokens": 0},
    },
    "output_token_details": {"text_tokens": 30, "audio_tokens": 91},
}
RESPONSE_BASE: dict[str, Any] = {
    "object": "realtime.response",
    "id": "resp_1",
    "conversation_id": "conv_1",
    "output_modalities": ["audio"],
    "max_output_tokens": "inf",
    "audio": {"output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy"}},
    "metadata": None,
}
RESPONSE_IN_PROGRESS = {
    **RESPONSE_BASE,
    "status": "in_progress",
    "status_details": None,
    "output": [],
    "usage": None,
}
RESPONSE_COMPLETED = {
    **RESPONSE_BASE,
    "status": "completed",
    "status_details": None,
    "output": [ASSISTANT_AUDIO_DONE],
    "usage": USAGE,
    "metadata": {"topic": "greeting"},
}
RATE_LIMIT_MSG = (
    "Rate limit reached for gpt-realtime-2.1-mini (for limit gpt-4o-mini-realtime) in "
    "organization org-123 on tokens per min (TPM): Limit 40000, Used 40000, Requested 3188. "
    "Please try again in 4.782s."
)
RESPONSE_FAILED = {
    **RESPONSE_BASE,
    "status": "failed",
    "status_details": {
        "type": "failed",
        "error": {"type": "tokens", "code": "rate_limit_exceeded", "message": RATE_LIMIT_MSG},
    },
    "output": [],
    "usage": None,
}
RESPONSE_CANCELLED = {
    **RESPONSE_BASE,
    "status": "cancelled",
    "status_details": {"type": "cancelled", "reason": "turn_detected"},
    "output": [{**ASSISTANT_AUDIO_DONE, "status": "incomplete"}],
    "usage": USAGE,
}

R = {"response_id": "resp_1", "item_id": "item_B", "output_index": 0, "content_index": 0}
OBF = {"obfuscation": "LBqdwEYsSEHbF"}
_IDS = itertools.count(1)


def ev(wire_type: str, *, with_id: bool = True, **fields: Any) -> dict[str, Any]:
    """A server frame of ``wire_type`` with a fresh ``event_id`` (unless ``with_id`` is false)."""
    frame: dict[str, Any] = {"type": wire_type}
    if with_id:
        frame["event_id"] = f"event_{next(_IDS)}"
    return {**frame, **fields}


TRANSCRIPTION = "conversation.item.input_audio_transcription"
CONVERSATION = "realtime.conversation"
LOGPROBS = [{"token": "Hel", "logprob": -0.25, "bytes": [72, 101, 108]}]
TOKEN_USAGE = {
    "type": "tokens",
    "total_tokens": 22,
    "input_tokens": 13,
    "input_token_details": {"text_tokens": 0, "audio_tokens": 13},
    "output_tokens": 9,
}
TRANSCRIPTION_ERROR = {
    "type": "transcription_error",
    "code": "audio_unintelligible",
    "message": "The audio could not be transcribed.",
    "param": None,
}
INVALID_EVENT_ERROR = {
    "type": "invalid_request_error",
    "code": "invalid_event",
    "message": "The 'type' field is missing.",
    "param": None,
    "event_id": "event_567",
}
RATE_LIMITS = [
    {"name": "requests", "limit": 1000, "remaining": 999, "reset_seconds": 60},
    {"name": "tokens", "limit": 40000, "remaining": 36812, "reset_seconds": 2.265},
]
RETRIEVED_ITEM = {
    **USER_AUDIO_ITEM,
    "content": [{"type": "input_audio", "audio": PCM_B64, "transcript": "hello"}],
}
FN = {"response_id": "resp_1", "item_id": "item_F", "output_index": 1, "call_id": "call_X"}
MCP = {"response_id": "resp_1", "item_id": "mcp_call_1", "output_index": 0}
MCP_CALL = {"item_id": "mcp_call_1", "output_index": 0}

# (frame, expected attributes by dotted path) for every one of the 46 GA server event types.
FRAMES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (
        ev("session.created", session=DEFAULT_SESSION),
        {"session.id": "sess_C9G5QPteg4UIbotdKLoYQ", "session.voice": "alloy"},
    ),
    (
        ev("session.updated", session=UPDATED_SESSION),
        {"session.voice": "marin", "session.output_modalities": ("text",)},
    ),
    (
        ev("conversation.created", conversation={"id": "conv_1", "object": CONVERSATION}),
        {"conversation.id": "conv_1", "conversation.object": CONVERSATION},
    ),
    (
        ev("conversation.item.created", previous_item_id=None, item=USER_TEXT_ITEM),
        {"previous_item_id": None, "item.content": (ContentPart(type="input_text", text="hi"),)},
    ),
    (
        ev("conversation.item.added", previous_item_id="item_prev", item=USER_AUDIO_ITEM),
        {"previous_item_id": "item_prev", "item.role": "user", "item.status": "completed"},
    ),
    (
        ev("conversation.item.done", previous_item_id="item_A", item=ASSISTANT_AUDIO_DONE),
        {"item.id": "item_B", "item.role": "assistant"},
    ),
    (ev("conversation.item.retrieved", item=RETRIEVED_ITEM), {"item.id": "item_A"}),
    (
        ev("conversation.item.truncated", item_id="item_B", content_index=0, audio_end_ms=1500),
        {"item_id": "item_B", "content_index": 0, "audio_end_ms": 1500},
    ),
    (ev("conversation.item.deleted", item_id="item_A"), {"item_id": "item_A"}),
    (
        ev(f"{TRANSCRIPTION}.delta", item_id="item_A", content_index=0, delta="Hel",
           logprobs=LOGPROBS, **OBF),
        {"delta": "Hel", "logprobs.0.token": "Hel", "logprobs.0.bytes": (72, 101, 108)},
    ),
    (
        ev(f"{TRANSCRIPTION}.completed", item_id="item_A", content_index=0,
           transcript="Hello, how are you?", logprobs=None, usage=TOKEN_USAGE,
           languages=[{"code": "en"}]),
        {"transcript": "Hello, how are you?", "usage.total_tokens": 22, "languages": ("en",)},
    ),
    (
        ev(f"{TRANSCRIPTION}.failed", item_id="item_A", content_index=0,
           error=TRANSCRIPTION_ERROR),
        {"error.code": "audio_unintelligible", "error.type": "transcription_error"},
    ),
    (
        ev(f"{TRANSCRIPTION}.segment", item_id="item_A", content_index=0, id="seg_0001",
           text="hello", speaker="A", start=0, end=2.5),
        {"id": "seg_0001", "speaker": "A", "start": 0.0, "end": 2.5},
    ),
    (
        ev("input_audio_buffer.speech_started", audio_start_ms=11956, item_id="item_A"),
        {"audio_start_ms": 11956, "item_id": "item_A"},
    ),
    (
        ev("input_audio_buffer.speech_stopped", audio_end_ms=14720, item_id="item_A"),
        {"audio_end_ms": 14720},
    ),
    (
        ev("input_audio_buffer.committed", previous_item_id="item_prev", item_id="item_A"),
        {"previous_item_id": "item_prev", "item_id": "item_A"},
    ),
    (ev("input_audio_buffer.cleared"), {}),
    (
        ev("input_audio_buffer.timeout_triggered", audio_start_ms=13216, audio_end_ms=19232,
           item_id="item_T2"),
        {"audio_start_ms": 13216, "audio_end_ms": 19232},
    ),
    (
        ev("input_audio_buffer.dtmf_event_received", with_id=False, event="5",
           received_at=1756310470),
        {"event": "5", "received_at": 1756310470, "event_id": None},
    ),
    (ev("output_audio_buffer.started", response_id="resp_1"), {"response_id": "resp_1"}),
    (ev("output_audio_buffer.stopped", response_id="resp_1"), {"response_id": "resp_1"}),
    (ev("output_audio_buffer.cleared", response_id="resp_1"), {"response_id": "resp_1"}),
    (
        ev("response.created", response=RESPONSE_IN_PROGRESS),
        {"response.status": "in_progress", "response.usage": None, "response.output": ()},
    ),
    (
        ev("response.done", response=RESPONSE_COMPLETED),
        {"response.status": "completed", "response.usage.output_tokens": 121},
    ),
    (
        ev("response.output_item.added", response_id="resp_1", output_index=0,
           item=ASSISTANT_IN_PROGRESS),
        {"item.status": "in_progress", "item.content": ()},
    ),
    (
        ev("response.output_item.done", response_id="resp_1", output_index=1,
           item=FUNCTION_CALL_DONE),
        {"output_index": 1, "item.call_id": "call_X", "item.arguments": '{"city":"Paris"}'},
    ),
    (
        ev("response.content_part.added", **R, part={"type": "audio", "transcript": ""}),
        {"part": ContentPart(type="audio", transcript="")},
    ),
    (
        ev("response.content_part.done", **R, part={"type": "text", "text": "Hello!"}),
        {"part.text": "Hello!"},
    ),
    (
        ev("response.output_text.delta", **R, delta="Hel"),
        {"delta": "Hel", "response_id": "resp_1", "item_id": "item_B"},
    ),
    (ev("response.output_text.done", **R, text="Hello!"), {"text": "Hello!"}),
    (
        ev("response.output_audio.delta", **R, delta=PCM_B64, **OBF),
        {"delta": PCM_B64, "content_index": 0},
    ),
    (ev("response.output_audio.done", **R), {"output_index": 0}),
    (ev("response.output_audio_transcript.delta", **R, delta="The", **OBF), {"delta": "The"}),
    (
        ev("response.output_audio_transcript.done", **R, transcript="The weather is nice."),
        {"transcript": "The weather is nice."},
    ),
    (
        ev("response.function_call_arguments.delta", **FN, delta='{"city":'),
        {"call_id": "call_X", "delta": '{"city":'},
    ),
    (
        ev("response.function_call_arguments.done", **FN, name="get_weather",
           arguments='{"city":"Paris"}'),
        {"name": "get_weather", "arguments": '{"city":"Paris"}'},
    ),
    (ev("mcp_list_tools.in_progress", item_id="mcp_1"), {"item_id": "mcp_1"}),
    (ev("mcp_list_tools.completed", item_id="mcp_1"), {"item_id": "mcp_1"}),
    (ev("mcp_list_tools.failed", item_id="mcp_1"), {"item_id": "mcp_1"}),
    (
        ev("response.mcp_call_arguments.delta", **MCP, delta='{"q":', **OBF),
        {"delta": '{"q":', "obfuscation": "LBqdwEYsSEHbF"},
    ),
    (
        ev("response.mcp_call_arguments.done", **MCP, arguments='{"q":"x"}'),
        {"arguments": '{"q":"x"}'},
    ),
    (ev("response.mcp_call.in_progress", **MCP_CALL), {"item_id": "mcp_call_1"}),
    (ev("response.mcp_call.completed", **MCP_CALL), {"output_index": 0}),
    (ev("response.mcp_call.failed", **MCP_CALL), {"item_id": "mcp_call_1"}),
    (
        ev("rate_limits.updated", rate_limits=RATE_LIMITS),
        {
            "rate_limits": (
                RateLimit(name="requests", limit=1000, remaining=999, reset_seconds=60.0),
                RateLimit(name="tokens", limit=40000, remaining=36812, reset_seconds=2.265),
            )
        },
    ),
    (
        ev("error", error=INVALID_EVENT_ERROR),
        {"error.code": "invalid_event", "error.event_id": "event_567", "error.param": None},
    ),
]

EXTRA_FRAMES: list[dict[str, Any]] = [
    ev("response.done", response=RESPONSE_FAILED),
    ev("response.done", response=RESPONSE_CANCELLED),
]


def _frame_id(frame: dict[str, Any]) -> str:
    return str(frame["type"])


def _frame(wire_type: str) -> dict[str, Any]:
    return next(frame for frame, _ in FRAMES if frame["type"] == wire_type)


def _get(obj: object, path: str) -> object:
    for part in path.split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)  # type: ignore[index]
    return obj


# ----------------------------------------------------------------------------- registry


def test_registry_covers_exactly_the_sdk_union() -> None:
    assert len(SDK_BY_TYPE) == 46
    assert set(SERVER_EVENT_TYPES) == set(SDK_BY_TYPE)
    for wire_type, cls in SERVER_EVENT_TYPES.items():
        assert cls.TYPE == wire_type
        assert issubclass(cls, se.ServerEvent)


def test_class_names_are_camel_case_of_wire_type() -> None:
    for wire_type, cls in SERVER_EVENT_TYPES.items():
        expected = "".join(p.capitalize() for p in re.split(r"[._]", wire_type)) + "Event"
        if wire_type == "error":
            expected = "ServerErrorEvent"
        assert cls.__name__ == expected
        assert getattr(se, expected) is cls, f"{expected} not exported by server_events"


def test_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        SERVER_EVENT_TYPES["x"] = se.UnknownServerEvent  # type: ignore[index]


def test_fields_are_wire_keys_of_the_sdk_models() -> None:
    for wire_type, cls in SERVER_EVENT_TYPES.items():
        sdk = SDK_BY_TYPE[wire_type]
        # event_id is on every event but dtmf_event_received, which the spec gives none.
        ours = {f.name: f for f in attrs.fields(cls) if f.name not in ("raw", "event_id")}
        assert set(ours) <= set(sdk.model_fields), f"{cls.__name__}: fields not on the wire"
        for name, field in ours.items():
            if field.default is attrs.NOTHING:
                assert sdk.model_fields[name].is_required(), f"{cls.__name__}.{name} required?"
        assert cls.__doc__, f"{cls.__name__} has no docstring"


def test_table_has_one_frame_per_type() -> None:
    assert sorted(f["type"] for f, _ in FRAMES) == sorted(SERVER_EVENT_TYPES)


# ----------------------------------------------------------------------------- frames


@pytest.mark.parametrize("frame", [f for f, _ in FRAMES] + EXTRA_FRAMES, ids=_frame_id)
def test_frame_is_valid_for_the_sdk(frame: dict[str, Any]) -> None:
    model = SDK_ADAPTER.validate_python(frame)
    assert model.type == frame["type"]


@pytest.mark.parametrize(("frame", "expected"), FRAMES, ids=[_frame_id(f) for f, _ in FRAMES])
def test_parse_representative_frame(frame: dict[str, Any], expected: dict[str, Any]) -> None:
    event = parse_server_event(frame)
    assert type(event) is SERVER_EVENT_TYPES[frame["type"]]
    assert isinstance(event, se.ServerEvent)
    assert event.type == frame["type"]
    assert event.event_id == frame.get("event_id")
    assert event.raw is frame
    for path, value in expected.items():
        assert _get(event, path) == value, path


def _required(frame: dict[str, Any]) -> list[str]:
    cls = SERVER_EVENT_TYPES[frame["type"]]
    return [f.name for f in attrs.fields(cls) if f.default is attrs.NOTHING]


@pytest.mark.parametrize(
    ("frame", "key"), [(f, key) for f, _ in FRAMES for key in _required(f)], ids=str
)
def test_dropping_a_required_field_is_a_protocol_error(frame: dict[str, Any], key: str) -> None:
    broken = {k: v for k, v in frame.items() if k != key}
    with pytest.raises(ProtocolError, match=re.escape(f"{frame['type']}: field '{key}'")):
        parse_server_event(broken)


def test_events_are_frozen_hashable_and_compare_without_raw() -> None:
    frame = _frame("rate_limits.updated")
    event = parse_server_event(frame)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.event_id = "x"  # type: ignore[misc]
    twin = parse_server_event({**frame, "obfuscation": "different"})
    assert twin == event
    assert hash(twin) == hash(event)
    done = parse_server_event(_frame("response.done"))
    session = parse_server_event(_frame("session.updated"))
    # dict-valued fields (metadata, tools) are excluded from the hash
    assert len({done, session, done}) == 2


# ----------------------------------------------------------------------------- shapes


def test_unknown_fields_never_raise_and_stay_in_raw() -> None:
    frame = {"type": "response.output_text.delta", **R, "delta": "x", **OBF, "future": {"a": [1]}}
    event = parse_server_event(frame)
    assert event.raw["obfuscation"] == "LBqdwEYsSEHbF"
    assert event.raw["future"] == {"a": [1]}
    assert not hasattr(event, "future")


def test_nulls_the_server_sends() -> None:
    created = parse_server_event(_frame("response.created"))
    assert isinstance(created, se.ResponseCreatedEvent)
    assert created.response.status_details is None
    assert created.response.usage is None
    assert created.response.metadata is None
    added = parse_server_event(_frame("conversation.item.added"))
    assert isinstance(added, se.ConversationItemAddedEvent)
    assert added.item.content == (ContentPart(type="input_audio", transcript=None),)
    session = parse_server_event(_frame("session.created"))
    assert isinstance(session, se.SessionCreatedEvent)
    assert session.session.raw["audio"]["input"]["transcription"] is None


def test_failed_response_done_exposes_the_error() -> None:
    event = parse_server_event(EXTRA_FRAMES[0])
    assert isinstance(event, se.ResponseDoneEvent)
    response = event.response
    assert response.status == "failed"
    assert response.usage is None
    assert response.status_details is not None
    assert response.status_details.type == "failed"
    assert response.status_details.error == ErrorDetail(
        type="tokens", code="rate_limit_exceeded", message=RATE_LIMIT_MSG
    )


def test_cancelled_response_done_has_reason() -> None:
    event = parse_server_event(EXTRA_FRAMES[1])
    assert isinstance(event, se.ResponseDoneEvent)
    assert event.response.status == "cancelled"
    assert event.response.status_details is not None
    assert event.response.status_details.reason == "turn_detected"
    assert event.response.status_details.error is None
    assert event.response.output[0].status == "incomplete"
    assert event.response.output[0].content[0].transcript == "Hello there!"


def test_completed_response_done() -> None:
    event = parse_server_event(_frame("response.done"))
    assert isinstance(event, se.ResponseDoneEvent)
    assert event.response == RealtimeResponse(
        id="resp_1",
        status="completed",
        output=(
            ConversationItem(
                id="item_B",
                type="message",
                role="assistant",
                status="completed",
                content=(ContentPart(type="output_audio", transcript="Hello there!"),),
            ),
        ),
        conversation_id="conv_1",
        output_modalities=("audio",),
        usage=Usage(total_tokens=253, input_tokens=132, output_tokens=121),
        metadata={"topic": "greeting"},
    )
    assert event.response.usage is not None
    assert event.response.usage.raw["output_token_details"]["audio_tokens"] == 91


ERROR_SHAPES = [
    ("invalid_value", "invalid_request_error", "Invalid value: 'bogus'.", "type", None),
    (
        "unknown_parameter",
        "invalid_request_error",
        "Unknown parameter: 'session.totally_made_up_field'.",
        "session.totally_made_up_field",
        "evt_client_1",
    ),
    (
        "missing_required_parameter",
        "invalid_request_error",
        "Missing required parameter: 'session.type'.",
        "session.type",
        None,
    ),
    (
        "input_audio_buffer_commit_empty",
        "invalid_request_error",
        "Error committing input audio buffer: buffer too small. Expected at least 100ms of "
        "audio, but buffer only has 0.00ms of audio.",
        None,
        None,
    ),
    (
        "conversation_already_has_active_response",
        "invalid_request_error",
        "Conversation already has an active response in progress: resp_X.",
        None,
        None,
    ),
    (
        "session_expired",
        "invalid_request_error",
        "Your session hit the maximum duration of 60 minutes.",
        None,
        None,
    ),
    (
        "beta_api_shape_disabled",
        "invalid_request_error",
        "The Realtime Beta API is no longer supported.",
        None,
        None,
    ),
    ("insufficient_quota", "insufficient_quota", "You exceeded your current quota.", None, None),
    (None, "server_error", "The server had an error while processing your request.", None, None),
]


@pytest.mark.parametrize(("code", "etype", "message", "param", "client_event"), ERROR_SHAPES)
def test_error_event_shapes(
    code: str | None, etype: str, message: str, param: str | None, client_event: str | None
) -> None:
    frame = {
        "type": "error",
        "event_id": "event_e",
        "error": {
            "type": etype,
            "code": code,
            "message": message,
            "param": param,
            "event_id": client_event,
        },
    }
    SDK_ADAPTER.validate_python(frame)
    event = parse_server_event(frame)
    assert isinstance(event, se.ServerErrorEvent)
    assert event.error == ErrorDetail(
        type=etype, code=code, message=message, param=param, event_id=client_event
    )


def test_transcription_completed_with_duration_usage() -> None:
    frame = {
        "type": "conversation.item.input_audio_transcription.completed",
        "event_id": "event_d",
        "item_id": "item_A",
        "content_index": 0,
        "transcript": "hi",
        "usage": {"type": "duration", "seconds": 2},
    }
    SDK_ADAPTER.validate_python(frame)
    event = parse_server_event(frame)
    assert isinstance(event, se.ConversationItemInputAudioTranscriptionCompletedEvent)
    assert event.usage == Usage(type="duration", seconds=2.0)
    assert event.languages is None
    assert event.logprobs is None


def test_session_info_fields() -> None:
    event = parse_server_event(_frame("session.updated"))
    assert isinstance(event, se.SessionUpdatedEvent)
    assert event.session == SessionInfo(
        id="sess_C9G5QPteg4UIbotdKLoYQ",
        type="realtime",
        model="gpt-realtime-2025-08-28",
        instructions="Be brief.",
        output_modalities=("text",),
        voice="marin",
        input_audio_format="audio/pcmu",
        output_audio_format="audio/pcmu",
        tools=(WEATHER_TOOL,),
        expires_at=1756324625,
    )


def test_session_info_custom_voice_and_transcription_session() -> None:
    custom = SessionInfo.from_dict({"audio": {"output": {"voice": {"id": "voice_1234"}}}})
    assert custom.voice == "voice_1234"
    transcription = SessionInfo.from_dict(
        {"type": "transcription", "id": "sess_t", "audio": {"input": {"format": None}}}
    )
    assert transcription.type == "transcription"
    assert transcription.model is None
    assert transcription.input_audio_format is None
    assert transcription.tools == ()


@pytest.mark.parametrize(
    ("cls", "data"),
    [
        (ConversationItem, {"id": 5, "content": "nope", "role": ["user"]}),
        (ConversationItem, {"content": [1, None, {"type": "input_text", "text": 3}]}),
        (ConversationItem, "not a dict"),
        (RealtimeResponse, {"status_details": "x", "usage": [1], "output": {}, "metadata": 3}),
        (RealtimeResponse, {"output_modalities": ["audio", 1], "status_details": {"error": 7}}),
        (SessionInfo, {"audio": {"output": {"voice": 12}}, "tools": [1, {"type": "function"}]}),
        (SessionInfo, {"audio": [], "expires_at": "soon", "output_modalities": "audio"}),
        (Usage, {"total_tokens": True, "seconds": "1"}),
        (RateLimit, {"limit": 1.5, "reset_seconds": False}),
        (ErrorDetail, None),
    ],
)
def test_nested_from_dict_tolerates_odd_shapes(
    cls: Any, data: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        obj = cls.from_dict(data)
    assert isinstance(obj, cls)
    assert obj.raw == (data if isinstance(data, dict) else {})
    if data is not None:
        assert caplog.records, "dropping a malformed value must be logged"


def test_nested_wrong_types_become_none() -> None:
    item = ConversationItem.from_dict({"id": 5, "content": [1, {"type": "input_text", "text": 3}]})
    assert item.id is None
    assert item.content == (ContentPart(type="input_text", text=None),)
    assert item.raw["id"] == 5
    response = RealtimeResponse.from_dict({"status_details": {"error": 7}, "metadata": 3})
    assert response.status_details is not None
    assert response.status_details.error == ErrorDetail()
    assert response.metadata is None


# ----------------------------------------------------------------------------- audio


def test_audio_delta_bytes_round_trip_and_short_repr() -> None:
    event = parse_server_event(_frame("response.output_audio.delta"))
    assert isinstance(event, se.ResponseOutputAudioDeltaEvent)
    assert event.delta == PCM_B64
    assert event.audio_bytes() == PCM
    assert PCM_B64 not in repr(event)
    assert f"<{len(PCM_B64)} base64 chars>" in repr(event)


@pytest.mark.parametrize("bad", ["abc", "@@@@", "AAAA AAAA", "ÄÄÄÄ", "AA=A", "AAAA\n"])
def test_audio_delta_bad_base64_raises_audio_format_error(bad: str) -> None:
    event = parse_server_event({"type": "response.output_audio.delta", **R, "delta": bad})
    assert isinstance(event, se.ResponseOutputAudioDeltaEvent)
    with pytest.raises(AudioFormatError):
        event.audio_bytes()


def test_content_part_audio_bytes() -> None:
    event = parse_server_event(_frame("conversation.item.retrieved"))
    assert isinstance(event, se.ConversationItemRetrievedEvent)
    assert event.item.content[0].audio_bytes() == PCM
    assert PCM_B64 not in repr(event)
    with pytest.raises(AudioFormatError):
        ContentPart(type="input_audio").audio_bytes()
    with pytest.raises(AudioFormatError):
        ContentPart(type="input_audio", audio="!!").audio_bytes()


def test_wrong_top_level_types_are_protocol_errors() -> None:
    base = {"type": "response.output_audio.delta", **R, "delta": PCM_B64}
    for key, value in [
        ("delta", 12),
        ("content_index", "0"),
        ("content_index", True),
        ("content_index", 1.0),
        ("event_id", 7),
    ]:
        with pytest.raises(ProtocolError, match=key):
            parse_server_event({**base, key: value})
    with pytest.raises(ProtocolError, match="previous_item_id"):
        parse_server_event({**_frame("input_audio_buffer.committed"), "previous_item_id": 3})
    with pytest.raises(ProtocolError, match="rate_limits"):
        parse_server_event({"type": "rate_limits.updated", "rate_limits": {"name": "tokens"}})
