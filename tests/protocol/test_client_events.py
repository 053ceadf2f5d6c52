"""GA client-event builders: every event validates against the openai types, no beta keys."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from realtime_actors.errors import AudioFormatError, ConfigError
from realtime_actors.protocol.client_events import (
    CLIENT_EVENT_TYPES,
    EVENT_ID_MAX_LEN,
    MAX_APPEND_BYTES,
    ConversationMode,
    ResponseParams,
    assistant_text_item,
    conversation_item_create,
    conversation_item_delete,
    conversation_item_retrieve,
    conversation_item_truncate,
    function_call_item,
    function_call_output_item,
    input_audio_buffer_append,
    input_audio_buffer_clear,
    input_audio_buffer_commit,
    item_reference,
    output_audio_buffer_clear,
    response_cancel,
    response_create,
    session_update,
    session_update_raw,
    system_text_item,
    user_audio_item,
    user_text_item,
)
from realtime_actors.protocol.session_config import (
    SessionModelSettings,
    ToolDefinition,
    TurnDetectionConfig,
)
from tests.protocol.openai_schema import (
    GA_CLIENT_EVENT_TYPES,
    client_event_problems,
    server_event_problems,
    validate_client_event,
    validate_server_event,
)

PCM = bytes(range(256)) * 4  # 1024 bytes of "audio"
WEATHER = ToolDefinition(
    name="get_weather", parameters={"type": "object", "properties": {"city": {"type": "string"}}}
)

# Keys that exist only in the beta protocol, anywhere in an event.
BETA_KEYS_ANYWHERE = {
    "modalities",
    "temperature",
    "max_response_output_tokens",
    "input_audio_format",
    "output_audio_format",
    "input_audio_transcription",
    "input_audio_noise_reduction",
}
# Keys that moved under audio.* in GA: forbidden at the top of a session/response object.
BETA_KEYS_TOP_LEVEL = {"voice", "speed", "turn_detection"}


def full_response_params() -> ResponseParams:
    """ResponseParams with every option set."""
    return ResponseParams(
        output_modalities="text",
        instructions="Answer in one word.",
        conversation="none",
        metadata={"topic": "weather", "turn": "3"},
        tools=[WEATHER],
        tool_choice="get_weather",
        max_output_tokens=256,
        input=[
            system_text_item("Be terse."),
            user_text_item("Weather in Paris?"),
            assistant_text_item("Checking."),
            function_call_item("call_1", "get_weather", '{"city":"Paris"}'),
            function_call_output_item("call_1", '{"temp":21}'),
        ],
        voice="coral",
        output_audio_format="g711_alaw",
    )


BUILDERS: dict[str, Callable[..., dict[str, Any]]] = {
    "session.update": lambda **kw: session_update(
        SessionModelSettings(
            instructions="hi",
            voice="verse",
            turn_detection=TurnDetectionConfig.semantic_vad(eagerness="low"),
        ),
        **kw,
    ),
    "input_audio_buffer.append": lambda **kw: input_audio_buffer_append(PCM, **kw),
    "input_audio_buffer.commit": input_audio_buffer_commit,
    "input_audio_buffer.clear": input_audio_buffer_clear,
    "output_audio_buffer.clear": output_audio_buffer_clear,
    "conversation.item.create": lambda **kw: conversation_item_create(user_text_item("hi"), **kw),
    "conversation.item.retrieve": lambda **kw: conversation_item_retrieve("item_1", **kw),
    "conversation.item.truncate": lambda **kw: conversation_item_truncate("item_1", 1500, **kw),
    "conversation.item.delete": lambda **kw: conversation_item_delete("item_1", **kw),
    "response.create": lambda **kw: response_create(full_response_params(), **kw),
    "response.cancel": response_cancel,
}


def all_built_events() -> Iterator[dict[str, Any]]:
    """Every builder with every option, for the blanket checks."""
    for build in BUILDERS.values():
        yield build()
        yield build(event_id="evt_" + "x" * 100)
    for item in (
        user_text_item("hi", item_id="item_a"),
        user_audio_item(PCM),
        user_audio_item(PCM, "transcript", item_id="item_b"),
        system_text_item("sys"),
        assistant_text_item("said"),
        function_call_item("call_9", "f", "{}", item_id="item_c"),
        function_call_output_item("call_9", "done"),
    ):
        yield conversation_item_create(item)
        yield conversation_item_create(item, previous_item_id="root", event_id="e1")
    yield conversation_item_truncate("item_1", 0, content_index=1, event_id="e2")
    yield response_create()
    yield response_create(ResponseParams())
    yield response_create({"instructions": "x", "input": [item_reference("item_1")]})
    yield response_cancel("resp_1", event_id="e3")
    yield session_update({"voice": "ash"}, include_model=False)
    yield session_update_raw({"type": "realtime", "truncation": "auto"})


def _walk(node: object, path: str = "$") -> Iterator[tuple[str, str, object]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}[{index}]")


# --- blanket checks ------------------------------------------------------------------------------


def test_client_event_types_match_the_sdk_union() -> None:
    assert CLIENT_EVENT_TYPES == GA_CLIENT_EVENT_TYPES
    assert set(BUILDERS) == set(CLIENT_EVENT_TYPES)


@pytest.mark.parametrize("event_type", sorted(BUILDERS))
def test_every_builder_validates_with_and_without_event_id(event_type: str) -> None:
    plain = BUILDERS[event_type]()
    assert plain["type"] == event_type
    assert "event_id" not in plain
    validate_client_event(plain)
    tagged = BUILDERS[event_type](event_id="evt_42")
    assert tagged["event_id"] == "evt_42"
    assert {k: v for k, v in tagged.items() if k != "event_id"} == plain
    validate_client_event(tagged)


def test_all_built_events_validate_and_serialise() -> None:
    events = list(all_built_events())
    assert len(events) > 30
    for event in events:
        assert client_event_problems(event) == [], event
        assert json.loads(json.dumps(event)) == event


def test_no_beta_only_keys_in_any_output() -> None:
    for event in all_built_events():
        for path, key, value in _walk(event):
            assert key not in BETA_KEYS_ANYWHERE, f"beta key {path}.{key} in {event['type']}"
            if path in ("$.session", "$.response"):
                assert key not in BETA_KEYS_TOP_LEVEL, f"beta key {path}.{key}"
            if key == "type" and path.endswith("]") and ".content[" in path:
                assert value not in ("text", "audio"), f"beta content type at {path}"


# --- event_id ------------------------------------------------------------------------------------


def test_event_id_length_limit() -> None:
    assert input_audio_buffer_commit(event_id="e" * EVENT_ID_MAX_LEN)["event_id"] == "e" * 512
    with pytest.raises(ConfigError, match="event_id: at most 512 characters allowed, got 513"):
        input_audio_buffer_commit(event_id="e" * 513)


@pytest.mark.parametrize("bad", ["", 7, b"evt"])
def test_event_id_must_be_a_non_empty_string(bad: object) -> None:
    with pytest.raises(ConfigError, match="event_id"):
        response_cancel(event_id=bad)  # type: ignore[arg-type]


# --- input audio ---------------------------------------------------------------------------------


@pytest.mark.parametrize("audio", [PCM, bytearray(PCM), memoryview(PCM)])
def test_append_base64_encodes_bytes(audio: bytes | bytearray | memoryview) -> None:
    event = input_audio_buffer_append(audio)
    assert base64.b64decode(event["audio"]) == PCM
    validate_client_event(event)


def test_append_passes_base64_strings_through() -> None:
    encoded = base64.b64encode(PCM).decode()
    assert input_audio_buffer_append(encoded) == {
        "type": "input_audio_buffer.append",
        "audio": encoded,
    }


@pytest.mark.parametrize(
    ("audio", "message"),
    [
        (b"", "audio: empty audio"),
        ("", "audio: empty audio"),
        ("not base64!", "not valid base64"),
        ("AAA", "not valid base64"),
        ([1, 2], "expected bytes or a base64 string, got list"),
        (12, "expected bytes or a base64 string, got int"),
    ],
)
def test_append_rejects_bad_audio(audio: object, message: str) -> None:
    with pytest.raises(AudioFormatError, match=message):
        input_audio_buffer_append(audio)  # type: ignore[arg-type]


def test_append_enforces_the_15_mib_limit() -> None:
    assert len(input_audio_buffer_append(bytes(MAX_APPEND_BYTES))["audio"]) > MAX_APPEND_BYTES
    with pytest.raises(AudioFormatError, match="exceed the 15728640-byte limit"):
        input_audio_buffer_append(bytes(MAX_APPEND_BYTES + 1))


def test_buffer_events_have_no_payload() -> None:
    assert input_audio_buffer_commit() == {"type": "input_audio_buffer.commit"}
    assert input_audio_buffer_clear() == {"type": "input_audio_buffer.clear"}
    assert output_audio_buffer_clear(event_id="x") == {
        "type": "output_audio_buffer.clear",
        "event_id": "x",
    }


# --- items ---------------------------------------------------------------------------------------


def test_item_helpers_build_ga_items() -> None:
    assert user_text_item("hi") == {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "hi"}],
    }
    assert system_text_item("be brief")["content"] == [{"type": "input_text", "text": "be brief"}]
    assert assistant_text_item("ok") == {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "ok"}],
    }
    audio = user_audio_item(PCM, transcript="hello", item_id="item_1")
    assert audio["id"] == "item_1"
    assert audio["content"] == [
        {"type": "input_audio", "audio": base64.b64encode(PCM).decode(), "transcript": "hello"}
    ]
    assert "transcript" not in user_audio_item(PCM)["content"][0]
    assert function_call_item("c1", "f", '{"a":1}') == {
        "type": "function_call",
        "call_id": "c1",
        "name": "f",
        "arguments": '{"a":1}',
    }
    assert function_call_output_item("c1", "42") == {
        "type": "function_call_output",
        "call_id": "c1",
        "output": "42",
    }
    assert item_reference("item_7") == {"type": "item_reference", "id": "item_7"}


def test_item_create_with_previous_item_id() -> None:
    event = conversation_item_create(user_text_item("x"), previous_item_id="root", event_id="e")
    assert event == {
        "type": "conversation.item.create",
        "event_id": "e",
        "previous_item_id": "root",
        "item": user_text_item("x"),
    }
    validate_client_event(event)


def test_item_create_copies_the_item() -> None:
    item = user_text_item("before")
    event = conversation_item_create(item)
    item["content"][0]["text"] = "after"
    assert event["item"]["content"][0]["text"] == "before"


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"type": "message", "role": "assistant", "content": [{"type": "text", "text": "x"}]},
         "invalid value 'text' for role 'assistant' \\(beta name; use 'output_text'"),
        ({"type": "message", "role": "user", "content": [{"type": "output_text", "text": "x"}]},
         "invalid value 'output_text' for role 'user'"),
        ({"type": "message", "role": "system", "content": [{"type": "input_audio"}]},
         "for role 'system'"),
        ({"type": "message", "role": "assistant",
          "content": [{"type": "output_audio", "audio": "AAAA"}]},
         "cannot add assistant audio"),
        ({"type": "message", "role": "bot", "content": []}, "item.role: invalid value 'bot'"),
        ({"type": "message", "role": "user", "content": "hi"}, "item.content: required list"),
        ({"type": "message", "role": "user", "content": ["hi"]}, "expected a content part"),
        ({"type": "item_reference", "id": "item_1"}, "item.type: invalid value 'item_reference'"),
        ({"type": "chat"}, "item.type: invalid value 'chat'"),
        ({"type": "function_call", "arguments": "{}"}, "item.name: expected a string"),
        ({"type": "function_call", "name": "f", "arguments": {}}, "item.arguments: required"),
        ({"type": "function_call_output", "call_id": "c", "output": 1}, "item.output: required"),
        ("hello", "item: expected an item mapping, got str"),
    ],
)
def test_item_create_rejects_bad_items(item: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        conversation_item_create(item)  # type: ignore[arg-type]


def test_item_helpers_reject_bad_arguments() -> None:
    with pytest.raises(ConfigError, match="arguments: expected a JSON string"):
        function_call_item("c1", "f", {"a": 1})  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="output: expected a string"):
        function_call_output_item("c1", {"ok": True})  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="call_id: must not be empty"):
        function_call_output_item("", "x")
    with pytest.raises(ConfigError, match="text: expected a string"):
        user_text_item(None)  # type: ignore[arg-type]
    with pytest.raises(AudioFormatError, match="pcm: empty audio"):
        user_audio_item(b"")
    with pytest.raises(ConfigError, match="previous_item_id: must not be empty"):
        conversation_item_create(user_text_item("x"), previous_item_id="")


@pytest.mark.parametrize("builder", [conversation_item_retrieve, conversation_item_delete])
def test_item_id_events(builder: Callable[..., dict[str, Any]]) -> None:
    assert builder("item_3")["item_id"] == "item_3"
    with pytest.raises(ConfigError, match="item_id: must not be empty"):
        builder("")


def test_truncate_defaults_and_rounding() -> None:
    assert conversation_item_truncate("item_1", 1234) == {
        "type": "conversation.item.truncate",
        "item_id": "item_1",
        "content_index": 0,
        "audio_end_ms": 1234,
    }
    assert conversation_item_truncate("item_1", 1234.9)["audio_end_ms"] == 1234


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"audio_end_ms": -1}, "audio_end_ms: must be >= 0"),
        ({"audio_end_ms": -0.5}, "audio_end_ms: expected an integer"),
        ({"audio_end_ms": math.nan}, "audio_end_ms: expected an integer"),
        ({"audio_end_ms": True}, "audio_end_ms: expected an integer"),
        ({"audio_end_ms": 10, "content_index": -1}, "content_index: must be >= 0"),
    ],
)
def test_truncate_rejects_bad_values(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        conversation_item_truncate("item_1", **kwargs)


# --- responses -----------------------------------------------------------------------------------


def test_response_create_bare_and_empty() -> None:
    assert response_create() == {"type": "response.create"}
    assert response_create(ResponseParams()) == {"type": "response.create", "response": {}}


def test_response_params_serialise_every_option() -> None:
    wire = full_response_params().to_wire()
    assert wire["output_modalities"] == ["text"]
    assert wire["conversation"] == "none"
    assert wire["metadata"] == {"topic": "weather", "turn": "3"}
    assert wire["audio"] == {"output": {"format": {"type": "audio/pcma"}, "voice": "coral"}}
    assert wire["tools"] == [WEATHER.to_wire()]
    assert wire["tool_choice"] == {"type": "function", "name": "get_weather"}
    assert wire["max_output_tokens"] == 256
    assert [item["type"] for item in wire["input"]] == [
        "message",
        "message",
        "message",
        "function_call",
        "function_call_output",
    ]
    validate_client_event({"type": "response.create", "response": wire})


def test_response_create_accepts_a_mapping() -> None:
    event = response_create({"conversation": ConversationMode.AUTO, "output_modalities": ["audio"]})
    assert event == {
        "type": "response.create",
        "response": {"output_modalities": ["audio"], "conversation": "auto"},
    }


def test_response_input_may_reference_items() -> None:
    event = response_create(ResponseParams(input=[item_reference("item_1"), user_text_item("x")]))
    assert event["response"]["input"][0] == {"type": "item_reference", "id": "item_1"}
    validate_client_event(event)


def test_empty_response_input_is_sent() -> None:
    assert response_create(ResponseParams(input=()))["response"] == {"input": []}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"conversation": "default"}, "conversation: invalid value 'default'; allowed values are"),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "at most 16 pairs allowed, got 17"),
        ({"metadata": {"k" * 65: "v"}}, "metadata key: at most 64 characters"),
        ({"metadata": {"k": "v" * 513}}, "at most 512 characters"),
        ({"metadata": {"k": 1}}, "expected a string"),
        ({"metadata": ["k"]}, "metadata: expected a mapping"),
        ({"output_modalities": ["audio", "text"]}, "exactly one modality"),
        ({"max_output_tokens": 0}, "max_output_tokens"),
        ({"tools": [WEATHER], "tool_choice": "other_fn"}, "forces function 'other_fn'"),
        ({"input": user_text_item("x")}, "input: expected a list of items"),
        ({"input": [{"type": "item_reference"}]}, r"input\[0\]\.id: expected a string"),
        ({"voice": "robot"}, "voice: invalid voice 'robot'"),
        ({"instructions": None}, "instructions: null is not allowed"),
    ],
)
def test_response_params_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ResponseParams(**kwargs)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"modalities": ["text"]}, "'modalities' \\(beta name; use 'output_modalities'\\)"),
        ({"temperature": 0.8}, "removed in the GA protocol"),
        ({"output_modality": "text"}, "unknown key"),
    ],
)
def test_response_create_mapping_rejects_unknown_keys(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        response_create(data)


def test_response_create_rejects_other_types() -> None:
    with pytest.raises(ConfigError, match="response: expected ResponseParams"):
        response_create("text")  # type: ignore[arg-type]


def test_response_cancel() -> None:
    assert response_cancel() == {"type": "response.cancel"}
    assert response_cancel("resp_1") == {"type": "response.cancel", "response_id": "resp_1"}
    with pytest.raises(ConfigError, match="response_id: must not be empty"):
        response_cancel("")


# --- session.update ------------------------------------------------------------------------------


def test_session_update_from_mapping_and_settings_agree() -> None:
    data = {"model": "gpt-realtime", "output_modalities": "text", "turn_detection": None}
    by_mapping = session_update(data)
    assert by_mapping == session_update(SessionModelSettings(**data))
    assert by_mapping["session"] == {
        "type": "realtime",
        "model": "gpt-realtime",
        "output_modalities": ["text"],
        "audio": {"input": {"turn_detection": None}},
    }
    assert "model" not in session_update(data, include_model=False)["session"]


def test_session_update_rejects_bad_input() -> None:
    with pytest.raises(ConfigError, match="unknown key\\(s\\) 'modalities'"):
        session_update({"modalities": ["text", "audio"]})
    with pytest.raises(ConfigError, match="settings: expected SessionModelSettings"):
        session_update("gpt-realtime")  # type: ignore[arg-type]


def test_session_update_raw_passes_ga_fields_through() -> None:
    session = {
        "type": "realtime",
        "truncation": {"type": "retention_ratio", "retention_ratio": 0.5},
        "reasoning": {"effort": "low"},
        "include": ["item.input_audio_transcription.logprobs"],
    }
    event = session_update_raw(session, event_id="e")
    assert event == {"type": "session.update", "event_id": "e", "session": session}
    assert event["session"] is not session
    validate_client_event(event)


@pytest.mark.parametrize(
    ("session", "message"),
    [
        ({"instructions": "x"}, "session.type: required"),
        ({"type": "realtime", "modalities": ["text"]}, "beta-only key\\(s\\) \\['modalities'\\]"),
        ({"type": "realtime", "voice": "alloy"}, "beta-only key"),
        ("realtime", "session: expected a mapping"),
    ],
)
def test_session_update_raw_rejects_non_ga_sessions(session: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        session_update_raw(session)  # type: ignore[arg-type]


# --- the openai_schema helper itself -------------------------------------------------------------


def test_schema_helper_flags_unknown_and_invalid_client_fields() -> None:
    typo = session_update({"voice": "alloy"})
    typo["session"]["audio"]["output"]["voic"] = "marin"
    assert client_event_problems(typo) == ["unknown field $.session.audio.output.voic"]
    with pytest.raises(AssertionError, match=r"RealtimeSessionCreateRequest\.type: Field required"):
        validate_client_event({"type": "session.update", "session": {"modalities": ["text"]}})
    with pytest.raises(AssertionError, match="does not match any of the expected tags"):
        validate_client_event({"type": "input_audio_buffer.appnd", "audio": "AA=="})
    bad_ref = {"type": "response.create", "response": {"input": [{"type": "item_reference"}]}}
    assert client_event_problems(bad_ref) != []
    assert client_event_problems(["not", "an", "object"]) != []


def test_schema_helper_allowlists_only_known_server_extras() -> None:
    delta = {
        "type": "response.output_text.delta",
        "event_id": "event_1",
        "response_id": "resp_1",
        "item_id": "item_1",
        "output_index": 0,
        "content_index": 0,
        "delta": "Hi",
        "obfuscation": "LBqdwEYsSEHbF",
    }
    validate_server_event(delta)
    done = {**delta, "type": "response.output_text.done", "text": "Hi"}
    del done["delta"]
    assert server_event_problems(done) == ["unknown field $.obfuscation"]
    created = {
        "type": "session.created",
        "event_id": "event_2",
        "session": {"type": "realtime", "object": "realtime.session", "id": "sess_1",
                    "expires_at": 1756310470},
    }
    validate_server_event(created)
    created["session"]["secret"] = "x"
    with pytest.raises(AssertionError, match=r"unknown field \$\.session\.secret"):
        validate_server_event(created)
