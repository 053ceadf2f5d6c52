"""Multi-turn voice: audio streamed in 100 ms chunks is cut into turns by voice activity
detection; each turn is answered in order, with a workflow that remembers the conversation."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Iterator

from _audio import chunks, save_wav, silence, spoken
from _common import LiveGuard, connect, run_example, say, summary
from _voice import check_turns, play, start_pipeline

import voice_actors as va

UTTERANCES = ["Good morning.", "I would like a coffee.", "Make it a large one."]
GREETING = "Hi! Tell me what you need."


class CounterWorkflow(va.VoiceWorkflowBase):
    """Answers each turn and remembers how many it heard."""

    def __init__(self) -> None:
        self.heard: list[str] = []

    def on_start(self) -> list[str]:
        """The greeting turn."""
        return [GREETING]

    def run(self, transcript: str) -> Iterator[str]:
        """Echo the transcript with the turn number."""
        self.heard.append(transcript)
        reply = f"Turn {len(self.heard)}: you said {transcript}"
        say(f"[user] {transcript}")
        say(f"[agent] {reply}")
        yield reply


def feed(stream: va.StreamedAudioInput, audio: bytes) -> None:
    """Add the audio in 100 ms chunks, as a microphone would (without the waiting), then
    close the input."""
    try:
        for chunk in chunks(audio):
            stream.add(chunk)
    finally:
        stream.close()


def main(args: argparse.Namespace) -> int:
    """Three spoken turns in one stream, plus the greeting turn."""
    workflow = CounterWorkflow()
    with connect(args) as target:
        guard = LiveGuard(target)
        audio = silence(300) + b"".join(
            spoken(text, target, guard) + silence(1000) for text in UTTERANCES)
        stream = va.StreamedAudioInput(va.VADSettings(silence_ms=400))
        with start_pipeline(workflow, target, "voice_multi_turn") as pipeline:
            result = pipeline.run(stream)
            feeder = threading.Thread(target=feed, args=(stream, audio), name="mic-feeder")
            feeder.start()
            try:
                turns = play(result, guard, target.timeout_s * 4)
            finally:
                stream.close()
                feeder.join()
    check_turns(turns, len(UTTERANCES) + 1)
    for number, pcm in enumerate(turns, start=1):
        save_wav(args.out, f"voice_multi_turn_turn{number}.wav", pcm)
    say(summary(turns=len(turns), heard=len(workflow.heard),
                  audio_ms=sum(len(t) for t in turns) // 48))
    return 0


if __name__ == "__main__":
    sys.exit(run_example(main, __doc__ or ""))
