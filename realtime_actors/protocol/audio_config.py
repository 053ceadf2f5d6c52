"""Audio-related session settings: formats, voices, input transcription and noise reduction."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from realtime_actors.errors import ConfigError
from realtime_actors.protocol.config_checks import (
    check_choice,
    check_str,
    reject_unknown_keys,
)

PCM_SAMPLE_RATE = 24000
"""The only PCM sample rate the GA protocol accepts."""


class AudioFormat(enum.StrEnum):
    """Audio encoding of input or output audio. Values are the short (beta-era) names; the wire
    form is the GA object returned by :meth:`to_wire`."""

    PCM16 = "pcm16"
    G711_ULAW = "g711_ulaw"
    G711_ALAW = "g711_alaw"

    @property
    def mime_type(self) -> str:
        """The GA ``type`` of the format object: ``audio/pcm``, ``audio/pcmu`` or ``audio/pcma``."""
        return _MIME_TYPES[self]

    @property
    def sample_rate(self) -> int:
        """Samples per second: 24000 for PCM16, 8000 for G.711."""
        return PCM_SAMPLE_RATE if self is AudioFormat.PCM16 else 8000

    def to_wire(self) -> dict[str, Any]:
        """The GA format object, e.g. ``{"type": "audio/pcm", "rate": 24000}``."""
        if self is AudioFormat.PCM16:
            return {"type": "audio/pcm", "rate": PCM_SAMPLE_RATE}
        return {"type": self.mime_type}

    @classmethod
    def parse(cls, value: object, field: str = "audio_format") -> AudioFormat:
        """Accept a member, a short name (``"pcm16"``), a GA type (``"audio/pcm"``) or a GA
        format object (``{"type": "audio/pcm", "rate": 24000}``)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            found = _ALIASES.get(value)
            if found is not None:
                return found
            raise ConfigError(
                f"{field}: invalid audio format {value!r}; allowed values are "
                + ", ".join(repr(alias) for alias in _ALIASES)
            )
        if isinstance(value, Mapping):
            reject_unknown_keys(value, frozenset({"type", "rate"}), field)
            kind = value.get("type")
            fmt = None
            if isinstance(kind, str) and kind.startswith("audio/"):
                fmt = _ALIASES.get(kind)
            if fmt is None:
                raise ConfigError(
                    f"{field}.type: invalid value {value.get('type')!r}; allowed values are "
                    "'audio/pcm', 'audio/pcmu', 'audio/pcma'"
                )
            rate = value.get("rate")
            if fmt is AudioFormat.PCM16 and rate is not None and rate != PCM_SAMPLE_RATE:
                raise ConfigError(
                    f"{field}.rate: only {PCM_SAMPLE_RATE} is supported, got {rate!r}"
                )
            if fmt is not AudioFormat.PCM16 and rate is not None:
                raise ConfigError(f"{field}.rate: not allowed for {value['type']!r}")
            return fmt
        raise ConfigError(
            f"{field}: expected an AudioFormat, a string or a format object, "
            f"got {type(value).__name__}"
        )


AudioFormatName = Literal[
    "pcm16", "g711_ulaw", "g711_alaw", "audio/pcm", "audio/pcmu", "audio/pcma"
]
"""The short names and GA types of :class:`AudioFormat`, accepted wherever a member is."""
AudioFormatInput = AudioFormat | AudioFormatName | Mapping[str, Any]
"""What an audio format field accepts: a member, a name, or a GA format object."""

_MIME_TYPES = {
    AudioFormat.PCM16: "audio/pcm",
    AudioFormat.G711_ULAW: "audio/pcmu",
    AudioFormat.G711_ALAW: "audio/pcma",
}
_ALIASES: dict[str, AudioFormat] = {
    **{fmt.value: fmt for fmt in AudioFormat},
    **{mime: fmt for fmt, mime in _MIME_TYPES.items()},
}


class Voice(enum.StrEnum):
    """Built-in voices (``marin`` and ``cedar`` are the recommended ones; ``alloy`` the default)."""

    ALLOY = "alloy"
    ASH = "ash"
    BALLAD = "ballad"
    CORAL = "coral"
    ECHO = "echo"
    SAGE = "sage"
    SHIMMER = "shimmer"
    VERSE = "verse"
    MARIN = "marin"
    CEDAR = "cedar"


CUSTOM_VOICE_PREFIX = "voice_"
"""Prefix of custom voice ids (``voice_1234``)."""


VoiceName = Literal[
    "alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar"
]
"""The values of :class:`Voice`, accepted wherever a member is."""


def _voice_id(value: str) -> str:
    return check_str(value, "voice.id")


@attrs.frozen(kw_only=True)
class CustomVoice:
    """A custom voice, sent as ``{"id": "voice_..."}``."""

    id: str = attrs.field(converter=_voice_id)
    """The custom voice id, e.g. ``voice_1234``."""

    def to_wire(self) -> dict[str, Any]:
        """The wire object ``{"id": ...}``."""
        return {"id": self.id}


VoiceInput = Voice | VoiceName | CustomVoice | str | Mapping[str, str]
"""What a voice field accepts: a voice, its name, a ``voice_...`` id or ``{"id": ...}``."""


def parse_voice(value: object, field: str = "voice") -> Voice | CustomVoice:
    """Accept a :class:`Voice`, a built-in voice name, a ``voice_...`` id, a :class:`CustomVoice`
    or a ``{"id": ...}`` mapping."""
    if isinstance(value, Voice | CustomVoice):
        return value
    if isinstance(value, str):
        if value.startswith(CUSTOM_VOICE_PREFIX) and len(value) > len(CUSTOM_VOICE_PREFIX):
            return CustomVoice(id=value)
        try:
            return Voice(value)
        except ValueError:
            pass
    elif isinstance(value, Mapping):
        reject_unknown_keys(value, frozenset({"id"}), field)
        return CustomVoice(id=check_str(value.get("id"), "voice.id"))
    raise ConfigError(
        f"{field}: invalid voice {value!r}; allowed values are "
        + ", ".join(repr(v.value) for v in Voice)
        + f", a custom id starting with {CUSTOM_VOICE_PREFIX!r}, or {{'id': ...}}"
    )


def voice_to_wire(voice: Voice | CustomVoice) -> str | dict[str, Any]:
    """The wire value of a parsed voice: the name string or ``{"id": ...}``."""
    return voice.to_wire() if isinstance(voice, CustomVoice) else voice.value


class NoiseReductionType(enum.StrEnum):
    """Input noise reduction profile."""

    NEAR_FIELD = "near_field"
    FAR_FIELD = "far_field"


NoiseReductionTypeName = Literal["near_field", "far_field"]
"""The values of :class:`NoiseReductionType`, accepted wherever a member is."""


def _noise_reduction_type(value: NoiseReductionType | NoiseReductionTypeName) -> NoiseReductionType:
    return check_choice(value, NoiseReductionType, "noise_reduction.type")


@attrs.frozen(kw_only=True)
class NoiseReductionConfig:
    """``audio.input.noise_reduction``: ``near_field`` (headsets) or ``far_field`` (rooms)."""

    type: NoiseReductionType = attrs.field(converter=_noise_reduction_type)
    """The noise reduction profile (enum member or string)."""

    @classmethod
    def parse(cls, value: object) -> NoiseReductionConfig:
        """Accept a config, a type string/member, or a ``{"type": ...}`` mapping."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str | NoiseReductionType):
            return cls(type=check_choice(value, NoiseReductionType, "noise_reduction.type"))
        if isinstance(value, Mapping):
            reject_unknown_keys(value, frozenset({"type"}), "noise_reduction")
            kind = value.get("type")
            return cls(type=check_choice(kind, NoiseReductionType, "noise_reduction.type"))
        raise ConfigError(
            f"noise_reduction: expected a NoiseReductionConfig, a type string or a mapping, "
            f"got {type(value).__name__}"
        )

    def to_wire(self) -> dict[str, Any]:
        """The wire object ``{"type": ...}``."""
        return {"type": self.type.value}


NoiseReductionInput = (
    NoiseReductionConfig | NoiseReductionType | NoiseReductionTypeName | Mapping[str, Any]
)
"""What ``noise_reduction`` accepts: a config, a profile (or its name) or ``{"type": ...}``."""


TRANSCRIPTION_MODELS = (
    "whisper-1",
    "gpt-transcribe",
    "gpt-live-transcribe",
    "gpt-4o-mini-transcribe",
    "gpt-4o-mini-transcribe-2025-12-15",
    "gpt-4o-transcribe",
    "gpt-4o-transcribe-diarize",
    "gpt-realtime-whisper",
)
"""Transcription models named by the GA spec (other non-empty strings are accepted too)."""


def _transcription_model(value: str) -> str:
    return check_str(value, "transcription.model")


def _transcription_language(value: str | None) -> str | None:
    return None if value is None else check_str(value, "transcription.language")


def _transcription_prompt(value: str | None) -> str | None:
    return None if value is None else check_str(value, "transcription.prompt", allow_empty=True)


@attrs.frozen(kw_only=True)
class TranscriptionConfig:
    """``audio.input.transcription``: transcribe the user's audio asynchronously."""

    model: str = attrs.field(default="gpt-4o-transcribe", converter=_transcription_model)
    """Transcription model; see :data:`TRANSCRIPTION_MODELS` (any non-empty string accepted)."""
    language: str | None = attrs.field(default=None, converter=_transcription_language)
    """ISO-639-1 language of the input audio (e.g. ``en``), or ``None`` to not send it."""
    prompt: str | None = attrs.field(default=None, converter=_transcription_prompt)
    """Guidance text for the transcription model, or ``None`` to not send it."""

    @classmethod
    def parse(cls, value: object) -> TranscriptionConfig:
        """Accept a config or a wire-shaped mapping ``{"model", "language", "prompt"}``."""
        if isinstance(value, cls):
            return value
        if isinstance(value, Mapping):
            known = frozenset(f.name for f in attrs.fields(cls))
            reject_unknown_keys(value, known, "transcription")
            return cls(**{key: val for key, val in value.items() if val is not None})
        raise ConfigError(
            "transcription: expected a TranscriptionConfig or a mapping, "
            f"got {type(value).__name__}"
        )

    def to_wire(self) -> dict[str, Any]:
        """The wire object with ``model`` and the optional fields that are set."""
        wire: dict[str, Any] = {"model": self.model}
        if self.language is not None:
            wire["language"] = self.language
        if self.prompt is not None:
            wire["prompt"] = self.prompt
        return wire
