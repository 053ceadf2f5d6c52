"""Session configuration classes: validation, GA serialisation, UNSET vs None, merge."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from realtime_actors.errors import ConfigError
from realtime_actors.protocol.client_events import session_update
from realtime_actors.protocol.session_config import (
    UNSET,
    AudioFormat,
    CustomVoice,
    Eagerness,
    FunctionToolChoice,
    McpTool,
    McpToolChoice,
    Modality,
    NoiseReductionConfig,
    NoiseReductionType,
    SessionModelSettings,
    ToolChoiceMode,
    ToolDefinition,
    TracingConfig,
    TranscriptionConfig,
    TurnDetectionConfig,
    TurnDetectionType,
    Voice,
)
from tests.protocol.openai_schema import client_event_problems, validate_client_event

WEATHER = ToolDefinition(
    name="get_weather",
    description="Weather for a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
)
BETA_SESSION_KEYS = {
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


def full_settings() -> SessionModelSettings:
    """Settings with every field set."""
    return SessionModelSettings(
        model="gpt-realtime",
        instructions="Be brief.",
        output_modalities=("audio",),
        voice="marin",
        speed=1.25,
        input_audio_format="pcm16",
        output_audio_format="audio/pcmu",
        transcription=TranscriptionConfig(model="whisper-1", language="en", prompt="tech words"),
        noise_reduction="far_field",
        turn_detection=TurnDetectionConfig.server_vad(
            threshold=0.6,
            prefix_padding_ms=300,
            silence_duration_ms=200,
            idle_timeout_ms=6000,
            create_response=False,
            interrupt_response=True,
        ),
        tools=[WEATHER, {"type": "mcp", "server_label": "docs", "server_url": "https://x.test"}],
        tool_choice="get_weather",
        max_output_tokens=4096,
        tracing=TracingConfig(workflow_name="wf", group_id="g1", metadata={"k": "v"}),
    )


def check_ga(session: dict[str, Any]) -> None:
    """The session validates as a GA session.update and carries no beta key."""
    validate_client_event({"type": "session.update", "session": session})
    assert session["type"] == "realtime"
    assert not BETA_SESSION_KEYS & session.keys()


# --- TurnDetectionConfig -------------------------------------------------------------------------


def test_server_vad_serialises_every_set_field() -> None:
    cfg = TurnDetectionConfig(
        type="server_vad",
        threshold=0.5,
        prefix_padding_ms=300,
        silence_duration_ms=500,
        idle_timeout_ms=5000,
        create_response=True,
        interrupt_response=False,
    )
    assert cfg.to_wire() == {
        "type": "server_vad",
        "threshold": 0.5,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 500,
        "idle_timeout_ms": 5000,
        "create_response": True,
        "interrupt_response": False,
    }
    check_ga(SessionModelSettings(turn_detection=cfg).to_session())


@pytest.mark.parametrize("eagerness", ["low", "medium", "high", "auto", Eagerness.HIGH])
def test_semantic_vad_accepts_strings_and_enums(eagerness: object) -> None:
    cfg = TurnDetectionConfig(type="semantic_vad", eagerness=eagerness, create_response=True)
    assert cfg.type is TurnDetectionType.SEMANTIC_VAD
    assert isinstance(cfg.eagerness, Eagerness)
    wire = cfg.to_wire()
    assert wire == {"type": "semantic_vad", "eagerness": str(eagerness), "create_response": True}
    assert type(wire["eagerness"]) is str
    check_ga(SessionModelSettings(turn_detection=cfg).to_session())


def test_turn_detection_sends_only_set_fields() -> None:
    assert TurnDetectionConfig(type=TurnDetectionType.SERVER_VAD).to_wire() == {
        "type": "server_vad"
    }
    assert TurnDetectionConfig.semantic_vad().to_wire() == {"type": "semantic_vad"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"type": "vad"}, "turn_detection.type: invalid value 'vad'; allowed values are"),
        ({"type": "semantic_vad", "eagerness": "eager"}, "'low', 'medium', 'high', 'auto'"),
        ({"type": "server_vad", "eagerness": "low"}, "only valid with type 'semantic_vad'"),
        ({"type": "semantic_vad", "threshold": 0.5}, "threshold: only valid with type 'server"),
        ({"type": "semantic_vad", "prefix_padding_ms": 10}, "prefix_padding_ms: only valid"),
        ({"type": "semantic_vad", "silence_duration_ms": 10}, "silence_duration_ms: only valid"),
        ({"type": "semantic_vad", "idle_timeout_ms": 6000}, "idle_timeout_ms: only valid"),
        ({"type": "server_vad", "threshold": 1.01}, "threshold: must be between 0.0 and 1.0"),
        ({"type": "server_vad", "threshold": -0.1}, "threshold: must be between 0.0 and 1.0"),
        ({"type": "server_vad", "threshold": math.nan}, "threshold: expected a finite number"),
        ({"type": "server_vad", "threshold": True}, "threshold: expected a number"),
        ({"type": "server_vad", "idle_timeout_ms": 4999}, "between 5000 and 30000"),
        ({"type": "server_vad", "idle_timeout_ms": 30001}, "between 5000 and 30000"),
        ({"type": "server_vad", "prefix_padding_ms": -1}, "prefix_padding_ms: must be >= 0"),
        ({"type": "server_vad", "silence_duration_ms": 1.5}, "expected an integer"),
        ({"type": "server_vad", "create_response": 1}, "create_response: expected true or false"),
        ({"type": "server_vad", "interrupt_response": "no"}, "interrupt_response: expected"),
    ],
)
def test_turn_detection_rejects_bad_values(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        TurnDetectionConfig(**kwargs)


def test_turn_detection_accepts_range_bounds() -> None:
    assert TurnDetectionConfig.server_vad(threshold=0, idle_timeout_ms=30000).threshold == 0.0
    assert TurnDetectionConfig.server_vad(threshold=1, idle_timeout_ms=5000).idle_timeout_ms == 5000


def test_turn_detection_from_mapping() -> None:
    cfg = TurnDetectionConfig.from_mapping({"type": "semantic_vad", "eagerness": "low"})
    assert cfg == TurnDetectionConfig.semantic_vad(eagerness=Eagerness.LOW)
    with pytest.raises(ConfigError, match="unknown key"):
        TurnDetectionConfig.from_mapping({"type": "server_vad", "treshold": 0.5})
    with pytest.raises(ConfigError, match=r"turn_detection\.type: required"):
        TurnDetectionConfig.from_mapping({"threshold": 0.5})


# --- audio formats, voices, transcription, noise reduction ---------------------------------------


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ("pcm16", {"type": "audio/pcm", "rate": 24000}),
        ("audio/pcm", {"type": "audio/pcm", "rate": 24000}),
        ({"type": "audio/pcm", "rate": 24000}, {"type": "audio/pcm", "rate": 24000}),
        ({"type": "audio/pcm"}, {"type": "audio/pcm", "rate": 24000}),
        ("g711_ulaw", {"type": "audio/pcmu"}),
        ("audio/pcmu", {"type": "audio/pcmu"}),
        ("g711_alaw", {"type": "audio/pcma"}),
        ({"type": "audio/pcma"}, {"type": "audio/pcma"}),
        (AudioFormat.G711_ALAW, {"type": "audio/pcma"}),
    ],
)
def test_audio_formats_map_to_ga_objects(value: object, wire: dict[str, Any]) -> None:
    settings = SessionModelSettings(input_audio_format=value, output_audio_format=value)
    session = settings.to_session()
    assert session["audio"] == {"input": {"format": wire}, "output": {"format": wire}}
    check_ga(session)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("pcm24", "input_audio_format: invalid audio format 'pcm24'; allowed values are 'pcm16'"),
        ({"type": "audio/pcm", "rate": 16000}, "rate: only 24000 is supported"),
        ({"type": "audio/pcmu", "rate": 8000}, "rate: not allowed"),
        ({"type": "pcm16"}, "type: invalid value 'pcm16'"),
        ({"type": "audio/pcm", "bits": 16}, "unknown key"),
        (16, "expected an AudioFormat"),
    ],
)
def test_audio_format_errors(value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SessionModelSettings(input_audio_format=value)


def test_audio_format_sample_rates() -> None:
    assert AudioFormat.PCM16.sample_rate == 24000
    assert AudioFormat.G711_ULAW.sample_rate == 8000
    assert AudioFormat.parse("audio/pcma") is AudioFormat.G711_ALAW


@pytest.mark.parametrize("voice", [v.value for v in Voice])
def test_every_builtin_voice_is_valid_ga(voice: str) -> None:
    session = SessionModelSettings(voice=voice).to_session()
    assert session["audio"] == {"output": {"voice": voice}}
    check_ga(session)


@pytest.mark.parametrize(
    "value", ["voice_1234", {"id": "voice_1234"}, CustomVoice(id="voice_1234")]
)
def test_custom_voice_is_sent_as_id_object(value: object) -> None:
    settings = SessionModelSettings(voice=value)
    assert settings.voice == CustomVoice(id="voice_1234")
    session = settings.to_session()
    assert session["audio"]["output"]["voice"] == {"id": "voice_1234"}
    check_ga(session)


@pytest.mark.parametrize("value", ["bob", "voice_", "Alloy", {"name": "x"}, {"id": ""}, 3])
def test_invalid_voice_lists_allowed_values(value: object) -> None:
    with pytest.raises(ConfigError, match="voice"):
        SessionModelSettings(voice=value)


def test_invalid_voice_message_names_builtins() -> None:
    with pytest.raises(ConfigError, match=r"'alloy', 'ash'.*'cedar'.*'voice_'"):
        SessionModelSettings(voice="bob")


def test_transcription_defaults_and_options() -> None:
    assert TranscriptionConfig().to_wire() == {"model": "gpt-4o-transcribe"}
    cfg = TranscriptionConfig(model="my-future-model", language="de", prompt="")
    assert cfg.to_wire() == {"model": "my-future-model", "language": "de", "prompt": ""}
    check_ga(SessionModelSettings(transcription=cfg).to_session())
    parsed = SessionModelSettings(transcription={"model": "whisper-1"}).transcription
    assert parsed == TranscriptionConfig(model="whisper-1")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": ""}, "transcription.model: must not be empty"),
        ({"model": 1}, "transcription.model: expected a string"),
        ({"language": ""}, "transcription.language: must not be empty"),
        ({"prompt": 5}, "transcription.prompt: expected a string"),
    ],
)
def test_transcription_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TranscriptionConfig(**kwargs)


def test_transcription_mapping_rejects_unknown_keys() -> None:
    with pytest.raises(ConfigError, match="transcription: unknown key"):
        SessionModelSettings(transcription={"model": "whisper-1", "lang": "en"})


@pytest.mark.parametrize(
    "value", ["near_field", NoiseReductionType.NEAR_FIELD, {"type": "near_field"}]
)
def test_noise_reduction_inputs(value: object) -> None:
    settings = SessionModelSettings(noise_reduction=value)
    assert settings.noise_reduction == NoiseReductionConfig(type="near_field")
    session = settings.to_session()
    assert session["audio"] == {"input": {"noise_reduction": {"type": "near_field"}}}
    check_ga(session)


def test_noise_reduction_rejects_unknown_type() -> None:
    with pytest.raises(ConfigError, match="'near_field', 'far_field'"):
        NoiseReductionConfig(type="mid_field")


# --- tools, tool choice, tracing -----------------------------------------------------------------


def test_tool_definition_wire_and_defaults() -> None:
    assert ToolDefinition(name="ping").to_wire() == {
        "type": "function",
        "name": "ping",
        "parameters": {"type": "object", "properties": {}},
    }
    assert WEATHER.to_wire()["description"] == "Weather for a city"


def test_tool_definition_deep_copies_parameters() -> None:
    schema: dict[str, Any] = {"type": "object", "properties": {"a": {"type": "string"}}}
    tool = ToolDefinition(name="t", parameters=schema)
    schema["properties"]["a"]["type"] = "integer"
    wire = tool.to_wire()
    assert wire["parameters"]["properties"]["a"]["type"] == "string"
    wire["parameters"]["properties"].clear()
    assert tool.parameters["properties"] == {"a": {"type": "string"}}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "tool.name: must not be empty"),
        ({"name": "get weather"}, "invalid function name 'get weather'"),
        ({"name": "x" * 65}, "invalid function name"),
        ({"name": "t", "parameters": {"type": "string"}}, "must have type 'object'"),
        ({"name": "t", "parameters": {"default": object()}}, "JSON-serialisable"),
        ({"name": "t", "parameters": [1]}, "tool.parameters: expected a mapping"),
        ({"name": "t", "description": 3}, "tool.description: expected a string"),
    ],
)
def test_tool_definition_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ToolDefinition(**kwargs)


def test_tools_accept_mappings_and_objects_with_to_definition() -> None:
    class FunctionToolLike:
        def to_definition(self) -> dict[str, Any]:
            return {"type": "function", "name": "lookup", "description": "Look up"}

    settings = SessionModelSettings(
        tools=[FunctionToolLike(), {"name": "ping"}, WEATHER], tool_choice="required"
    )
    assert settings.tools == (
        ToolDefinition(name="lookup", description="Look up"),
        ToolDefinition(name="ping"),
        WEATHER,
    )
    check_ga(settings.to_session())


def test_mcp_tool_keeps_credentials_out_of_repr() -> None:
    mcp = {
        "type": "mcp",
        "server_label": "docs",
        "server_url": "https://mcp.test",
        "authorization": "tok-SECRET-1",
        "headers": {"X-Api-Key": "SECRET-2"},
        "require_approval": "never",
    }
    settings = SessionModelSettings(tools=[mcp])
    assert settings.tools == (McpTool(server_label="docs", raw=mcp),)
    assert "SECRET" not in repr(settings)
    assert "docs" in repr(settings)
    session = settings.to_session()
    assert session["tools"] == [mcp]
    check_ga(session)


@pytest.mark.parametrize(
    ("tools", "message"),
    [
        ([WEATHER, {"name": "get_weather"}], "duplicate function tool name"),
        ([{"type": "web_search"}], r"tools\[0\]\.type: invalid value 'web_search'"),
        ([{"type": "mcp"}], r"tools\[0\]\.server_label: expected a string"),
        ([{"name": "t", "strict": True}], "tool: unknown key"),
        ([{"type": "function"}], "tool.name: required"),
        ([42], "expected a ToolDefinition"),
        ("get_weather", "expected a list of tools"),
    ],
)
def test_tools_errors(tools: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SessionModelSettings(tools=tools)


@pytest.mark.parametrize(
    ("value", "parsed", "wire"),
    [
        ("auto", ToolChoiceMode.AUTO, "auto"),
        ("none", ToolChoiceMode.NONE, "none"),
        (ToolChoiceMode.REQUIRED, ToolChoiceMode.REQUIRED, "required"),
        (
            "get_weather",
            FunctionToolChoice(name="get_weather"),
            {"type": "function", "name": "get_weather"},
        ),
        (
            {"type": "function", "name": "get_weather"},
            FunctionToolChoice(name="get_weather"),
            {"type": "function", "name": "get_weather"},
        ),
        (
            {"type": "mcp", "server_label": "docs", "name": "search"},
            McpToolChoice(server_label="docs", name="search"),
            {"type": "mcp", "server_label": "docs", "name": "search"},
        ),
    ],
)
def test_tool_choice_inputs(value: object, parsed: object, wire: object) -> None:
    settings = SessionModelSettings(tools=[WEATHER], tool_choice=value)
    assert settings.tool_choice == parsed
    session = settings.to_session()
    assert session["tool_choice"] == wire
    check_ga(session)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("auto please", "tool_choice: invalid value 'auto please'; expected one of 'none'"),
        ({"type": "file_search"}, "tool_choice.type: invalid value 'file_search'"),
        ({"type": "function"}, "tool_choice.name: expected a string"),
        ({"type": "function", "name": "f", "x": 1}, "unknown key"),
        (["auto"], "expected a mode string"),
    ],
)
def test_tool_choice_errors(value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SessionModelSettings(tool_choice=value)


def test_forced_function_must_be_among_the_tools() -> None:
    with pytest.raises(ConfigError, match=r"forces function 'get_wether'.*get_weather"):
        SessionModelSettings(tools=[WEATHER], tool_choice="get_wether")
    # Without tools in the same settings the name cannot be checked and is accepted.
    assert SessionModelSettings(tool_choice="get_wether").tool_choice == FunctionToolChoice(
        name="get_wether"
    )


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ("auto", "auto"),
        (None, None),
        (TracingConfig(), {}),
        (
            {"workflow_name": "wf", "metadata": {"a": [1, 2]}},
            {"workflow_name": "wf", "metadata": {"a": [1, 2]}},
        ),
    ],
)
def test_tracing_inputs(value: object, wire: object) -> None:
    session = SessionModelSettings(tracing=value).to_session()
    assert session == {"type": "realtime", "tracing": wire}
    check_ga(session)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("on", "tracing: expected 'auto'"),
        ({"workflow": "wf"}, "tracing: unknown key"),
        ({"metadata": {"t": {1, 2}}}, "tracing.metadata: must be JSON-serialisable"),
        ({"group_id": ""}, "tracing.group_id: must not be empty"),
    ],
)
def test_tracing_errors(value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SessionModelSettings(tracing=value)


# --- scalar fields -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("audio", ["audio"]),
        ("text", ["text"]),
        (["text"], ["text"]),
        ((Modality.AUDIO,), ["audio"]),
    ],
)
def test_output_modalities_accept_strings_and_enums(value: object, expected: list[str]) -> None:
    session = SessionModelSettings(output_modalities=value).to_session()
    assert session["output_modalities"] == expected
    check_ga(session)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["text", "audio"], "exactly one modality is allowed"),
        ([], "exactly one modality is allowed"),
        (["video"], r"output_modalities\[\]: invalid value 'video'; allowed values are 'audio'"),
        (5, "expected 'audio', 'text'"),
    ],
)
def test_output_modalities_errors(value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SessionModelSettings(output_modalities=value)


@pytest.mark.parametrize("value", [1, 4096, "inf"])
def test_max_output_tokens_valid(value: object) -> None:
    session = SessionModelSettings(max_output_tokens=value).to_session()
    assert session["max_output_tokens"] == value
    check_ga(session)


@pytest.mark.parametrize("value", [0, 4097, "INF", "100", True, 1.5])
def test_max_output_tokens_invalid(value: object) -> None:
    with pytest.raises(ConfigError, match="max_output_tokens"):
        SessionModelSettings(max_output_tokens=value)


@pytest.mark.parametrize("value", [0.25, 1, 1.5])
def test_speed_valid(value: float) -> None:
    session = SessionModelSettings(speed=value).to_session()
    assert session["audio"] == {"output": {"speed": float(value)}}
    check_ga(session)


@pytest.mark.parametrize("value", [0.24, 1.51, "fast", math.inf])
def test_speed_invalid(value: object) -> None:
    with pytest.raises(ConfigError, match="speed"):
        SessionModelSettings(speed=value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": ""}, "model: must not be empty"),
        ({"model": 4}, "model: expected a string"),
        ({"instructions": b"x"}, "instructions: expected a string"),
    ],
)
def test_string_field_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SessionModelSettings(**kwargs)


# --- UNSET vs None, shape of the session ---------------------------------------------------------


def test_default_settings_send_only_the_type() -> None:
    settings = SessionModelSettings()
    assert settings.model is UNSET
    assert settings.set_fields() == {}
    assert settings.to_session() == {"type": "realtime"}
    assert repr(UNSET) == "UNSET"
    assert not UNSET


def test_none_sends_null_for_nullable_fields() -> None:
    settings = SessionModelSettings(
        turn_detection=None, noise_reduction=None, transcription=None, tracing=None
    )
    session = settings.to_session()
    assert session == {
        "type": "realtime",
        "audio": {
            "input": {"transcription": None, "noise_reduction": None, "turn_detection": None}
        },
        "tracing": None,
    }
    check_ga(session)


@pytest.mark.parametrize(
    "name",
    [
        "model",
        "instructions",
        "output_modalities",
        "voice",
        "speed",
        "input_audio_format",
        "output_audio_format",
        "tools",
        "tool_choice",
        "max_output_tokens",
    ],
)
def test_none_is_refused_for_non_nullable_fields(name: str) -> None:
    with pytest.raises(ConfigError, match=f"{name}: null is not allowed"):
        SessionModelSettings(**{name: None})


def test_empty_instructions_and_tools_clear_them() -> None:
    session = SessionModelSettings(instructions="", tools=()).to_session()
    assert session == {"type": "realtime", "instructions": "", "tools": []}
    check_ga(session)


def test_audio_sections_appear_only_when_set() -> None:
    only_in = SessionModelSettings(input_audio_format="pcm16").to_session()
    assert "output" not in only_in["audio"]
    only_out = SessionModelSettings(voice="cedar").to_session()
    assert "input" not in only_out["audio"]
    assert "audio" not in SessionModelSettings(instructions="x").to_session()


def test_full_settings_serialise_to_valid_ga_session() -> None:
    session = full_settings().to_session()
    assert session["audio"] == {
        "input": {
            "format": {"type": "audio/pcm", "rate": 24000},
            "transcription": {"model": "whisper-1", "language": "en", "prompt": "tech words"},
            "noise_reduction": {"type": "far_field"},
            "turn_detection": {
                "type": "server_vad",
                "create_response": False,
                "interrupt_response": True,
                "threshold": 0.6,
                "prefix_padding_ms": 300,
                "silence_duration_ms": 200,
                "idle_timeout_ms": 6000,
            },
        },
        "output": {"format": {"type": "audio/pcmu"}, "voice": "marin", "speed": 1.25},
    }
    assert session["tools"][1] == {
        "type": "mcp",
        "server_label": "docs",
        "server_url": "https://x.test",
    }
    assert session["tracing"] == {"workflow_name": "wf", "group_id": "g1", "metadata": {"k": "v"}}
    check_ga(session)
    assert client_event_problems(session_update(full_settings(), event_id="evt_1")) == []


def test_include_model_false_leaves_model_out() -> None:
    session = full_settings().to_session(include_model=False)
    assert "model" not in session
    assert full_settings().to_session()["model"] == "gpt-realtime"


def test_wire_values_are_plain_json_types() -> None:
    session = full_settings().to_session()
    assert type(session["output_modalities"][0]) is str
    assert type(session["audio"]["output"]["voice"]) is str
    assert type(session["audio"]["input"]["noise_reduction"]["type"]) is str
    assert type(session["tool_choice"]["name"]) is str


# --- merge ---------------------------------------------------------------------------------------


def test_merge_overrides_win_and_unset_keeps_base() -> None:
    base = SessionModelSettings(model="gpt-realtime", instructions="base", voice="alloy", speed=1.0)
    merged = base.merge(SessionModelSettings(instructions="override", speed=0.5))
    assert merged.model == "gpt-realtime"
    assert merged.instructions == "override"
    assert merged.voice is Voice.ALLOY
    assert merged.speed == 0.5
    assert base.instructions == "base"  # the original is untouched


def test_merge_none_overrides_a_set_value() -> None:
    base = SessionModelSettings(turn_detection=TurnDetectionConfig.semantic_vad(), tracing="auto")
    merged = base.merge(SessionModelSettings(turn_detection=None))
    assert merged.turn_detection is None
    assert merged.tracing == "auto"
    assert merged.to_session()["audio"]["input"]["turn_detection"] is None


def test_merge_replaces_nested_configs_and_tools_whole() -> None:
    base = SessionModelSettings(
        tools=[WEATHER],
        turn_detection=TurnDetectionConfig.server_vad(threshold=0.9, create_response=True),
    )
    override = SessionModelSettings(
        tools=[ToolDefinition(name="ping")],
        turn_detection=TurnDetectionConfig.server_vad(create_response=False),
    )
    merged = base.merge(override)
    assert merged.tools == (ToolDefinition(name="ping"),)
    assert merged.turn_detection == TurnDetectionConfig.server_vad(create_response=False)


def test_merge_keeps_explicit_false_and_empty_values() -> None:
    base = SessionModelSettings(instructions="x", tools=[WEATHER])
    merged = base.merge(SessionModelSettings(instructions="", tools=()))
    assert merged.instructions == ""
    assert merged.tools == ()


def test_merge_revalidates_the_combination() -> None:
    base = SessionModelSettings(tools=[WEATHER])
    with pytest.raises(ConfigError, match="forces function 'transfer'"):
        base.merge(SessionModelSettings(tool_choice="transfer"))


def test_merge_rejects_non_settings() -> None:
    with pytest.raises(ConfigError, match="merge: expected SessionModelSettings, got dict"):
        SessionModelSettings().merge({"voice": "ash"})  # type: ignore[arg-type]


# --- from_mapping --------------------------------------------------------------------------------


def test_from_mapping_matches_keyword_construction() -> None:
    data = {
        "model": "gpt-realtime",
        "output_modalities": ["text"],
        "voice": "ash",
        "turn_detection": {"type": "semantic_vad", "eagerness": "high"},
        "transcription": {"model": "gpt-4o-mini-transcribe"},
        "noise_reduction": None,
        "tools": [WEATHER.to_wire()],
        "tool_choice": {"type": "function", "name": "get_weather"},
    }
    settings = SessionModelSettings.from_mapping(data)
    assert settings == SessionModelSettings(**data)
    assert settings.turn_detection == TurnDetectionConfig.semantic_vad(eagerness="high")
    assert settings.tools == (WEATHER,)
    check_ga(settings.to_session())


@pytest.mark.parametrize(
    ("key", "hint"),
    [
        ("modalities", "use 'output_modalities'"),
        ("temperature", "removed in the GA protocol"),
        ("max_response_output_tokens", "use 'max_output_tokens'"),
        ("input_audio_transcription", "use 'transcription'"),
        ("voise", None),
    ],
)
def test_from_mapping_rejects_unknown_keys_with_hints(key: str, hint: str | None) -> None:
    with pytest.raises(ConfigError, match=f"unknown key\\(s\\) '{key}'") as info:
        SessionModelSettings.from_mapping({key: 1})
    if hint:
        assert hint in str(info.value)
    assert "known keys are" in str(info.value)


def test_from_mapping_rejects_non_mapping() -> None:
    with pytest.raises(ConfigError, match="expected a mapping, got list"):
        SessionModelSettings.from_mapping([("voice", "ash")])  # type: ignore[arg-type]
