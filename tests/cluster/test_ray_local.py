"""The cluster extra on a local Ray (2 CPUs): placement, routing, an event consumer in
another process, fencing with a Ray restart, drain and SIGTERM hand-over."""

from __future__ import annotations

import itertools
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import ray

import realtime_actors as rt
import realtime_actors.cluster as rtc
from realtime_actors.simulator import Simulator
from tests.realtime.support import API_KEY

WAIT_S = 30.0  # Ray starts worker processes: generous bounds on a loaded 2-core machine
AGENT = rt.agent("Echo")
_names = itertools.count()


def start_cluster(sim: Simulator, hosts: int = 2, **kwargs: Any) -> rtc.Cluster:
    """Hosts with names unique in the module (Ray frees a killed actor's name lazily)."""
    names = [f"h{next(_names)}" for _ in range(hosts)]
    kwargs.setdefault("lease_ttl_s", 1.0)
    return rtc.Cluster.start(
        [AGENT], rt.ModelConfig(url=sim.ws_url, api_key=API_KEY), hosts=names,
        run_config=rt.RunConfig(model_settings=rt.SessionModelSettings(
            output_modalities=("text",))), **kwargs)


@pytest.fixture
def cluster(local_ray: None, module_sim: Simulator) -> Iterator[rtc.Cluster]:
    made = start_cluster(module_sim)
    yield made
    made.shutdown()


def turn(session: rtc.RemoteSession, text: str) -> str:
    """Send ``text`` and wait for the complete answer; returns its transcript."""
    session.send_message(text)
    answer = session.wait_for(lambda e: isinstance(e, rt.TranscriptCompletedEvent)
                              and e.role == "assistant" and f"You said: {text}" in e.transcript,
                              WAIT_S)
    session.wait_for(rt.AgentEndEvent, WAIT_S)
    return answer.transcript


def eventually(check: Callable[[], Any], timeout: float = WAIT_S) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
    return value


def test_sessions_go_to_the_least_loaded_host_or_a_named_one(cluster: rtc.Cluster) -> None:
    first, second = cluster.host_names()
    sessions = [rtc.run(AGENT) for _ in range(4)]
    assert sorted(load.sessions for load in cluster.loads()) == [2, 2]
    named = cluster.run("Echo", host=second)
    assert named.host == second
    assert {s.host for s in sessions} == {first, second}
    for session in [*sessions, named]:
        session.close()
    assert [load.sessions for load in cluster.loads()] == [0, 0]


def test_calls_and_events_are_routed_to_the_session(cluster: rtc.Cluster) -> None:
    session = rtc.run(AGENT, history=[{"type": "message", "role": "user", "content": [
        {"type": "input_text", "text": "I live in Lyon"}]}])
    assert "I live in Lyon" in turn(session, "where do I live?")
    assert [i.role for i in session.history()] == ["user", "user", "assistant"]
    assert cluster.attach(session.session_id).host == session.host
    session.close()
    with pytest.raises(rt.SessionClosedError):
        session.history()
    with pytest.raises(rt.ConfigError, match="no agent"):
        cluster.run("Stranger")


@ray.remote(num_cpus=0)
def consume(session: rtc.RemoteSession, text: str) -> tuple[int, str]:
    """A consumer in another process: sends, then reads the events through batched pulls."""
    session.send_message(text)
    seen: list[rt.SessionEvent] = []
    end = session.wait_for(rt.AgentEndEvent, WAIT_S, collect=seen)
    words = [e.transcript for e in seen if isinstance(e, rt.TranscriptCompletedEvent)]
    return os.getpid(), f"{end.status}: {words[-1]}"


def test_an_event_consumer_in_another_process(cluster: rtc.Cluster) -> None:
    session = rtc.run(AGENT)
    pid, outcome = ray.get(consume.remote(session, "ping"), timeout=WAIT_S)
    assert pid != os.getpid()
    assert outcome.startswith("completed: You said: ping")
    session.close()


@pytest.mark.parametrize("kind", ["ray_actor", "file"])
def test_a_fenced_host_stops_and_ray_restarts_it_with_its_sessions(
        local_ray: None, module_sim: Simulator, tmp_path: Path, kind: str) -> None:
    store = rt.FileStore(tmp_path) if kind == "file" else None  # None: a RayStore
    cluster = start_cluster(module_sim, hosts=1, store=store)
    try:
        (name,) = cluster.host_names()
        old_pid = cluster.loads()[0].pid
        session = rtc.run(AGENT)
        turn(session, "remember Rome")
        old = len(module_sim.connections) - 1
        cluster.store.acquire_lease(name, 1.0)  # an impostor takes the lease over
        module_sim.wait_for_close(old, WAIT_S)  # the fenced host closed its socket
        with pytest.raises(rt.StaleEpochError):  # its writes are refused, across Ray too
            rt.durable.FencedStore(cluster.store, rt.durable.Fence(name, 1)).save(
                cluster.store.load(session.session_id))
        assert "remember Rome" in turn(session, "what to remember?")  # the handle followed
        assert eventually(lambda: cluster.loads() and cluster.loads()[0].pid != old_pid)
        assert cluster.loads()[0].epoch == 3  # restarted incarnation holds a newer lease
        session.close()
    finally:
        cluster.shutdown()


def test_drain_moves_sessions_to_the_other_host(cluster: rtc.Cluster) -> None:
    first, second = cluster.host_names()
    session = cluster.run(AGENT, host=first)
    turn(session, "my colour is teal")
    assert cluster.drain(first, timeout=0.2) == [session.session_id]
    assert "my colour is teal" in turn(session, "what is my colour?")
    assert session.host == second
    assert {load.name: load.sessions for load in cluster.loads()} == {first: 0, second: 1}
    with pytest.raises(rtc.HostDrainingError):
        cluster.run(AGENT, host=first)
    session.close()


def test_sigterm_drains_a_host_and_another_adopts_its_sessions(
        local_ray: None, module_sim: Simulator) -> None:
    cluster = start_cluster(module_sim, sigterm_drain_s=0.2)  # then hand over what runs
    try:
        sigterm_hand_over(cluster)
    finally:
        cluster.shutdown()


def sigterm_hand_over(cluster: rtc.Cluster) -> None:
    first, second = cluster.host_names()
    session = cluster.run(AGENT, host=first)
    turn(session, "my pet is a cat")
    pid = next(load.pid for load in cluster.loads() if load.name == first)
    os.kill(pid, signal.SIGTERM)
    # the host drains (0.2 s), hands the session over, and is gone for good (no restart)
    eventually(lambda: [load.name for load in cluster.loads()] == [second])
    assert "my pet is a cat" in turn(session, "what is my pet?")
    assert session.host == second
    session.close()


def test_calls_to_a_host_gone_for_good_fail_with_a_typed_error(
        local_ray: None, module_sim: Simulator) -> None:
    cluster = start_cluster(module_sim, hosts=1)
    try:
        session = rtc.run(AGENT)
        session.failover_timeout_s = 1.0
        ray.kill(cluster.handle(session.host), no_restart=True)
        with pytest.raises(rtc.HostUnavailableError, match=r"within 1\.0s"):
            session.send_message("anyone there?")
        with pytest.raises(rtc.HostUnavailableError, match="not retried"):
            session.send_audio(b"\0\0" * 240)
        with pytest.raises(rtc.NoHostError):
            cluster.run(AGENT)
    finally:
        cluster.shutdown()
