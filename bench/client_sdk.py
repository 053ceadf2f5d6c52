"""The OpenAI Agents SDK client: ``RealtimeRunner`` / ``RealtimeSession`` on one asyncio loop.

Runs in its own virtualenv (``bench/.venv-agents``, with ``openai-agents``); events are taken
where an SDK application gets them, from ``async for event in session``. Modes: ``ingest``,
``latency``, ``send`` and ``many`` (the concurrency workload); prints one result line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from typing import Any

os.environ.setdefault("OPENAI_AGENTS_DISABLE_TRACING", "1")

from agents import set_tracing_disabled
from agents.realtime import RealtimeAgent, RealtimeRunner, RealtimeSession
from common import (
    BENCH_KEY,
    BYTES_PER_MS,
    BenchError,
    emit_result,
    latency_summary,
    now_ns,
    read_stamp,
    rss_bytes,
    thread_count,
)

WAIT_S = 120.0
set_tracing_disabled(True)


def runner() -> RealtimeRunner:
    """A runner for a minimal agent, tracing off."""
    agent = RealtimeAgent(name="bench", instructions="You are a benchmark.")
    return RealtimeRunner(agent, config={"tracing_disabled": True})


async def open_session(url: str) -> RealtimeSession:
    """A session on the bench server (not yet entered)."""
    return await runner().run(model_config={
        "api_key": BENCH_KEY, "url": url,
        "initial_model_settings": {"model_name": "gpt-realtime"}})


async def collect(url: str, expected: int, skip: int) -> tuple[int, int, int, list[int]]:
    """Iterate the session until ``expected`` audio events: (count, first, last, latencies)."""
    session = await open_session(url)
    count = first = last = 0
    latencies: list[int] = []
    async with session:
        async for event in session:
            if event.type != "audio":
                continue
            t = now_ns()
            if count == 0:
                first = t
            last = t
            if count >= skip:
                latencies.append(t - read_stamp(event.audio.data))
            count += 1
            if count >= expected:
                break
    return count, first, last, latencies


async def ingest(url: str, n: int) -> dict[str, object]:
    """Events per second out of ``async for``, first delta to last."""
    count, first, last, _ = await asyncio.wait_for(collect(url, n, sys.maxsize), WAIT_S)
    rate = (count - 1) / ((last - first) / 1e9) if count > 1 else 0.0
    return {"events": count, "events_per_s": rate}


async def latency(url: str, n: int, skip: int) -> dict[str, object]:
    """Send -> ``async for`` latency of a paced stream."""
    count, _, _, latencies = await asyncio.wait_for(collect(url, n, skip), WAIT_S)
    return {"events": count, **latency_summary(latencies)}


async def send(url: str, audio_s: float, chunk_ms: int) -> dict[str, object]:
    """``send_audio`` throughput until the server confirms the commit."""
    session = await open_session(url)
    chunk = bytes(chunk_ms * BYTES_PER_MS)
    chunks = int(audio_s * 1000 / chunk_ms)
    async with session:
        events = session.__aiter__()
        await _until_raw(events, "session.updated")
        t0 = now_ns()
        for _ in range(chunks):
            await session.send_audio(chunk)
        await session.send_audio(b"", commit=True)
        committed = await _until_raw(events, "input_audio_buffer.committed")
        t1 = now_ns()
    received = int(str(committed.get("event_id", "")).removeprefix("event_n"))
    if received != chunks * len(chunk):
        raise BenchError(f"server got {received} bytes, {chunks * len(chunk)} were sent")
    wall = (t1 - t0) / 1e9
    return {"audio_s": chunks * chunk_ms / 1000, "wall_s": wall,
            "audio_s_per_s": chunks * chunk_ms / 1000 / wall}


async def _until_raw(events: Any, kind: str) -> dict[str, Any]:
    """The first raw server event of type ``kind`` (its JSON dict)."""
    async def find() -> dict[str, Any]:
        async for event in events:
            if event.type != "raw_model_event" or event.data.type != "raw_server_event":
                continue
            if event.data.data.get("type") == kind:
                return event.data.data
        raise BenchError(f"session ended before {kind}")

    return await asyncio.wait_for(find(), WAIT_S)


class Window:
    """The measurement window of the concurrency run (monotonic ns; empty until set)."""

    start = sys.maxsize
    end = sys.maxsize


async def many_one(url: str, window: Window, latencies: list[int], counts: list[int],
                   sent: list[int], chunk: bytes, stop: asyncio.Event) -> None:
    """One streaming session: consume its events and append 20 ms chunks at real time."""
    session = await open_session(url)
    async with session:
        feeder = asyncio.get_running_loop().create_task(
            feed(session, window, sent, chunk, stop))
        try:
            async for event in session:
                if event.type != "audio":
                    continue
                t = now_ns()
                if window.start <= t < window.end:
                    latencies.append(t - read_stamp(event.audio.data))
                    counts[0] += 1
                if stop.is_set():
                    break
        finally:
            feeder.cancel()


async def feed(session: RealtimeSession, window: Window, sent: list[int], chunk: bytes,
               stop: asyncio.Event) -> None:
    """Append ``chunk`` every 20 ms on an absolute schedule with a random phase."""
    loop = asyncio.get_running_loop()
    period = len(chunk) / BYTES_PER_MS / 1000
    start = loop.time() + random.random() * period
    k = 0
    while not stop.is_set():
        delay = start + k * period - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await session.send_audio(chunk)
        if window.start <= now_ns() < window.end:
            sent[0] += 1
        k += 1


async def many(url: str, sessions: int, ramp_s: float, settle_s: float,
               window_s: float) -> dict[str, object]:
    """``sessions`` streaming sessions started over ``ramp_s``; latency in the window."""
    base_rss, base_threads = rss_bytes(), thread_count()
    window = Window()
    latencies: list[int] = []
    counts, sent = [0], [0]
    chunk = bytes(20 * BYTES_PER_MS)
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    half_rss = half_threads = 0
    t0 = time.monotonic()
    loop = asyncio.get_running_loop()
    for i in range(sessions):
        delay = t0 + ramp_s * (i + random.random()) / sessions - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(loop.create_task(
            many_one(url, window, latencies, counts, sent, chunk, stop)))
        if i + 1 == sessions // 2:
            await asyncio.sleep(0)
            half_rss, half_threads = rss_bytes(), thread_count()
    ramp_took = time.monotonic() - t0
    await asyncio.sleep(settle_s)
    window.start = now_ns()
    window.end = window.start + int(window_s * 1e9)
    await asyncio.sleep(window_s / 2)
    rss, threads = rss_bytes(), thread_count()
    await asyncio.sleep(window.end / 1e9 - now_ns() / 1e9 + 0.2)
    stop.set()
    done, pending = await asyncio.wait(tasks, timeout=30)
    for task in pending:
        task.cancel()
    errors = sum(1 for t in done if not t.cancelled() and t.exception() is not None)
    expected = int(sessions * window_s * 50)
    return {
        "sessions": sessions, "ramp_s": ramp_took, "window_s": window_s,
        "expected_events": expected, "events": counts[0],
        "sent_chunks": sent[0], "expected_chunks": expected,
        "base_rss": base_rss, "rss": rss, "base_threads": base_threads, "threads": threads,
        "half_sessions": sessions // 2, "half_rss": half_rss, "half_threads": half_threads,
        "bench_threads": 0, "session_errors": errors,
        **latency_summary(latencies),
    }


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("ingest", "latency", "send", "many"))
    parser.add_argument("--url", required=True)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--skip", type=int, default=10)
    parser.add_argument("--audio-s", type=float, default=30.0)
    parser.add_argument("--chunk-ms", type=int, default=20)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--ramp-s", type=float, default=1.0)
    parser.add_argument("--settle-s", type=float, default=1.0)
    parser.add_argument("--window-s", type=float, default=4.0)
    args = parser.parse_args()
    if args.mode == "ingest":
        result = asyncio.run(ingest(args.url, args.n))
    elif args.mode == "latency":
        result = asyncio.run(latency(args.url, args.n, args.skip))
    elif args.mode == "send":
        result = asyncio.run(send(args.url, args.audio_s, args.chunk_ms))
    else:
        result = asyncio.run(many(args.url, args.sessions, args.ramp_s, args.settle_s,
                                  args.window_s))
    emit_result({"client": "sdk", "mode": args.mode, **result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
