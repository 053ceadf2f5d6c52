"""Session settings serialised to the GA ``session`` object of ``session.update``.

Every field of :class:`SessionModelSettings` defaults to :data:`UNSET` ("not sent"). ``None`` means
"send JSON null" and is accepted only where the protocol allows null (``turn_detection``,
``noise_reduction``, ``transcription``, ``tracing``). Strings are accepted wherever an enum is.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from realtime_actors.errors import ConfigError
from realtime_actors.protocol.audio_config import (
    AudioFormat,
    CustomVoice,
    NoiseReductionConfig,
    NoiseReductionType,
    TranscriptionConfig,
    Voice,
    parse_voice,
    voice_to_wire,
)
from realtime_actors.protocol.config_checks import (
    UNSET,
    Unset,
    UnsetType,
    check_choice,
    check_float,
    check_int,
    check_str,
    reject_unknown_keys,
    settable,
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
    check_forced_function,
    parse_tool_choice,
    parse_tools,
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
MAX_OUTPUT_TOKENS_LIMIT = 4096
"""Largest integer ``max_output_tokens`` (use ``"inf"`` for the model's maximum)."""


class Modality(enum.StrEnum):
    """Output modality: audio (with a transcript) or text. GA allows only one at a time."""

    AUDIO = "audio"
    TEXT = "text"


def parse_modalities(value: object, field: str = "output_modalities") -> tuple[Modality, ...]:
    """Accept ``"audio"``/``"text"`` (or the enum) or a one-element list/tuple of them."""
    if isinstance(value, str | Modality):
        items: list[object] = [value]
    elif isinstance(value, Iterable) and not isinstance(value, bytes | Mapping):
        items = list(value)
    else:
        raise ConfigError(f"{field}: expected 'audio', 'text' or a list of one of them")
    modalities = tuple(check_choice(item, Modality, f"{field}[]") for item in items)
    if len(modalities) != 1:
        raise ConfigError(
            f"{field}: exactly one modality is allowed (GA cannot combine 'audio' and 'text'), "
            f"got {[m.value for m in modalities]}"
        )
    return modalities


def parse_max_output_tokens(
    value: object, field: str = "max_output_tokens"
) -> int | Literal["inf"]:
    """Accept an integer 1-4096 or ``"inf"``."""
    if value == "inf":
        return "inf"
    if isinstance(value, str):
        raise ConfigError(f"{field}: expected an integer 1-4096 or 'inf', got {value!r}")
    return check_int(value, field, lo=1, hi=MAX_OUTPUT_TOKENS_LIMIT)


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

    model: str | Unset = attrs.field(
        default=UNSET, converter=settable(functools.partial(check_str, field="model"), "model")
    )
    """Realtime model, e.g. ``gpt-realtime`` (cannot change after the session starts)."""
    instructions: str | Unset = attrs.field(
        default=UNSET,
        converter=settable(
            functools.partial(check_str, field="instructions", allow_empty=True), "instructions"
        ),
    )
    """System instructions; ``""`` clears them."""
    output_modalities: tuple[Modality, ...] | Unset = attrs.field(
        default=UNSET, converter=settable(parse_modalities, "output_modalities")
    )
    """``("audio",)`` or ``("text",)``; a bare string is accepted."""
    voice: Voice | CustomVoice | Unset = attrs.field(
        default=UNSET, converter=settable(parse_voice, "voice")
    )
    """Built-in voice, ``voice_...`` id string or :class:`CustomVoice`."""
    speed: float | Unset = attrs.field(
        default=UNSET,
        converter=settable(
            functools.partial(check_float, field="speed", lo=SPEED_MIN, hi=SPEED_MAX), "speed"
        ),
    )
    """Playback speed 0.25-1.5 (changes only between turns)."""
    input_audio_format: AudioFormat | Unset = attrs.field(
        default=UNSET,
        converter=settable(
            functools.partial(AudioFormat.parse, field="input_audio_format"), "input_audio_format"
        ),
    )
    """Encoding of the audio the client sends."""
    output_audio_format: AudioFormat | Unset = attrs.field(
        default=UNSET,
        converter=settable(
            functools.partial(AudioFormat.parse, field="output_audio_format"),
            "output_audio_format",
        ),
    )
    """Encoding of the audio the server sends."""
    transcription: TranscriptionConfig | Unset | None = attrs.field(
        default=UNSET, converter=settable(TranscriptionConfig.parse, "transcription", nullable=True)
    )
    """Input transcription; ``None`` turns it off."""
    noise_reduction: NoiseReductionConfig | Unset | None = attrs.field(
        default=UNSET,
        converter=settable(NoiseReductionConfig.parse, "noise_reduction", nullable=True),
    )
    """Input noise reduction; ``None`` turns it off."""
    turn_detection: TurnDetectionConfig | Unset | None = attrs.field(
        default=UNSET,
        converter=settable(_parse_turn_detection, "turn_detection", nullable=True),
    )
    """Turn detection; ``None`` turns it off (the client then commits and creates responses)."""
    tools: tuple[Tool, ...] | Unset = attrs.field(
        default=UNSET, converter=settable(parse_tools, "tools")
    )
    """Tools available to the model; ``()`` clears them."""
    tool_choice: ToolChoice | Unset = attrs.field(
        default=UNSET, converter=settable(parse_tool_choice, "tool_choice")
    )
    """``none``/``auto``/``required``, a function name, or a forced function/MCP choice."""
    max_output_tokens: int | Literal["inf"] | Unset = attrs.field(
        default=UNSET, converter=settable(parse_max_output_tokens, "max_output_tokens")
    )
    """Output token cap per response: 1-4096 or ``"inf"``."""
    tracing: Tracing | Unset | None = attrs.field(
        default=UNSET, converter=settable(parse_tracing, "tracing", nullable=True)
    )
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
