"""``POST /v1/audio/transcriptions`` of the simulator: validation, audio decoding, answers."""

from __future__ import annotations

import logging
import math
import re
import struct

import attrs
import numpy as np

from realtime_actors.audio.wav import is_wav, read_wav
from realtime_actors.errors import AudioFormatError
from realtime_actors.simulator import audio_files, speech_codec
from realtime_actors.simulator.multipart import FormPart
from realtime_actors.simulator.rest_errors import (
    RestApiError,
    enum_value,
    invalid_value,
    missing_parameter,
    unknown_parameter,
    unsupported_value,
)
from realtime_actors.simulator.rest_records import UploadedFile
from realtime_actors.simulator.scenario import Scenario

logger = logging.getLogger(__name__)

TRANSCRIPTION_MODELS = (
    "whisper-1",
    "gpt-transcribe",
    "gpt-4o-transcribe",
    "gpt-4o-mini-transcribe",
    "gpt-4o-mini-transcribe-2025-12-15",
    "gpt-4o-transcribe-diarize",
)
"""Models accepted by the transcription endpoint (§5.1)."""

RESPONSE_FORMATS = ("json", "text", "srt", "verbose_json", "vtt", "diarized_json")
MODEL_FORMATS = {
    "whisper-1": ("json", "text", "srt", "verbose_json", "vtt"),
    "gpt-4o-transcribe-diarize": ("json", "text", "diarized_json"),
}
"""The response formats each model supports (the others: json and text)."""
LOGPROB_MODELS = ("gpt-4o-transcribe", "gpt-4o-mini-transcribe",
                  "gpt-4o-mini-transcribe-2025-12-15")
"""Models that return ``logprobs`` with ``include[]=logprobs`` (json answers only)."""
FILE_EXTENSIONS = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")
"""Upload types the service accepts (by file name); the simulator also takes raw 24 kHz
PCM16 named ``*.pcm``."""

INAUDIBLE = "(inaudible)"
MIN_AUDIO_MS = 100
PCM_RATE = 24000

_KNOWN_FIELDS = frozenset(
    {
        "file",
        "model",
        "language",
        "languages[]",
        "keywords[]",
        "prompt",
        "response_format",
        "temperature",
        "include[]",
        "timestamp_granularities[]",
        "stream",
        "chunking_strategy",
        "known_speaker_names[]",
        "known_speaker_references[]",
    }
)
_PCM_TYPES = frozenset({"audio/pcm", "audio/l16", "audio/x-pcm"})


@attrs.frozen(kw_only=True)
class TranscriptionRequest:
    """A validated transcription request, its audio decoded to 24 kHz mono PCM16."""

    model: str
    pcm: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
    language: str | None = None
    prompt: str | None = None
    temperature: float | None = None
    response_format: str = "json"
    stream: bool = False
    include_logprobs: bool = False
    timestamp_granularities: tuple[str, ...] = ()
    speaker_names: tuple[str, ...] = ()

    @property
    def seconds(self) -> float:
        """Duration of the audio."""
        return len(self.pcm) / (2 * PCM_RATE)


def _data_chunk_start(data: bytes) -> int | None:
    """Offset of the first ``data`` chunk's payload in a RIFF/WAVE file, if there is one."""
    pos = 12
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        if chunk_id == b"data":
            return pos + 8
        pos += 8 + size + (size & 1)
    return None


def describe_upload(part: FormPart) -> UploadedFile:
    """What a ``file`` part holds, for the request record."""
    looks_like_wav = is_wav(part.data)
    nested = False
    if looks_like_wav:
        start = _data_chunk_start(part.data)
        nested = start is not None and part.data[start : start + 4] == b"RIFF"
    return UploadedFile(
        filename=part.filename,
        content_type=part.content_type,
        size=len(part.data),
        looks_like_wav=looks_like_wav,
        nested_wav=nested,
    )


def _extension(name: str) -> str | None:
    base = name.rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else None


def decode_upload(part: FormPart) -> bytes:
    """The uploaded audio as 24 kHz mono PCM16 bytes: a WAV of any layout, raw ``.pcm``, or
    any container the service accepts (decoded by PyAV)."""
    info = describe_upload(part)
    name = part.filename or ""
    ext = _extension(name)
    if ext is not None and ext != "pcm" and ext not in FILE_EXTENSIONS:
        raise invalid_value(
            "file", f"Invalid file format. Supported formats: {list(FILE_EXTENSIONS)}"
        )
    if info.nested_wav:
        raise invalid_value("file", "Invalid file: audio file contains a nested WAV header.")
    if info.looks_like_wav:
        try:
            samples = read_wav(part.data).mono_24k()
        except AudioFormatError as exc:
            raise invalid_value("file", f"Invalid file: could not decode WAV: {exc}") from exc
        return np.ascontiguousarray(samples, dtype="<i2").tobytes()
    if ext == "pcm" or (part.content_type or "").lower() in _PCM_TYPES:
        if len(part.data) % 2:
            raise invalid_value(
                "file", f"Invalid file: raw PCM16 has an odd length ({len(part.data)} bytes)."
            )
        return part.data
    if not audio_files.available():
        raise unsupported_value(
            "file",
            f"Invalid file {name!r}: this simulator decodes compressed audio only with PyAV "
            "installed (pip install 'realtime-actors[simulator]'); WAV and raw 24 kHz PCM16 "
            "(*.pcm) work without it.",
        )
    try:
        samples = audio_files.decode_file(part.data)
    except audio_files.AudioFileError as exc:
        raise invalid_value(
            "file", f"Invalid file {name!r}: {exc}. The file may be corrupted or unsupported."
        ) from exc
    return samples.astype("<i2").tobytes()


def _single(fields: dict[str, list[str]], name: str) -> str | None:
    values = fields.get(name)
    return values[-1] if values else None


def parse_transcription(parts: list[FormPart]) -> TranscriptionRequest:
    """Validate the multipart fields of a transcription request (raises RestApiError)."""
    fields: dict[str, list[str]] = {}
    file_part: FormPart | None = None
    for part in parts:
        if part.name not in _KNOWN_FIELDS:
            raise unknown_parameter(part.name)
        if part.name == "file":
            file_part = part
        else:
            fields.setdefault(part.name, []).append(part.text())
    model = _single(fields, "model")
    if file_part is None:
        raise missing_parameter("file")
    if model is None:
        raise missing_parameter("model")
    if model not in TRANSCRIPTION_MODELS:
        raise enum_value("model", model, TRANSCRIPTION_MODELS)
    response_format = _single(fields, "response_format") or "json"
    if response_format not in RESPONSE_FORMATS:
        raise enum_value("response_format", response_format, RESPONSE_FORMATS)
    supported = MODEL_FORMATS.get(model, ("json", "text"))
    if response_format not in supported:
        raise unsupported_value(
            "response_format",
            f"response_format '{response_format}' is not compatible with model '{model}'. "
            f"Use one of: {', '.join(repr(f) for f in supported)}.",
        )
    include = fields.get("include[]", [])
    for value in include:
        if value != "logprobs":
            raise enum_value("include[]", value, ("logprobs",))
    if include and (model not in LOGPROB_MODELS or response_format != "json"):
        raise unsupported_value(
            "include",
            "logprobs are only available with response_format 'json' and the models "
            f"{', '.join(LOGPROB_MODELS)}.",
        )
    granularities = fields.get("timestamp_granularities[]", [])
    for value in granularities:
        if value not in ("word", "segment"):
            raise enum_value("timestamp_granularities[]", value, ("word", "segment"))
    if granularities and response_format != "verbose_json":
        raise invalid_value(
            "timestamp_granularities",
            "timestamp_granularities requires response_format 'verbose_json'.",
        )
    stream_text = (_single(fields, "stream") or "false").lower()
    if stream_text not in ("true", "false"):
        raise invalid_value("stream", f"Invalid value for 'stream': {stream_text!r}.")
    temperature = _parse_temperature(_single(fields, "temperature"))
    language = _single(fields, "language")
    if language is not None and not re.fullmatch(r"[a-z]{2,3}", language):
        raise invalid_value("language", f"Invalid language {language!r}: use ISO-639-1.")
    pcm = decode_upload(file_part) if file_part.data else b""
    if len(pcm) < MIN_AUDIO_MS * PCM_RATE * 2 // 1000:
        raise RestApiError(
            400,
            f"Audio file is too short. Minimum audio length is 0.1 seconds, got "
            f"{len(pcm) / (2 * PCM_RATE):.3f} seconds.",
            code="audio_too_short",
            param="file",
        )
    return TranscriptionRequest(
        model=model,
        pcm=pcm,
        language=language,
        prompt=_single(fields, "prompt"),
        temperature=temperature,
        response_format=response_format,
        # whisper-1 ignores ``stream`` (§5.1).
        stream=stream_text == "true" and model != "whisper-1",
        include_logprobs=bool(include),
        timestamp_granularities=tuple(granularities),
        speaker_names=tuple(fields.get("known_speaker_names[]", [])),
    )


def _parse_temperature(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 1.0:
        raise invalid_value("temperature", f"Invalid temperature {text!r}: use 0 to 1.")
    return value


def transcribe(scenario: Scenario, pcm: bytes, turn_index: int) -> str:
    """The transcript: the scenario's, else the decoded synthetic speech, else "(inaudible)"."""
    if scenario.transcript is not None:
        return scenario.transcript(pcm, turn_index)
    text = speech_codec.decode(np.frombuffer(pcm, dtype="<i2").astype(np.int16))
    return INAUDIBLE if text is None else text
