"""The realtime-actors client: ``realtime_actors.run`` with a subscriber actor.

Events are taken where an application gets them: in the ``on_receive`` of a pykka actor
subscribed to the session. Modes: ``ingest``, ``latency`` and ``send``; prints one result
line. (The concurrency workload is in :mod:`client_lib_many`.)
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from typing import Any

import pykka
from common import (
    BENCH_KEY,
    BYTES_PER_MS,
    BenchError,
    emit_result,
    latency_summary,
    now_ns,
    read_stamp,
)

import realtime_actors as rt

WAIT_S = 120.0


class Stats:
    """What a collector saw (written by the actor thread, read after ``done`` is set)."""

    def __init__(self, expected: int, skip: int) -> None:
        self.expected = expected
        self.skip = skip
        self.done = threading.Event()
        self.count = 0
        self.first = 0
        self.last = 0
        self.latencies: list[int] = []


class Collector(rt.PooledActor):
    """Subscriber: counts audio events and keeps their send -> receipt latencies."""

    guest_runs = True  # quick and never blocking: it may run on the reactor

    def __init__(self, stats: Stats) -> None:
        super().__init__()
        self.stats = stats

    def on_receive(self, message: Any) -> None:
        """Record an ``AudioEvent``; other events are ignored."""
        if isinstance(message, rt.AudioEvent):
            t = now_ns()
            s = self.stats
            if s.count == 0:
                s.first = t
            s.last = t
            if s.count >= s.skip:
                s.latencies.append(t - read_stamp(message.data))
            s.count += 1
            if s.count >= s.expected:
                s.done.set()


def start_session(url: str, raw_events: bool, subscribers: list[Any],
                  event_buffer: int | None = None) -> rt.Session:
    """``rt.run`` against the bench server (the subscribers get every event).

    ``event_buffer`` None keeps the library's default ``Session.events()`` buffer."""
    agent = rt.agent(name="bench", instructions="You are a benchmark.")
    config = rt.RunConfig(raw_events=raw_events)
    if event_buffer is not None:
        config = rt.RunConfig(raw_events=raw_events, event_buffer=event_buffer)
    return rt.run(agent, config=config,
                  model_config=rt.ModelConfig(url=url, api_key=BENCH_KEY),
                  subscribers=subscribers)


def collect(url: str, expected: int, skip: int, raw_events: bool) -> Stats:
    """Run one session until ``expected`` audio events arrived; returns what was seen."""
    stats = Stats(expected, skip)
    ref = Collector.start(stats)
    session = start_session(url, raw_events, [ref])
    try:
        if not stats.done.wait(WAIT_S):
            raise BenchError(f"only {stats.count} of {expected} audio events arrived in "
                             f"{WAIT_S}s")
    finally:
        session.close()
        ref.stop(timeout=10)
    return stats


def ingest(url: str, n: int, raw_events: bool) -> dict[str, object]:
    """Events per second delivered to the subscriber, first delta to last."""
    c = collect(url, n, sys.maxsize, raw_events)
    rate = (c.count - 1) / ((c.last - c.first) / 1e9) if c.count > 1 else 0.0
    return {"events": c.count, "events_per_s": rate}


def latency(url: str, n: int, skip: int, raw_events: bool) -> dict[str, object]:
    """Send -> subscriber receipt latency of a paced stream."""
    c = collect(url, n, skip, raw_events)
    return {"events": c.count, **latency_summary(c.latencies)}


def send(url: str, audio_s: float, chunk_ms: int) -> dict[str, object]:
    """``Session.send_audio`` throughput in seconds of audio per second, until the server
    confirms the commit (``input_audio_buffer.committed`` as a raw model event)."""
    session = start_session(url, True, [])
    try:
        session.wait_for(lambda e: isinstance(e, rt.RawModelEvent)
                         and getattr(e.event, "type", "") == "session.updated", timeout=10)
        chunk = bytes(chunk_ms * BYTES_PER_MS)
        chunks = int(audio_s * 1000 / chunk_ms)
        t0 = now_ns()
        for _ in range(chunks):
            try:
                session.send_audio(chunk)
            except rt.QueueFullError:  # outran the socket: wait for room, as a producer does
                if not session.wait_sendable(30):
                    raise
                session.send_audio(chunk)
        session.send_audio(b"", commit=True, respond=False)
        event = session.wait_for(
            lambda e: isinstance(e, rt.RawModelEvent)
            and getattr(e.event, "type", "") == "input_audio_buffer.committed", timeout=60)
        t1 = now_ns()
    finally:
        session.close()
    event_id = str(getattr(event.event, "event_id", ""))  # type: ignore[attr-defined]
    received = int(event_id.removeprefix("event_n"))
    if received != chunks * len(chunk):
        raise BenchError(f"server got {received} bytes, {chunks * len(chunk)} were sent")
    wall = (t1 - t0) / 1e9
    return {"audio_s": chunks * chunk_ms / 1000, "wall_s": wall,
            "audio_s_per_s": chunks * chunk_ms / 1000 / wall}


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("ingest", "latency", "send"))
    parser.add_argument("--url", required=True)
    parser.add_argument("--n", type=int, default=1000, help="audio events to expect")
    parser.add_argument("--skip", type=int, default=10, help="latency: warm-up events ignored")
    parser.add_argument("--raw-events", action="store_true",
                        help="RunConfig(raw_events=True): also a RawModelEvent per frame")
    parser.add_argument("--audio-s", type=float, default=30.0)
    parser.add_argument("--chunk-ms", type=int, default=20)
    args = parser.parse_args()
    raw = args.raw_events
    logging.basicConfig(level=logging.WARNING)
    try:
        if args.mode == "ingest":
            result = ingest(args.url, args.n, raw)
        elif args.mode == "latency":
            result = latency(args.url, args.n, args.skip, raw)
        else:
            result = send(args.url, args.audio_s, args.chunk_ms)
    finally:
        pykka.ActorRegistry.stop_all(timeout=10)
    emit_result({"client": "lib-raw" if raw else "lib", "mode": args.mode, **result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
