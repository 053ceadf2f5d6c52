"""Sessions on a two-host Ray cluster: placed on the least-loaded host, one host drained
(its sessions handed over by snapshot), the conversations carrying on on the other host."""

from __future__ import annotations

import argparse
import sys
import time

from _common import ExampleFailure, SkipExample, connect, run_example, say, summary

import realtime_actors as rt

try:
    import ray

    import realtime_actors.cluster as rtc
    HAVE_RAY = True
except ImportError:  # the [ray] extra is not installed
    HAVE_RAY = False

QUESTIONS = ["My favourite colour is green.", "Which colour do I like?"]


def main(args: argparse.Namespace) -> int:
    """Start Ray and two hosts, place three sessions, drain a host, ask again."""
    if not HAVE_RAY:
        raise SkipExample("Ray is not installed: pip install 'realtime-actors[ray]'")
    assistant = rt.agent("Assistant", instructions="You are concise and remember things.")
    config = rt.RunConfig(model_settings=rt.SessionModelSettings(output_modalities=["text"]))
    started = time.monotonic()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False, namespace="realtime-actors-demo")
    turns = 0
    try:
        with connect(args) as target:
            with rtc.Cluster.start([assistant], target.model_config, run_config=config,
                                   hosts=["host-a", "host-b"], lease_ttl_s=2.0,
                                   namespace="realtime-actors-demo") as cluster:
                say(f"[cluster] 2 hosts up in {time.monotonic() - started:.1f}s (Ray included)")
                sessions = [rtc.run(assistant) for _ in range(3)]
                say("[placed] " + ", ".join(f"{s.session_id[:8]} on {s.host}"
                                            for s in sessions))
                for session in sessions:
                    turns += ask(session, QUESTIONS[0], target.timeout_s)
                moved = cluster.drain("host-a", timeout=0.5)
                say(f"[drain] host-a handed over {len(moved)} sessions")
                for session in sessions:
                    answer = ask(session, QUESTIONS[1], target.timeout_s)
                    turns += answer
                    say(f"[after drain] {session.session_id[:8]} now on {session.host}")
                    session.close()
                if any(load.sessions for load in cluster.loads()):
                    raise ExampleFailure("sessions still running after close")
    finally:
        ray.shutdown()
    say(summary(turns=turns, hosts=2, moved=len(moved)))
    return 0 if turns == 2 * len(QUESTIONS) + 2 else 1


def ask(session: rtc.RemoteSession, text: str, timeout: float) -> int:
    """One turn on a remote session; prints the answer; 1 when it completed."""
    session.send_message(text)
    seen: list[rt.SessionEvent] = []
    end = session.wait_for(rt.AgentEndEvent, timeout, collect=seen)
    words = [e.transcript for e in seen if isinstance(e, rt.TranscriptCompletedEvent)
             and e.role == "assistant"]
    say(f"  user: {text}\n  assistant: {words[-1] if words else '(no words)'}")
    return 1 if end.status == "completed" else 0


if __name__ == "__main__":
    sys.exit(run_example(main, __doc__ or ""))
