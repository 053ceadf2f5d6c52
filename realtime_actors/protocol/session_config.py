"""Session settings serialised to the GA ``session`` object of ``session.update``.

Every field of :class:`SessionModelSettings` defaults to :data:`UNSET` ("not sent"). ``None`` means
"send JSON null" and is accepted only where the protocol allows null (``turn_detection``,
``noise_reduction``, ``transcription``, ``tracing``). Strings are accepted wherever an enum is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from realtime_actors.errors import ConfigError
from realtime_actors.protocol.audio_config import (
    AudioFormat,
    AudioFormatInput,
    CustomVoice,
    NoiseReductionConfig,
    NoiseReductionInput,
    NoiseReductionType,
    TranscriptionConfig,
    Voice,
    voice_to_wire,
)
from realtime_actors.protocol.config_checks import (
    UNSET,
    Unset,
    UnsetType,
    check_float,
    check_str,
    nullable,
    reject_unknown_keys,
    settable,
)
from realtime_actors.protocol.settings_fields import (
    Modality,
    convert_instructions,
    convert_max_output_tokens,
    convert_output_audio_format,
    convert_output_modalities,
    convert_tool_choice,
    convert_tools,
    convert_voice,
    parse_max_output_tokens,
    parse_modalities,
)
from realtime_actors.protocol.tool_config import (
    FunctionToolChoice,
    McpTool,
    McpToolChoice,
    Tool,
    ToolChoice,
    ToolChoiceMode,
    ToolDefinition,
    Tracing,
    TracingConfig,
    TracingInput,
    check_forced_function,
    parse_tracing,
    tool_choice_to_wire,
    tool_to_wire,
    tracing_to_wire,
)
from realtime_actors.protocol.turn_detection import (
    Eagerness,
    TurnDetectionConfig,
    TurnDetectionType,
)

__all__ = [
    "UNSET",
    "AudioFormat",
    "CustomVoice",
    "Eagerness",
    "FunctionToolChoice",
    "McpTool",
    "McpToolChoice",
    "Modality",
    "NoiseReductionConfig",
    "NoiseReductionType",
    "SessionModelSettings",
    "ToolChoiceMode",
    "ToolDefinition",
    "TracingConfig",
    "TranscriptionConfig",
    "TurnDetectionConfig",
    "TurnDetectionType",
    "Unset",
    "UnsetType",
    "Voice",
    "parse_max_output_tokens",
    "parse_modalities",
]

SPEED_MIN = 0.25
"""Slowest allowed ``speed``."""
SPEED_MAX = 1.5
"""Fastest allowed ``speed``."""


# The converters' parameter types are what SessionModelSettings' __init__ accepts (the attrs mypy
# plugin reads them); the checks they call still refuse anything else at run time.
def _model(value: str | Unset) -> str | Unset:
    return settable(value, lambda v: check_str(v, "model"), "model")


def _speed(value: float | Unset) -> float | Unset:
    return settable(value, lambda v: check_float(v, "speed", lo=SPEED_MIN, hi=SPEED_MAX), "speed")


def _input_audio_format(value: AudioFormatInput | Unset) -> AudioFormat | Unset:
    return settable(
        value, lambda v: AudioFormat.parse(v, "input_audio_format"), "input_audio_format"
    )


def _transcription(
    value: TranscriptionConfig | Mapping[str, Any] | Unset | None,
) -> TranscriptionConfig | Unset | None:
    return nullable(value, TranscriptionConfig.parse)


def _noise_reduction(
    value: NoiseReductionInput | Unset | None,
) -> NoiseReductionConfig | Unset | None:
    return nullable(value, NoiseReductionConfig.parse)


def _turn_detection(
    value: TurnDetectionConfig | Mapping[str, Any] | Unset | None,
) -> TurnDetectionConfig | Unset | None:
    return nullable(value, _parse_turn_detection)


def _tracing(value: TracingInput | Unset | None) -> Tracing | Unset | None:
    return nullable(value, parse_tracing)


def _parse_turn_detection(value: object) -> TurnDetectionConfig:
    if isinstance(value, TurnDetectionConfig):
        return value
    if isinstance(value, Mapping):
        return TurnDetectionConfig.from_mapping(value)
    raise ConfigError(
        f"turn_detection: expected a TurnDetectionConfig, a mapping or None, "
        f"got {type(value).__name__}"
    )


_BETA_HINTS = {
    "modalities": "beta name; use 'output_modalities'",
    "model_name": "use 'model'",
    "input_audio_transcription": "beta name; use 'transcription'",
    "input_audio_noise_reduction": "beta name; use 'noise_reduction'",
    "max_response_output_tokens": "beta name; use 'max_output_tokens'",
    "temperature": "removed in the GA protocol",
    "type": "always 'realtime'; added by to_session()",
    "audio": "use the flat fields voice, speed, input_audio_format, ...",
}


@attrs.frozen(kw_only=True)
class SessionModelSettings:
    """Settings of a GA realtime session. Unset fields are not sent; see the module docstring."""

    model: str | Unset = attrs.field(default=UNSET, converter=_model)
    """Realtime model, e.g. ``gpt-realtime`` (cannot change after the session starts)."""
    instructions: str | Unset = attrs.field(default=UNSET, converter=convert_instructions)
    """System instructions; ``""`` clears them."""
    output_modalities: tuple[Modality, ...] | Unset = attrs.field(
        default=UNSET, converter=convert_output_modalities
    )
    """``("audio",)`` or ``("text",)``; a bare string is accepted."""
    voice: Voice | CustomVoice | Unset = attrs.field(default=UNSET, converter=convert_voice)
    """Built-in voice, ``voice_...`` id string or :class:`CustomVoice`."""
    speed: float | Unset = attrs.field(default=UNSET, converter=_speed)
    """Playback speed 0.25-1.5 (changes only between turns)."""
    input_audio_format: AudioFormat | Unset = attrs.field(
        default=UNSET, converter=_input_audio_format
    )
    """Encoding of the audio the client sends."""
    output_audio_format: AudioFormat | Unset = attrs.field(
        default=UNSET, converter=convert_output_audio_format
    )
    """Encoding of the audio the server sends."""
    transcription: TranscriptionConfig | Unset | None = attrs.field(
        default=UNSET, converter=_transcription
    )
    """Input transcription; ``None`` turns it off."""
    noise_reduction: NoiseReductionConfig | Unset | None = attrs.field(
        default=UNSET, converter=_noise_reduction
    )
    """Input noise reduction; ``None`` turns it off."""
    turn_detection: TurnDetectionConfig | Unset | None = attrs.field(
        default=UNSET, converter=_turn_detection
    )
    """Turn detection; ``None`` turns it off (the client then commits and creates responses)."""
    tools: tuple[Tool, ...] | Unset = attrs.field(default=UNSET, converter=convert_tools)
    """Tools available to the model; ``()`` clears them."""
    tool_choice: ToolChoice | Unset = attrs.field(default=UNSET, converter=convert_tool_choice)
    """``none``/``auto``/``required``, a function name, or a forced function/MCP choice."""
    max_output_tokens: int | Literal["inf"] | Unset = attrs.field(
        default=UNSET, converter=convert_max_output_tokens
    )
    """Output token cap per response: 1-4096 or ``"inf"``."""
    tracing: Tracing | Unset | None = attrs.field(default=UNSET, converter=_tracing)
    """``"auto"``, a :class:`TracingConfig`, or ``None`` to disable tracing."""

    def __attrs_post_init__(self) -> None:
        check_forced_function(self.tool_choice, self.tools)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """Names of all settings fields, in declaration order."""
        return tuple(f.name for f in attrs.fields(cls))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> SessionModelSettings:
        """Build from a mapping keyed by field name; unknown keys raise :class:`ConfigError`.

        A value of ``None`` means "send null" and is refused for non-nullable fields.
        """
        reject_unknown_keys(
            data, frozenset(cls.field_names()), "SessionModelSettings", _BETA_HINTS
        )
        return cls(**data)

    def set_fields(self) -> dict[str, Any]:
        """The fields that are not :data:`UNSET`, by name."""
        return {
            name: getattr(self, name)
            for name in self.field_names()
            if getattr(self, name) is not UNSET
        }

    def merge(self, overrides: SessionModelSettings) -> SessionModelSettings:
        """A copy where every field set in ``overrides`` (including ``None``) replaces ours.

        Nested configs and the tools tuple are replaced whole, never merged item by item.
        """
        if not isinstance(overrides, SessionModelSettings):
            raise ConfigError(
                f"merge: expected SessionModelSettings, got {type(overrides).__name__}"
            )
        return attrs.evolve(self, **overrides.set_fields())

    def to_session(self, *, include_model: bool = True) -> dict[str, Any]:
        """The GA ``session`` object: ``type: "realtime"`` plus every set field.

        ``audio.input`` / ``audio.output`` appear only when one of their fields is set. Pass
        ``include_model=False`` for updates after connect (the model cannot change mid-session).
        """
        session: dict[str, Any] = {"type": "realtime"}
        if include_model and self.model is not UNSET:
            session["model"] = self.model
        if self.instructions is not UNSET:
            session["instructions"] = self.instructions
        if self.output_modalities is not UNSET:
            session["output_modalities"] = [m.value for m in self.output_modalities]
        audio = self._audio_wire()
        if audio:
            session["audio"] = audio
        if self.tools is not UNSET:
            session["tools"] = [tool_to_wire(tool) for tool in self.tools]
        if self.tool_choice is not UNSET:
            session["tool_choice"] = tool_choice_to_wire(self.tool_choice)
        if self.max_output_tokens is not UNSET:
            session["max_output_tokens"] = self.max_output_tokens
        if self.tracing is not UNSET:
            session["tracing"] = None if self.tracing is None else tracing_to_wire(self.tracing)
        return session

    def _audio_wire(self) -> dict[str, Any]:
        audio_in: dict[str, Any] = {}
        if self.input_audio_format is not UNSET:
            audio_in["format"] = self.input_audio_format.to_wire()
        for name in ("transcription", "noise_reduction", "turn_detection"):
            value = getattr(self, name)
            if value is not UNSET:
                audio_in[name] = None if value is None else value.to_wire()
        audio_out: dict[str, Any] = {}
        if self.output_audio_format is not UNSET:
            audio_out["format"] = self.output_audio_format.to_wire()
        if self.voice is not UNSET:
            audio_out["voice"] = voice_to_wire(self.voice)
        if self.speed is not UNSET:
            audio_out["speed"] = self.speed
        audio: dict[str, Any] = {}
        if audio_in:
            audio["input"] = audio_in
        if audio_out:
            audio["output"] = audio_out
        return audio
