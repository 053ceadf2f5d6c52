"""Listener actors: several pykka actors subscribed to one realtime session.

- ``TranscriptLogger`` prints the conversation as it is transcribed;
- ``WavWriter`` collects the output audio and writes it to a WAV file;
- ``MetricsActor`` counts events by type and measures per-turn latency (time to the first
  audio chunk and to the end of the response).

The script drives two spoken-reply turns, closes the session, collects each actor's result
and stops the actors.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import attrs
import pykka
from _audio import BYTES_PER_MS, save_wav
from _common import ExampleFailure, LiveGuard, connect, run_example, say, summary
from _events import EventPrinter, run_turn

import realtime_actors as rt
from realtime_actors.simulator import ReplyContext, Scenario

QUESTIONS = ["Tell me a fun fact about owls.", "And one about octopuses?"]
FACTS = {
    "owl": "Owls cannot move their eyes, so they turn their heads instead.",
    "octopus": "An octopus has three hearts.",
}


def scripted_reply(ctx: ReplyContext) -> str:
    """Offline only: the simulated model's fun facts."""
    lowered = ctx.user_text.lower()
    return next((fact for key, fact in FACTS.items() if key in lowered), "I know no fact.")
ASK_TIMEOUT_S = 10.0


@attrs.frozen(kw_only=True)
class TurnSent:
    """Told to the metrics actor when the user's turn is sent (the latency's start)."""

    at: float


class TranscriptLogger(pykka.ThreadingActor):
    """Prints every completed transcript (user and assistant) and keeps them in order."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def on_receive(self, message: Any) -> None:
        """Log completed transcripts; other events are ignored."""
        if isinstance(message, rt.TranscriptCompletedEvent):
            line = f"{message.role}: {message.transcript}"
            self.lines.append(line)
            say(f"[transcript] {line}")

    def transcript(self) -> list[str]:
        """The lines logged so far."""
        return list(self.lines)


class WavWriter(pykka.ThreadingActor):
    """Collects output audio chunks; :meth:`write` saves them as one WAV file."""

    def __init__(self, out_dir: Path, name: str) -> None:
        super().__init__()
        self.out_dir = out_dir
        self.name = name
        self.pcm = bytearray()
        self.chunks = 0
        self.item_bytes = 0

    def on_receive(self, message: Any) -> None:
        """Keep the audio of ``AudioEvent`` messages; print each finished audio item."""
        if isinstance(message, rt.AudioEvent):
            self.pcm.extend(message.data)
            self.chunks += 1
            self.item_bytes += len(message.data)
        elif isinstance(message, rt.AudioEndEvent):
            say(f"[audio] {self.item_bytes} bytes ({self.item_bytes // BYTES_PER_MS} ms) "
                f"for item {message.item_id}")
            self.item_bytes = 0

    def write(self) -> tuple[str, int, int]:
        """Write the WAV file; returns (path, chunks, milliseconds)."""
        path = save_wav(self.out_dir, self.name, bytes(self.pcm))
        return str(path), self.chunks, len(self.pcm) // BYTES_PER_MS


class MetricsActor(pykka.ThreadingActor):
    """Counts events by type and measures each turn's latency."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()
        self.sent_at: float | None = None
        self.audio_seen = False
        self.first_audio_ms: list[float] = []
        self.response_ms: list[float] = []

    def on_receive(self, message: Any) -> None:
        """Count session events; time the turns started by :class:`TurnSent`."""
        if isinstance(message, TurnSent):
            self.sent_at, self.audio_seen = message.at, False
            return
        self.counts[type(message).__name__] += 1
        if self.sent_at is None:
            return
        elapsed_ms = (time.monotonic() - self.sent_at) * 1000
        if isinstance(message, rt.AudioEvent) and not self.audio_seen:
            self.audio_seen = True
            self.first_audio_ms.append(elapsed_ms)
        elif isinstance(message, rt.AgentEndEvent):
            self.response_ms.append(elapsed_ms)
            self.sent_at = None

    def report(self) -> dict[str, Any]:
        """Counts and latencies so far."""
        return {
            "events": sum(self.counts.values()),
            "by_type": dict(self.counts.most_common()),
            "first_audio_ms": list(self.first_audio_ms),
            "response_ms": list(self.response_ms),
        }


def _mean(values: list[float]) -> str:
    return f"{sum(values) / len(values):.0f}" if values else "n/a"


def main(args: argparse.Namespace) -> int:
    """Start the listeners, run two turns, close the session, report, stop the listeners."""
    assistant = rt.agent("FactBot", instructions="Answer with one short fun fact.")
    settings = rt.SessionModelSettings(output_modalities=["audio"], voice="alloy")
    config = rt.RunConfig(model_settings=settings, raw_events=False)
    logger_ref = TranscriptLogger.start()
    writer_ref = WavWriter.start(args.out, "listener_actors_reply.wav")
    metrics_ref = MetricsActor.start()
    listeners = (logger_ref, writer_ref, metrics_ref)
    try:
        with connect(args, Scenario(reply=scripted_reply)) as target:
            guard = LiveGuard(target)
            try:
                session = rt.run(assistant, config=config, model_config=target.model_config,
                                 subscribers=listeners)
            except rt.RealtimeError as err:
                raise guard.fail(err, "the session could not start") from err
            with session:  # the listeners print the events; the main loop only counts them
                printer = EventPrinter(echo_events=False)
                for text in QUESTIONS:
                    metrics_ref.tell(TurnSent(at=time.monotonic()))
                    run_turn(session, text, printer, guard, target.timeout_s)
        # The session has stopped: every event it told is already in the listeners' inboxes,
        # ahead of these asks.
        lines = logger_ref.proxy().transcript().get(timeout=ASK_TIMEOUT_S)
        path, chunks, audio_ms = writer_ref.proxy().write().get(timeout=ASK_TIMEOUT_S)
        report = metrics_ref.proxy().report().get(timeout=ASK_TIMEOUT_S)
    finally:
        for ref in listeners:
            ref.stop(timeout=ASK_TIMEOUT_S)
    say(f"[metrics] {report['events']} events: {report['by_type']}")
    say(f"[metrics] first audio after {_mean(report['first_audio_ms'])} ms on average, "
        f"response done after {_mean(report['response_ms'])} ms")
    if chunks == 0:
        raise ExampleFailure("the WAV writer got no audio")
    say(summary(turns=printer.turns, listeners=len(listeners), transcripts=len(lines),
                events=report["events"], audio_chunks=chunks, audio_ms=audio_ms,
                wav=Path(path).name))
    return 0 if printer.turns == len(QUESTIONS) else 1


if __name__ == "__main__":
    sys.exit(run_example(main, __doc__ or ""))
