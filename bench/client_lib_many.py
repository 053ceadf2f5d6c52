"""Concurrency workload for realtime-actors: many sessions streaming audio both ways.

Each session gets 50 deltas/s of 40 ms from the server and appends 20 ms chunks at real
time through ``Session.send_audio`` (feeder threads, 10 sessions each, on an absolute
schedule; or, with ``--feeder reactor``, feeder actors on the library's reactor thread, as the
Agents SDK's feeder runs on its event loop). Every session has its own subscriber actor, a
quick one (``guest_runs = True``: it may run where its events are read). Starts are spread
over ``--ramp-s`` with random phase, from 8 starter threads (so a slow ``rt.run`` does not
stretch the ramp); latencies are kept for events received in the measurement window.
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pykka
from client_lib import start_session
from common import (
    BYTES_PER_MS,
    emit_result,
    latency_summary,
    now_ns,
    read_stamp,
    rss_bytes,
    thread_count,
)

import realtime_actors as rt
from realtime_actors.runtime.tell import tell_if_alive

logger = logging.getLogger("bench.lib_many")

SESSIONS_PER_FEEDER = 10
STARTERS = 8
CHUNK_MS = 20


class Window:
    """The measurement window (monotonic ns; nothing is recorded until it is set)."""

    def __init__(self) -> None:
        self.start = sys.maxsize
        self.end = sys.maxsize


class WindowCollector(rt.PooledActor):
    """Subscriber of one session: latencies of the audio events received in the window."""

    guest_runs = True  # quick and never blocking: it may run on the reactor

    def __init__(self, window: Window, latencies: list[int]) -> None:
        super().__init__()
        self.window = window
        self.latencies = latencies

    def on_receive(self, message: Any) -> None:
        """Record an ``AudioEvent`` received inside the window."""
        if isinstance(message, rt.AudioEvent):
            t = now_ns()
            if self.window.start <= t < self.window.end:
                self.latencies.append(t - read_stamp(message.data))


class FeedState:
    """What a feeder keeps: its sessions, the chunk, the counts, the absolute schedule."""

    def __init__(self, window: Window) -> None:
        self.window = window
        self.sessions: list[rt.Session] = []
        self.sent = 0
        self.errors = 0
        self.chunk = bytes(CHUNK_MS * BYTES_PER_MS)
        self.period = CHUNK_MS / 1000
        self.start_at = time.monotonic() + random.random() * self.period
        self.k = 0

    def delay(self) -> float:
        """Seconds until the next chunk is due (negative: late)."""
        return self.start_at + self.k * self.period - time.monotonic()

    def append_all(self) -> None:
        """One chunk to every session; a session that refuses it is dropped and counted."""
        for session in list(self.sessions):
            try:
                session.send_audio(self.chunk)
            except rt.RealtimeError as exc:
                logger.warning("send_audio failed, dropping the session: %s", exc)
                self.errors += 1
                self.sessions.remove(session)
                continue
            if self.window.start <= now_ns() < self.window.end:
                self.sent += 1
        self.k += 1


class Feeder(threading.Thread):
    """Appends one 20 ms chunk per session every 20 ms (absolute schedule, random phase)."""

    def __init__(self, window: Window, stop: threading.Event, index: int) -> None:
        super().__init__(name=f"bench-feeder-{index}", daemon=True)
        self.stop_flag = stop
        self.feed = FeedState(window)

    def run(self) -> None:
        """Feed until stopped."""
        while not self.stop_flag.is_set():
            delay = self.feed.delay()
            if delay > 0 and self.stop_flag.wait(delay):
                return
            self.feed.append_all()


class _Tick:
    """Self-message of a ReactorFeeder: time for the next chunk."""


class ReactorFeeder(rt.PooledActor):
    """A :class:`Feeder` as a quick actor on the reactor thread, paced by reactor timers."""

    actor_pool = rt.reactor()

    def __init__(self, window: Window, stop: threading.Event, index: int) -> None:
        super().__init__()
        self.stop_flag = stop
        self.feed = FeedState(window)

    def on_start(self) -> None:
        """Schedule the first tick."""
        self._schedule()

    def _schedule(self) -> None:
        ref = self.actor_ref

        def tick() -> None:
            tell_if_alive(ref, _Tick(), logger, "feeder stopped before its tick")

        rt.reactor().call_later(max(0.0, self.feed.delay()), tick)

    def on_receive(self, message: Any) -> None:
        """Append every chunk that is due (as the thread feeder does when it wakes up late),
        then schedule the next tick."""
        if not isinstance(message, _Tick) or self.stop_flag.is_set():
            return
        while self.feed.delay() <= 0:
            self.feed.append_all()
        self._schedule()

    def add(self, session: rt.Session) -> None:
        """Feed ``session`` too (a message: only the actor touches its list)."""
        self.feed.sessions.append(session)

    def counts(self) -> tuple[int, int]:
        """Chunks sent in the window, sessions dropped."""
        return self.feed.sent, self.feed.errors


def many(url: str, sessions: int, ramp_s: float, settle_s: float,
         window_s: float, lean: bool = False, feeder: str = "threads") -> dict[str, object]:
    """Start ``sessions`` over ``ramp_s``, measure during ``window_s`` after ``settle_s``.

    Sessions run with the default ``RunConfig`` (with a subscriber and nobody reading
    ``Session.events()``, its buffer keeps no audio and at most ``event_buffer_unread_bytes`` of
    other events); ``lean``: ``RunConfig(event_buffer=0)``, no buffer at all."""
    base_rss, base_threads = rss_bytes(), thread_count()
    window = Window()
    stop = threading.Event()
    count = math.ceil(sessions / SESSIONS_PER_FEEDER)
    feeders = [Feeder(window, stop, i) for i in range(count)] if feeder == "threads" else []
    for thread in feeders:
        thread.start()
    actors = [ReactorFeeder.start(window, stop, i).proxy()
              for i in range(count)] if feeder == "reactor" else []

    def feed(i: int, session: rt.Session) -> None:
        if actors:
            actors[i // SESSIONS_PER_FEEDER].add(session).get()
        else:
            feeders[i // SESSIONS_PER_FEEDER].feed.sessions.append(session)

    per_session: list[list[int]] = [[] for _ in range(sessions)]
    started: list[rt.Session] = []
    half: list[int] = []
    lock = threading.Lock()
    t0 = time.monotonic()

    def start_one(i: int) -> None:
        delay = t0 + ramp_s * (i + random.random()) / sessions - time.monotonic()
        if delay > 0:
            time.sleep(delay)  # pacing the starts, not waiting for a result
        collector = WindowCollector.start(window, per_session[i])
        session = start_session(url, False, [collector], 0 if lean else None)
        with lock:
            started.append(session)
            feed(i, session)
            if len(started) == sessions // 2:
                half.extend((rss_bytes(), thread_count()))

    with ThreadPoolExecutor(max_workers=STARTERS, thread_name_prefix="bench-starter") as pool:
        list(pool.map(start_one, range(sessions)))
    half_rss, half_threads = half or (0, 0)
    ramp_took = time.monotonic() - t0
    stop.wait(settle_s)
    window.start = now_ns()
    window.end = window.start + int(window_s * 1e9)
    stop.wait(window_s / 2)
    rss, threads = rss_bytes(), thread_count()
    # the bench's own threads alive at that moment (feeder threads; subscribers and reactor
    # feeders are pooled actors)
    own_threads = sum(1 for t in threading.enumerate() if t.name.startswith("bench-"))
    stop.wait(max(0.0, (window.end - now_ns()) / 1e9) + 0.2)
    stop.set()
    for thread in feeders:
        thread.join(timeout=10)
    counts = [a.counts().get() for a in actors] + [(f.feed.sent, f.feed.errors) for f in feeders]
    for actor in actors:
        actor.stop()
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda s: s.close(timeout=10), started))
    all_latencies = [v for lat in per_session for v in lat]
    expected = int(sessions * window_s * 50)
    return {
        "sessions": sessions, "ramp_s": ramp_took, "window_s": window_s,
        "expected_events": expected, "events": len(all_latencies),
        "sent_chunks": sum(sent for sent, _ in counts), "expected_chunks": expected,
        "base_rss": base_rss, "rss": rss, "base_threads": base_threads, "threads": threads,
        "half_sessions": sessions // 2, "half_rss": half_rss, "half_threads": half_threads,
        "bench_threads": own_threads,
        "session_errors": sum(errors for _, errors in counts)
        + sum(1 for lat in per_session if not lat),
        **latency_summary(all_latencies),
    }


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--ramp-s", type=float, default=1.0)
    parser.add_argument("--settle-s", type=float, default=1.0)
    parser.add_argument("--window-s", type=float, default=4.0)
    parser.add_argument("--lean", action="store_true",
                        help="RunConfig(event_buffer=0): no Session.events() buffer")
    parser.add_argument("--feeder", choices=("threads", "reactor"), default="threads",
                        help="feeder threads, or feeder actors on the library's reactor")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    try:
        result = many(args.url, args.sessions, args.ramp_s, args.settle_s, args.window_s,
                      args.lean, args.feeder)
    finally:
        pykka.ActorRegistry.stop_all(timeout=10)
    client = "lib_lean" if args.lean else "lib"
    if args.feeder == "reactor":
        client += "_reactor_feeder"
    emit_result({"client": client, "mode": "many", **result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
