"""Settings of the voice pipeline: STT, TTS and the pipeline as a whole."""

from __future__ import annotations

import attrs

from realtime_actors.errors import ConfigError
from realtime_actors.validation import INTEGER, NUMBER, checked

DEFAULT_STT_MODEL = "gpt-4o-transcribe"
DEFAULT_TTS_MODEL = "gpt-4o-mini-tts"
DEFAULT_TTS_VOICE = "ash"
DEFAULT_TTS_INSTRUCTIONS = (
    "You will receive partial sentences. Do not complete the sentence just read out the text."
)
DEFAULT_BASE_URL = "https://api.openai.com/v1"


def _check_temperature(_i: object, _a: object, value: float | None) -> None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise ConfigError(f"STT temperature must be within 0..1, got {value!r}")


def _check_speed(_i: object, _a: object, value: float | None) -> None:
    if value is not None and not 0.25 <= value <= 4.0:
        raise ConfigError(f"TTS speed must be within 0.25..4.0, got {value!r}")


def _non_empty(_i: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{attribute.name} must be a non-empty string, got {value!r}")


@attrs.frozen(kw_only=True)
class STTSettings:
    """Speech-to-text request settings (``POST /audio/transcriptions``)."""

    model: str = attrs.field(default=DEFAULT_STT_MODEL, validator=_non_empty)
    language: str | None = None
    """ISO-639-1 code, e.g. ``"en"``."""
    prompt: str | None = None
    temperature: float | None = attrs.field(default=None, validator=_check_temperature)
    stream: bool = False
    """Ask for a streamed (server-sent events) transcription; its deltas become transcript
    events when ``VoicePipelineConfig.emit_transcripts`` is set. ``whisper-1`` ignores it."""


@attrs.frozen(kw_only=True)
class TTSSettings:
    """Text-to-speech request settings (``POST /audio/speech``, ``response_format: pcm``)."""

    model: str = attrs.field(default=DEFAULT_TTS_MODEL, validator=_non_empty)
    voice: str = attrs.field(default=DEFAULT_TTS_VOICE, validator=_non_empty)
    instructions: str | None = DEFAULT_TTS_INSTRUCTIONS
    speed: float | None = attrs.field(default=None, validator=_check_speed)
    min_sentence_chars: int = 20
    """Sentences shorter than this are joined with the next one before synthesis."""


_POSITIVE_INT = checked(INTEGER, attrs.validators.gt(0))
_POSITIVE_NUMBER = checked(NUMBER, attrs.validators.gt(0))


@attrs.frozen(kw_only=True)
class VoicePipelineConfig:
    """Configuration of a :class:`~voice_actors.Pipeline`."""

    workflow_name: str = "Voice Agent"
    stt_settings: STTSettings = attrs.field(factory=STTSettings)
    tts_settings: TTSSettings = attrs.field(factory=TTSSettings)
    tts_concurrency: int = attrs.field(default=3, validator=_POSITIVE_INT)
    """At most this many sentences are synthesised at the same time."""
    max_attempts: int = attrs.field(default=3, validator=_POSITIVE_INT)
    """Attempts per request for rate limits (429 ``rate_limit_exceeded``) and 5xx answers."""
    max_retry_wait_s: float = attrs.field(default=20.0, validator=_POSITIVE_NUMBER)
    """Upper bound on one wait between attempts (``Retry-After`` is capped to it)."""
    connect_timeout_s: float = attrs.field(default=10.0, validator=_POSITIVE_NUMBER)
    read_timeout_s: float = attrs.field(default=60.0, validator=_POSITIVE_NUMBER)
    """Longest silence while waiting for (more of) an answer."""
    emit_transcripts: bool = False
    """Also yield :class:`~voice_actors.VoiceStreamEventTranscript` events."""
    crash_on_workflow_error: bool = False
    """When the workflow raises, end that run with the error as usual and then crash the
    pipeline actor, so its supervisor restarts it with fresh workflow resources (other runs in
    flight end with :class:`~voice_actors.PipelineStoppedError`)."""
