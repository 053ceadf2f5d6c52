"""The cluster client: sessions on Ray session hosts, events pulled through the hop.

Modes (each prints one result line):

- ``hop --url U --sessions N --hosts H --secs S``: ``N`` paced streams (50 deltas/s) on
  ``H`` hosts, or in this process for ``--hosts 0`` (the baseline); a consumer thread per
  session pulls batches (``RemoteSession.next_events`` / ``Session.next_events``) and keeps
  send -> receipt latencies of audio deltas and the deltas per second received.
- ``flood --url U``: one flood of deltas through the hop, deltas per second received.
- ``checkpoint --turns K``: text turns on the embedded simulator with a store in memory, in
  files and in a Ray actor: time of ``Session.checkpoint()`` (snapshot + save) per turn, the
  snapshot's size, and a turn's time with and without checkpoints.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import threading
import time
from typing import Any

import ray
from common import BENCH_KEY, BenchError, emit_result, latency_summary, now_ns, read_stamp

import realtime_actors as rt
import realtime_actors.cluster as rtc
from realtime_actors.simulator import Simulator

SKIP = 10
AGENT = rt.agent(name="bench", instructions="You are a benchmark.")


def consume(source: Any, expected: int, out: list[int], counts: list[int]) -> None:
    """Pull batches until ``expected`` audio deltas arrived (or 60 s passed)."""
    seen = 0
    deadline = time.monotonic() + 60
    while seen < expected and time.monotonic() < deadline:
        for event in source.next_events(256, 0.5):
            if isinstance(event, rt.AudioEvent):
                t = now_ns()
                if seen >= SKIP:
                    out.append(t - read_stamp(bytes(event.data)))
                seen += 1
    counts.append(seen)


def hop(url: str, sessions: int, hosts: int, secs: float) -> dict[str, Any]:
    """See the module docstring."""
    expected = int(secs * 50)
    cluster = None
    if hosts:
        cluster = rtc.Cluster.start([AGENT], rt.ModelConfig(url=url, api_key=BENCH_KEY),
                                    hosts=[f"bench-{n}" for n in range(hosts)])
        handles: list[Any] = [cluster.run(AGENT) for _ in range(sessions)]
    else:
        handles = [rt.run(AGENT, model_config=rt.ModelConfig(url=url, api_key=BENCH_KEY))
                   for _ in range(sessions)]
    latencies: list[int] = []
    counts: list[int] = []
    started = time.monotonic()
    threads = [threading.Thread(target=consume, args=(h, expected, latencies, counts))
               for h in handles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    placed = sorted(load.sessions for load in cluster.loads()) if cluster else [sessions]
    for handle in handles:
        handle.close()
    if cluster is not None:
        cluster.shutdown()
    if sum(counts) < sessions * expected:
        raise BenchError(f"only {sum(counts)} of {sessions * expected} deltas arrived")
    return {"sessions": sessions, "hosts": hosts, "placed": placed,
            "deltas_per_s": sum(counts) / wall, **latency_summary(latencies)}


def flood(url: str, n: int) -> dict[str, Any]:
    """See the module docstring."""
    cluster = rtc.Cluster.start([AGENT], rt.ModelConfig(url=url, api_key=BENCH_KEY),
                                hosts=["bench-flood"])
    try:
        session = cluster.run(AGENT)
        seen, first, last = 0, 0, 0
        deadline = time.monotonic() + 120
        while seen < n and time.monotonic() < deadline:
            for event in session.next_events(1024, 0.5):
                if isinstance(event, rt.AudioEvent):
                    last = now_ns()
                    first = first or last
                    seen += 1
        session.close()
    finally:
        cluster.shutdown()
    return {"deltas": seen, "deltas_per_s": (seen - 1) / ((last - first) / 1e9)}


def turn(session: rt.Session, text: str) -> None:
    session.send_message(text)
    session.wait_for(rt.AgentEndEvent, 10)


def checkpoint(turns: int) -> dict[str, Any]:
    """See the module docstring."""
    text = rt.SessionModelSettings(output_modalities=("text",))
    results: dict[str, Any] = {"turns": turns}
    with Simulator() as sim, tempfile.TemporaryDirectory() as tmp:
        model = rt.ModelConfig(url=sim.ws_url, api_key=BENCH_KEY)
        ray_store = rtc.RayStore.start(name="bench-store")
        stores: dict[str, Any] = {"none": None, "memory": rt.MemoryStore(),
                                  "file": rt.FileStore(tmp), "ray_actor": ray_store}
        for name, store in stores.items():
            config = rt.RunConfig(model_settings=text, store=store)
            session = rt.run(AGENT, config=config, model_config=model)
            turn_ms, save_ms = [], []
            for k in range(turns):
                t0 = time.perf_counter()
                turn(session, f"turn {k}: a sentence of about the length people say")
                turn_ms.append((time.perf_counter() - t0) * 1e3)
                if store is not None:
                    t0 = time.perf_counter()
                    snapshot = session.checkpoint()
                    save_ms.append((time.perf_counter() - t0) * 1e3)
            entry: dict[str, Any] = {"turn_ms_median": sorted(turn_ms)[len(turn_ms) // 2]}
            if save_ms:
                entry.update(checkpoint_ms_median=sorted(save_ms)[len(save_ms) // 2],
                             checkpoint_ms_last=save_ms[-1],
                             snapshot_bytes_last=len(snapshot.to_json()),
                             items_last=len(snapshot.items))
            results[name] = entry
            session.close()
        ray_store.kill()
        stats = rt.durable.DEFAULT_CHECKPOINTER.stats
        results["background_saves"] = {"saves": stats.saves, "failures": stats.failures,
                                       "ms_per_save": stats.seconds / max(1, stats.saves) * 1e3}
    return results


def main() -> int:
    """Parse the mode and print its result line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["hop", "flood", "checkpoint"])
    parser.add_argument("--url", default="")
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--hosts", type=int, default=1)
    parser.add_argument("--secs", type=float, default=6)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--turns", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    try:
        if args.mode == "hop":
            result = hop(args.url, args.sessions, args.hosts, args.secs)
        elif args.mode == "flood":
            result = flood(args.url, args.n)
        else:
            result = checkpoint(args.turns)
    finally:
        ray.shutdown()
    emit_result(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
