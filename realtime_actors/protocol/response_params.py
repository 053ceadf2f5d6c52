"""Per-response overrides sent as the ``response`` of ``response.create``."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from realtime_actors.errors import ConfigError
from realtime_actors.protocol.audio_config import AudioFormat, CustomVoice, Voice, voice_to_wire
from realtime_actors.protocol.config_checks import (
    UNSET,
    Unset,
    check_choice,
    check_str,
    reject_unknown_keys,
    settable,
)
from realtime_actors.protocol.item_builders import check_item
from realtime_actors.protocol.settings_fields import (
    Modality,
    convert_instructions,
    convert_max_output_tokens,
    convert_output_audio_format,
    convert_output_modalities,
    convert_tool_choice,
    convert_tools,
    convert_voice,
)
from realtime_actors.protocol.tool_config import (
    Tool,
    ToolChoice,
    check_forced_function,
    tool_choice_to_wire,
    tool_to_wire,
)

METADATA_MAX_PAIRS = 16
"""Most key/value pairs ``metadata`` may hold."""
METADATA_MAX_KEY = 64
"""Longest metadata key."""
METADATA_MAX_VALUE = 512
"""Longest metadata value."""


class ConversationMode(enum.StrEnum):
    """Where the response is written: the default conversation (``auto``) or nowhere
    (``none``, an out-of-band response)."""

    AUTO = "auto"
    NONE = "none"


ConversationModeName = Literal["auto", "none"]
"""The values of :class:`ConversationMode`, accepted wherever a member is."""

def parse_metadata(value: object, field: str = "metadata") -> dict[str, str]:
    """Accept at most 16 string pairs (keys up to 64, values up to 512 characters)."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"{field}: expected a mapping of strings, got {type(value).__name__}")
    if len(value) > METADATA_MAX_PAIRS:
        raise ConfigError(f"{field}: at most {METADATA_MAX_PAIRS} pairs allowed, got {len(value)}")
    return {
        check_str(key, f"{field} key", max_len=METADATA_MAX_KEY): check_str(
            val, f"{field}[{key!r}]", allow_empty=True, max_len=METADATA_MAX_VALUE
        )
        for key, val in value.items()
    }


def parse_input_items(value: object, field: str = "input") -> tuple[dict[str, Any], ...]:
    """Accept a list of wire items and ``item_reference`` objects (each checked and copied)."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ConfigError(f"{field}: expected a list of items, got {type(value).__name__}")
    return tuple(
        check_item(item, f"{field}[{i}]", allow_reference=True) for i, item in enumerate(value)
    )


# The converters' parameter types are what ResponseParams' __init__ accepts (the attrs mypy
# plugin reads them); the checks they call still refuse anything else at run time.
def _conversation(
    value: ConversationMode | ConversationModeName | Unset,
) -> ConversationMode | Unset:
    return settable(
        value, lambda v: check_choice(v, ConversationMode, "conversation"), "conversation"
    )


def _metadata(value: Mapping[str, str] | Unset) -> dict[str, str] | Unset:
    return settable(value, parse_metadata, "metadata")


def _input(value: Iterable[Mapping[str, Any]] | Unset) -> tuple[dict[str, Any], ...] | Unset:
    return settable(value, parse_input_items, "input")


_HINTS = {
    "modalities": "beta name; use 'output_modalities'",
    "temperature": "removed in the GA protocol",
    "max_response_output_tokens": "beta name; use 'max_output_tokens'",
}


@attrs.frozen(kw_only=True)
class ResponseParams:
    """Overrides for one response. Unset fields are not sent (the session's values apply)."""

    output_modalities: tuple[Modality, ...] | Unset = attrs.field(
        default=UNSET, converter=convert_output_modalities
    )
    """``("audio",)`` or ``("text",)`` for this response."""
    instructions: str | Unset = attrs.field(default=UNSET, converter=convert_instructions)
    """Instructions for this response only."""
    conversation: ConversationMode | Unset = attrs.field(default=UNSET, converter=_conversation)
    """``auto`` (default conversation) or ``none`` (out-of-band)."""
    metadata: dict[str, str] | Unset = attrs.field(default=UNSET, converter=_metadata)
    """Up to 16 string pairs echoed on the response (handy to tell responses apart)."""
    tools: tuple[Tool, ...] | Unset = attrs.field(default=UNSET, converter=convert_tools)
    """Tools for this response only."""
    tool_choice: ToolChoice | Unset = attrs.field(default=UNSET, converter=convert_tool_choice)
    """Tool choice for this response only."""
    max_output_tokens: int | Literal["inf"] | Unset = attrs.field(
        default=UNSET, converter=convert_max_output_tokens
    )
    """Output token cap: 1-4096 or ``"inf"``."""
    input: tuple[dict[str, Any], ...] | Unset = attrs.field(default=UNSET, converter=_input)
    """Items forming this response's context instead of the conversation (``()`` = empty)."""
    voice: Voice | CustomVoice | Unset = attrs.field(default=UNSET, converter=convert_voice)
    """Voice for this response (``audio.output.voice``)."""
    output_audio_format: AudioFormat | Unset = attrs.field(
        default=UNSET, converter=convert_output_audio_format
    )
    """Output audio encoding for this response (``audio.output.format``)."""

    def __attrs_post_init__(self) -> None:
        check_forced_function(self.tool_choice, self.tools)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ResponseParams:
        """Build from a mapping keyed by field name; unknown keys raise :class:`ConfigError`."""
        known = frozenset(f.name for f in attrs.fields(cls))
        reject_unknown_keys(data, known, "ResponseParams", _HINTS)
        return cls(**data)

    def to_wire(self) -> dict[str, Any]:
        """The GA ``response`` object with every set field."""
        wire: dict[str, Any] = {}
        if self.output_modalities is not UNSET:
            wire["output_modalities"] = [m.value for m in self.output_modalities]
        if self.instructions is not UNSET:
            wire["instructions"] = self.instructions
        if self.conversation is not UNSET:
            wire["conversation"] = self.conversation.value
        if self.metadata is not UNSET:
            wire["metadata"] = dict(self.metadata)
        output: dict[str, Any] = {}
        if self.output_audio_format is not UNSET:
            output["format"] = self.output_audio_format.to_wire()
        if self.voice is not UNSET:
            output["voice"] = voice_to_wire(self.voice)
        if output:
            wire["audio"] = {"output": output}
        if self.tools is not UNSET:
            wire["tools"] = [tool_to_wire(tool) for tool in self.tools]
        if self.tool_choice is not UNSET:
            wire["tool_choice"] = tool_choice_to_wire(self.tool_choice)
        if self.max_output_tokens is not UNSET:
            wire["max_output_tokens"] = self.max_output_tokens
        if self.input is not UNSET:
            wire["input"] = [
                check_item(item, "input[]", allow_reference=True) for item in self.input
            ]
        return wire
