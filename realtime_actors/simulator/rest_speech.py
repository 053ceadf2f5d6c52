"""``POST /v1/audio/speech`` of the simulator: validation and the synthesized answer."""

from __future__ import annotations

import base64
import json
import logging
import math
from collections.abc import Iterator
from typing import Any

import attrs

from realtime_actors.audio.wav import write_wav
from realtime_actors.simulator import audio_files, speech_codec
from realtime_actors.simulator.rest_errors import (
    RestApiError,
    enum_value,
    invalid_value,
    missing_parameter,
    unknown_parameter,
    unsupported_value,
)

logger = logging.getLogger(__name__)

SPEECH_MODELS = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15")
"""Models accepted by the speech endpoint (§5.2)."""

VOICES = (
    "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer",
    "verse", "marin", "cedar",
)  # fmt: skip
"""Built-in voices; a custom voice is given as ``{"id": "voice_..."}``."""

AUDIO_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
"""Every ``response_format`` of the service: pcm and wav are written here, the compressed
ones through PyAV (:mod:`~realtime_actors.simulator.audio_files`, the ``[simulator]`` extra);
without PyAV they are refused with a 400 ``unsupported_value``."""
STREAM_FORMATS = ("audio", "sse")
MAX_INPUT_CHARS = 4096
CHUNK_BYTES = 4800
"""Streamed audio comes in chunks of 100 ms of 24 kHz PCM16."""

_FIELDS = frozenset(
    {"model", "input", "voice", "instructions", "response_format", "speed", "stream_format"}
)


@attrs.frozen(kw_only=True)
class SpeechRequest:
    """A validated speech request."""

    model: str
    input: str
    voice: str
    """A built-in voice name, or a custom voice id."""
    instructions: str | None = None
    speed: float = 1.0
    """Validated (0.25-4.0) but not applied: the synthetic speech has a fixed pace."""
    response_format: str
    stream_format: str = "audio"


def _string(body: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise missing_parameter(name)
        return None
    if not isinstance(value, str):
        raise RestApiError(
            400,
            f"Invalid type for '{name}': expected a string, but got {type(value).__name__}.",
            code="invalid_type",
            param=name,
        )
    return value


def _length(name: str, value: str, minimum: int) -> None:
    if len(value) < minimum:
        raise RestApiError(
            400,
            f"Invalid '{name}': string too short. Expected a string with minimum length "
            f"{minimum}, but got an empty string instead.",
            code="string_below_min_length",
            param=name,
        )
    if len(value) > MAX_INPUT_CHARS:
        raise RestApiError(
            400,
            f"Invalid '{name}': string too long. Expected a string with maximum length "
            f"{MAX_INPUT_CHARS}, but got a string with length {len(value)} instead.",
            code="string_above_max_length",
            param=name,
        )


def _voice(value: Any) -> str:
    if value is None:
        raise missing_parameter("voice")
    if isinstance(value, dict):
        voice_id = value.get("id")
        if set(value) != {"id"} or not isinstance(voice_id, str) or not voice_id:
            raise invalid_value("voice", 'A custom voice must be {"id": "voice_..."}.')
        return voice_id
    if value not in VOICES:
        raise enum_value("voice", value, VOICES)
    return str(value)


def _speed(value: Any) -> float:
    if value is None:
        return 1.0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid_value("speed", f"Invalid speed {value!r}: expected a number.")
    if not 0.25 <= value <= 4.0:
        raise invalid_value("speed", f"Invalid speed {value!r}: use 0.25 to 4.0.")
    return float(value)


def parse_speech(raw: bytes) -> tuple[SpeechRequest, dict[str, Any]]:
    """Validate a speech request body; returns the request and the parsed JSON object."""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RestApiError(
            400, f"We could not parse the JSON body of your request: {exc}.", code=None
        ) from exc
    if not isinstance(body, dict):
        raise RestApiError(400, "The request body must be a JSON object.", code=None)
    for key in body:
        if key not in _FIELDS:
            raise unknown_parameter(key)
    model = _string(body, "model", required=True) or ""
    if model not in SPEECH_MODELS:
        raise enum_value("model", model, SPEECH_MODELS)
    text = _string(body, "input", required=True) or ""
    _length("input", text, 1)
    voice = _voice(body.get("voice"))
    instructions = _string(body, "instructions", required=False)
    if instructions is not None:
        _length("instructions", instructions, 0)
    speed = _speed(body.get("speed"))
    response_format = _string(body, "response_format", required=False) or "mp3"
    if response_format not in AUDIO_FORMATS:
        raise enum_value("response_format", response_format, AUDIO_FORMATS)
    if response_format not in ("pcm", "wav") and not audio_files.available():
        raise unsupported_value(
            "response_format",
            f"Unsupported response_format {response_format!r}: this simulator produces "
            "compressed audio only with PyAV installed (pip install "
            "'realtime-actors[simulator]'); pcm and wav work without it.",
        )
    stream_format = _string(body, "stream_format", required=False) or "audio"
    if stream_format not in STREAM_FORMATS:
        raise enum_value("stream_format", stream_format, STREAM_FORMATS)
    if stream_format == "sse" and model.startswith("tts-1"):
        raise invalid_value("stream_format", f"stream_format 'sse' is not supported for {model}.")
    request = SpeechRequest(
        model=model,
        input=text,
        voice=voice,
        instructions=instructions,
        speed=speed,
        response_format=response_format,
        stream_format=stream_format,
    )
    return request, body


@attrs.frozen
class SpeechAudio:
    """The answer's audio: the bytes in the requested format and their duration."""

    data: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
    seconds: float


def speech_audio(request: SpeechRequest) -> SpeechAudio:
    """Synthetic speech of the input in the requested format: raw PCM16, WAV, or a
    compressed file (mp3, opus in Ogg, aac in ADTS, flac) encoded by PyAV."""
    samples = speech_codec.synthesize(request.input, speech_codec.SPEECH_RATE)
    seconds = samples.size / speech_codec.SPEECH_RATE
    if request.response_format == "pcm":
        data = samples.astype("<i2").tobytes()
    elif request.response_format == "wav":
        data = write_wav(samples, speech_codec.SPEECH_RATE)
    else:
        try:
            data = audio_files.encode_speech(samples, speech_codec.SPEECH_RATE,
                                             request.response_format)
        except audio_files.AudioFileError as exc:
            logger.exception("rest simulator: encoding %s failed", request.response_format)
            raise RestApiError(
                500, "The server had an error while processing your request. Sorry about that!",
                code=None, error_type="server_error",
            ) from exc
    return SpeechAudio(data=data, seconds=seconds)


def audio_chunks(audio: bytes) -> Iterator[bytes]:
    """``audio`` in chunks of :data:`CHUNK_BYTES` (the last one shorter)."""
    for start in range(0, len(audio), CHUNK_BYTES):
        yield audio[start : start + CHUNK_BYTES]


def usage(request: SpeechRequest, audio: SpeechAudio) -> dict[str, int]:
    """Token usage reported in ``speech.audio.done`` (10 audio tokens a second)."""
    input_tokens = math.ceil((len(request.input) + len(request.instructions or "")) / 4)
    output_tokens = max(1, math.ceil(audio.seconds * 10))
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }


def sse_events(request: SpeechRequest, audio: SpeechAudio) -> Iterator[dict[str, Any]]:
    """The SSE events of ``stream_format: "sse"``: audio deltas (pieces of the file in the
    requested format) then ``speech.audio.done``."""
    for chunk in audio_chunks(audio.data):
        yield {"type": "speech.audio.delta", "audio": base64.b64encode(chunk).decode("ascii")}
    yield {"type": "speech.audio.done", "usage": usage(request, audio)}
