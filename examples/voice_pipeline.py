"""A voice pipeline (speech-to-text -> workflow -> text-to-speech): one spoken question, a
greeting turn, then the spoken answer; each turn's audio is saved as a WAV file."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

from _audio import save_wav, spoken, wav_pcm
from _common import LiveGuard, connect, run_example, say, summary
from _voice import check_turns, play, start_pipeline

import voice_actors as va

QUESTION = "What time does the library open?"
GREETING = "Hello! I am listening."


def answer(transcript: str) -> Iterator[str]:
    """The workflow: echo what was heard, in two sentences."""
    say(f"[user] {transcript}")
    reply = [f"You said: {transcript}", " Thanks for asking."]
    say(f"[agent] {''.join(reply)}")
    yield from reply


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of this example."""
    parser.add_argument("--wav", default=None, help="a WAV file with the spoken question")


def main(args: argparse.Namespace) -> int:
    """One run: greeting turn, then the answer to the question."""
    workflow = va.SimpleWorkflow(answer, greeting=GREETING)
    with connect(args) as target:
        guard = LiveGuard(target)
        pcm = wav_pcm(args.wav) if args.wav else spoken(QUESTION, target, guard)
        with start_pipeline(workflow, target, "voice_pipeline") as pipeline:
            result = pipeline.run(va.AudioInput.from_pcm(pcm))
            turns = play(result, guard, target.timeout_s * 2)
    check_turns(turns, 2)
    for number, audio in enumerate(turns, start=1):
        save_wav(args.out, f"voice_pipeline_turn{number}.wav", audio)
    say(summary(turns=len(turns), audio_ms=sum(len(t) for t in turns) // 48))
    return 0


if __name__ == "__main__":
    sys.exit(run_example(main, __doc__ or "", add_arguments))
