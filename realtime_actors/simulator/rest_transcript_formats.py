"""The answers of ``POST /v1/audio/transcriptions``: every response format, logprobs, usage.

Sans-I/O: each function maps a transcript and the validated request to a body or to SSE
events. Times are simulated: the words are spread over the part of the audio that is not
silent, in proportion to their length; segments are the transcript's sentences.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

if TYPE_CHECKING:
    from realtime_actors.simulator.rest_transcription import TranscriptionRequest

TEXT_FORMATS = ("text", "srt", "vtt")
"""Formats answered as ``text/plain``; the others are JSON."""
_LANGUAGES = {"en": "english", "fr": "french", "de": "german", "es": "spanish",
              "it": "italian", "pt": "portuguese", "nl": "dutch", "ja": "japanese"}
_PUNCTUATION = ".,!?;:\"'"
_LOUD = 500  # int16 units: quieter samples count as silence when placing the words


@attrs.frozen
class Timed:
    """A piece of the transcript and where it is in the audio (seconds)."""

    text: str
    start: float
    end: float


def text_pieces(text: str) -> list[str]:
    """Word-sized deltas whose concatenation is ``text``."""
    return re.findall(r"\s*\S+|\s+$", text)


def _speech_span(request: TranscriptionRequest) -> tuple[float, float]:
    samples = np.frombuffer(request.pcm, dtype="<i2")
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > _LOUD)
    if loud.size == 0:
        return 0.0, request.seconds
    return loud[0] / 24000, (loud[-1] + 1) / 24000


def _spread(pieces: list[str], request: TranscriptionRequest) -> list[Timed]:
    start, end = _speech_span(request)
    total = sum(len(p) for p in pieces) or 1
    out, at = [], 0
    for piece in pieces:
        t0 = start + (end - start) * at / total
        at += len(piece)
        out.append(Timed(piece, round(t0, 3), round(start + (end - start) * at / total, 3)))
    return out


def words(text: str, request: TranscriptionRequest) -> list[Timed]:
    """The transcript's words, without punctuation, with simulated times."""
    timed = _spread(text_pieces(text), request)
    return [Timed(w.text.strip().strip(_PUNCTUATION), w.start, w.end) for w in timed
            if w.text.strip().strip(_PUNCTUATION)]


def segments(text: str, request: TranscriptionRequest) -> list[Timed]:
    """The transcript's sentences with simulated times (one segment for a text without any
    sentence end)."""
    sentences = [s for s in re.findall(r"[^.!?]*[.!?]+\s*|[^.!?]+$", text) if s.strip()]
    return [Timed(s.text.strip(), s.start, s.end) for s in _spread(sentences or [text], request)]


def logprobs(pieces: list[str]) -> list[dict[str, Any]]:
    """Deterministic log probabilities of the transcript's tokens (its word pieces)."""
    return [{"token": p, "bytes": list(p.encode("utf-8")),
             "logprob": -round(0.01 * (1 + len(p.strip()) % 5), 3)} for p in pieces]


def token_usage(text: str, request: TranscriptionRequest) -> dict[str, Any]:
    """Usage in tokens (every model but whisper-1): 10 audio tokens a second."""
    audio_tokens = max(1, math.ceil(request.seconds * 10))
    text_tokens = math.ceil(len(request.prompt or "") / 4)
    output_tokens = max(1, math.ceil(len(text) / 4))
    return {
        "type": "tokens",
        "input_tokens": audio_tokens + text_tokens,
        "input_token_details": {"text_tokens": text_tokens, "audio_tokens": audio_tokens},
        "output_tokens": output_tokens,
        "total_tokens": audio_tokens + text_tokens + output_tokens,
    }


def usage(text: str, request: TranscriptionRequest) -> dict[str, Any]:
    """``usage`` of a JSON answer: by duration for whisper-1, else in tokens."""
    if request.model == "whisper-1":
        return {"type": "duration", "seconds": math.ceil(request.seconds)}
    return token_usage(text, request)


def _clock(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def subtitles(text: str, request: TranscriptionRequest) -> str:
    """The ``srt`` or ``vtt`` body."""
    vtt = request.response_format == "vtt"
    blocks = []
    for i, seg in enumerate(segments(text, request), start=1):
        sep = "." if vtt else ","
        cue = f"{_clock(seg.start, sep)} --> {_clock(seg.end, sep)}\n{seg.text}\n"
        blocks.append(cue if vtt else f"{i}\n{cue}")
    return ("WEBVTT\n\n" if vtt else "") + "\n".join(blocks) + "\n"


def _verbose(text: str, request: TranscriptionRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "task": "transcribe",
        "language": _LANGUAGES.get(request.language or "en", request.language),
        "duration": round(request.seconds, 3),
        "text": text,
    }
    granularities = request.timestamp_granularities or ("segment",)
    if "segment" in granularities:
        body["segments"] = [
            {"id": i, "seek": 0, "start": s.start, "end": s.end, "text": s.text,
             "tokens": [ord(c) for c in s.text[:16]], "temperature": request.temperature or 0.0,
             "avg_logprob": -0.1, "compression_ratio": 1.0, "no_speech_prob": 0.01}
            for i, s in enumerate(segments(text, request))
        ]
    if "word" in granularities:
        body["words"] = [{"word": w.text, "start": w.start, "end": w.end}
                         for w in words(text, request)]
    body["usage"] = {"type": "duration", "seconds": math.ceil(request.seconds)}
    return body


def _speaker(request: TranscriptionRequest) -> str:
    return request.speaker_names[0] if request.speaker_names else "A"


def diarized_segments(text: str, request: TranscriptionRequest) -> list[dict[str, Any]]:
    """``transcript.text.segment`` objects: every sentence, said by one speaker."""
    return [{"type": "transcript.text.segment", "id": f"seg_{i:03d}", "start": s.start,
             "end": s.end, "text": s.text, "speaker": _speaker(request)}
            for i, s in enumerate(segments(text, request))]


def answer(text: str, request: TranscriptionRequest) -> tuple[str, Any]:
    """The non-streamed answer: (``"text"``, a str) or (``"json"``, an object)."""
    fmt = request.response_format
    if fmt == "text":
        return "text", text
    if fmt in ("srt", "vtt"):
        return "text", subtitles(text, request)
    if fmt == "verbose_json":
        return "json", _verbose(text, request)
    if fmt == "diarized_json":
        return "json", {"task": "transcribe", "duration": round(request.seconds, 3),
                        "text": text, "segments": diarized_segments(text, request),
                        "usage": usage(text, request)}
    body: dict[str, Any] = {"text": text}
    if request.include_logprobs:
        body["logprobs"] = logprobs(text_pieces(text))
    body["usage"] = usage(text, request)
    return "json", body


def stream_events(text: str, request: TranscriptionRequest) -> Iterator[dict[str, Any]]:
    """The SSE events of a streamed transcription: deltas (with their logprobs when asked
    for; with a ``segment_id`` and then the segments for the diarize model), then
    ``transcript.text.done`` with usage in tokens."""
    diarize = request.model == "gpt-4o-transcribe-diarize"
    pieces = text_pieces(text)
    for piece in pieces:
        event: dict[str, Any] = {"type": "transcript.text.delta", "delta": piece}
        if request.include_logprobs:
            event["logprobs"] = logprobs([piece])
        if diarize:
            event["segment_id"] = "seg_000"
        yield event
    if diarize:
        yield from diarized_segments(text, request)
    done: dict[str, Any] = {"type": "transcript.text.done", "text": text}
    if request.include_logprobs:
        done["logprobs"] = logprobs(pieces)
    done["usage"] = token_usage(text, request)
    yield done
