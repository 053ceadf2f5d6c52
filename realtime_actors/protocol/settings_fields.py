"""Typed converters of the fields :class:`SessionModelSettings` and :class:`ResponseParams` share.

Each converter's parameter type is what the class's ``__init__`` accepts: the attrs mypy plugin
reads it, so ``SessionModelSettings(voice=123)`` fails type checking. The checks they call still
refuse anything else at run time (for untyped callers), raising :class:`ConfigError`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol

from realtime_actors.errors import ConfigError
from realtime_actors.protocol.audio_config import (
    AudioFormat,
    AudioFormatInput,
    CustomVoice,
    Voice,
    VoiceInput,
    parse_voice,
)
from realtime_actors.protocol.config_checks import (
    Unset,
    check_choice,
    check_int,
    check_str,
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
    parse_tool_choice,
    parse_tools,
)

MAX_OUTPUT_TOKENS_LIMIT = 4096
"""Largest integer ``max_output_tokens`` (use ``"inf"`` for the model's maximum)."""


class Modality(enum.StrEnum):
    """Output modality: audio (with a transcript) or text. GA allows only one at a time."""

    AUDIO = "audio"
    TEXT = "text"


ModalityName = Literal["audio", "text"]
"""The values of :class:`Modality`, accepted wherever a member is."""
ModalitiesInput = Modality | ModalityName | Sequence[Modality | ModalityName]
"""What ``output_modalities`` accepts: one modality, or a list of one."""


class ToolSource(Protocol):
    """Anything that gives its tool definition, such as a :class:`FunctionTool`."""

    def to_definition(self) -> Mapping[str, Any]:
        """The wire tool definition."""
        ...


ToolInput = ToolDefinition | McpTool | ToolSource | Mapping[str, Any]
"""A tool as the settings accept it: parsed, a tool object or a wire mapping."""
ToolChoiceInput = ToolChoiceMode | str | FunctionToolChoice | McpToolChoice | Mapping[str, Any]
"""A tool choice: a mode (or its name), a function name, a choice object or a wire mapping."""


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


def convert_instructions(value: str | Unset) -> str | Unset:
    """``instructions``: any string (``""`` clears them)."""
    return settable(value, lambda v: check_str(v, "instructions", allow_empty=True), "instructions")


def convert_output_modalities(value: ModalitiesInput | Unset) -> tuple[Modality, ...] | Unset:
    """``output_modalities``: see :func:`parse_modalities`."""
    return settable(value, parse_modalities, "output_modalities")


def convert_voice(value: VoiceInput | Unset) -> Voice | CustomVoice | Unset:
    """``voice``: see :func:`~realtime_actors.protocol.audio_config.parse_voice`."""
    return settable(value, parse_voice, "voice")


def convert_output_audio_format(value: AudioFormatInput | Unset) -> AudioFormat | Unset:
    """``output_audio_format``: see :meth:`AudioFormat.parse`."""
    return settable(
        value, lambda v: AudioFormat.parse(v, "output_audio_format"), "output_audio_format"
    )


def convert_tools(value: Iterable[ToolInput] | Unset) -> tuple[Tool, ...] | Unset:
    """``tools``: see :func:`~realtime_actors.protocol.tool_config.parse_tools`."""
    return settable(value, parse_tools, "tools")


def convert_tool_choice(value: ToolChoiceInput | Unset) -> ToolChoice | Unset:
    """``tool_choice``: see :func:`~realtime_actors.protocol.tool_config.parse_tool_choice`."""
    return settable(value, parse_tool_choice, "tool_choice")


def convert_max_output_tokens(
    value: int | Literal["inf"] | Unset,
) -> int | Literal["inf"] | Unset:
    """``max_output_tokens``: see :func:`parse_max_output_tokens`."""
    return settable(value, parse_max_output_tokens, "max_output_tokens")
