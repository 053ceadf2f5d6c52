"""Voice pipeline overhead: end of input -> first audio event, minus the simulator's own time.

Against the embedded simulator's REST endpoints (its own process), each repetition runs:

- the ``voice_actors`` Pipeline on one utterance whose workflow streams a three-sentence reply
  word by word (an LLM stream with no think time): time from ``Pipeline.run`` (all input is
  there) to the first ``VoiceStreamEventAudio`` out of ``result.stream()``;
- the same two requests from a bare ``requests`` client: the transcription, then the speech
  of the first sentence up to its first audio chunk. That is the simulator's own STT + TTS
  time plus the least any client pays; the difference is what the pipeline adds.

The bare requests are made twice: on a keep-alive ``requests.Session`` (the floor) and with
plain ``requests.post`` (a new connection per request, as the pipeline's client does).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
from collections.abc import Iterator

import requests
from common import BENCH_KEY, emit_result, now_ns

import voice_actors as va
from realtime_actors.audio.pcm import write_wav
from realtime_actors.simulator.speech_codec import synthesize

USER_TEXT = "What will the weather be like tomorrow?"
REPLY = ("It will be sunny tomorrow with a light breeze from the west. "
         "Temperatures should reach about twenty degrees in the afternoon. "
         "You will not need an umbrella.")
STT = va.STTSettings(model="gpt-4o-transcribe")
TTS = va.TTSSettings(model="gpt-4o-mini-tts", voice="nova")
CHUNK_BYTES = 4800


def reply_stream(transcript: str) -> Iterator[str]:
    """The workflow: the reply, one word at a time (as a model streams it)."""
    if not transcript.strip():
        raise ValueError("empty transcript")
    for word in REPLY.split(" "):
        yield word + " "


def first_sentence() -> str:
    """The text the pipeline sends to TTS first."""
    splitter = va.SentenceSplitter(TTS.min_sentence_chars)
    for fragment in reply_stream(USER_TEXT):
        ready = splitter.feed(fragment)
        if ready:
            return ready[0]
    raise ValueError("the reply has no complete sentence")


def pipeline_first_audio(pipeline: va.Pipeline, audio: va.AudioInput) -> tuple[float, float]:
    """(ms to the first audio event, ms to the end of the run)."""
    t0 = now_ns()
    result = pipeline.run(audio)
    first = 0
    for event in result.stream(timeout=30):
        if isinstance(event, va.VoiceStreamEventAudio) and not first:
            first = now_ns()
        elif isinstance(event, va.VoiceStreamEventError):
            raise RuntimeError(f"voice run failed: {event.error}")
    if not first:
        raise RuntimeError("the voice run produced no audio")
    return (first - t0) / 1e6, (now_ns() - t0) / 1e6


def bare_stt_tts(post: object, base_url: str, wav: bytes, sentence: str) -> tuple[float, float]:
    """(ms of the transcription request, ms to the first chunk of the first sentence)."""
    headers = {"Authorization": f"Bearer {BENCH_KEY}"}
    t0 = now_ns()
    r = post(f"{base_url}/audio/transcriptions", headers=headers,  # type: ignore[operator]
             data={"model": STT.model}, files={"file": ("audio.wav", wav, "audio/wav")},
             timeout=30)
    r.raise_for_status()
    if r.json()["text"] != USER_TEXT:
        raise RuntimeError(f"unexpected transcript {r.json()['text']!r}")
    t1 = now_ns()
    body = {"model": TTS.model, "input": sentence, "voice": TTS.voice, "response_format": "pcm",
            "instructions": TTS.instructions}
    with post(f"{base_url}/audio/speech", headers=headers, json=body,  # type: ignore[operator]
              stream=True, timeout=30) as r:
        r.raise_for_status()
        next(r.iter_content(chunk_size=CHUNK_BYTES))
        t2 = now_ns()
        for _ in r.iter_content(chunk_size=65536):
            pass
    return (t1 - t0) / 1e6, (t2 - t1) / 1e6


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rest-url", required=True, help="the simulator's .../v1 URL")
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    wav = write_wav(synthesize(USER_TEXT), 24000)
    audio = va.AudioInput.from_wav(wav)
    sentence = first_sentence()
    config = va.VoicePipelineConfig(stt_settings=STT, tts_settings=TTS)
    pipeline = va.Pipeline.start(workflow=va.SimpleWorkflow(reply_stream), config=config,
                                 base_url=args.rest_url, api_key=BENCH_KEY)
    keepalive = requests.Session()
    runs: list[dict[str, float]] = []
    try:
        pipeline_first_audio(pipeline, audio)  # warm-up (imports, first connections)
        bare_stt_tts(keepalive.post, args.rest_url, wav, sentence)
        bare_stt_tts(requests.post, args.rest_url, wav, sentence)
        for _ in range(args.reps):
            first_ms, total_ms = pipeline_first_audio(pipeline, audio)
            stt_ms, tts_ms = bare_stt_tts(keepalive.post, args.rest_url, wav, sentence)
            stt_new_ms, tts_new_ms = bare_stt_tts(requests.post, args.rest_url, wav, sentence)
            runs.append({
                "first_audio_ms": first_ms, "run_total_ms": total_ms,
                "bare_stt_ms": stt_ms, "bare_tts_first_ms": tts_ms,
                "bare_new_conn_ms": stt_new_ms + tts_new_ms,
                "overhead_ms": first_ms - (stt_ms + tts_ms),
                "overhead_vs_new_conn_ms": first_ms - (stt_new_ms + tts_new_ms),
            })
    finally:
        keepalive.close()
        pipeline.stop()
    emit_result({
        "client": "voice", "mode": "voice", "reps": len(runs), "runs": runs,
        "overhead_ms": statistics.median(r["overhead_ms"] for r in runs),
        "first_audio_ms": statistics.median(r["first_audio_ms"] for r in runs),
        "bare_ms": statistics.median(r["bare_stt_ms"] + r["bare_tts_first_ms"] for r in runs),
        "first_sentence": sentence,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
