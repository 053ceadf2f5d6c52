"""SessionHost in this process (no Ray): acknowledged messages, restart with resume,
fencing when the lease is lost, drain and adoption."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import realtime_actors as rt
from realtime_actors.cluster.errors import (
    HostDrainingError,
    HostFencedError,
    UnknownSessionError,
)
from realtime_actors.cluster.host import HostConfig, SessionHost
from realtime_actors.cluster.lease import LeaseClock
from realtime_actors.simulator import ReplyContext, Scenario, Simulator
from tests.realtime.support import API_KEY, WAIT_S

AGENT = rt.agent("Echo")


def remembering_reply(ctx: ReplyContext) -> str:
    return f"You said: {ctx.user_text} | memory: {' / '.join(ctx.history)}"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(Scenario(reply=remembering_reply)) as simulator:
        yield simulator


class Hosts:
    """Starts hosts on one store and shuts every one down at the end of the test."""

    def __init__(self, sim: Simulator, store: rt.SessionStore) -> None:
        self.sim = sim
        self.store = store
        self.started: list[SessionHost] = []

    def start(self, name: str, on_fenced: Callable[[str], None] | None = None,
              **config: Any) -> SessionHost:
        config.setdefault("sweep_s", None)
        host = SessionHost(
            HostConfig(name=name, **config), [AGENT], self.store,
            rt.ModelConfig(url=self.sim.ws_url, api_key=API_KEY),
            rt.RunConfig(model_settings=rt.SessionModelSettings(output_modalities=("text",))),
            on_fenced=on_fenced)
        host.start()
        self.started.append(host)
        return host


@pytest.fixture
def hosts(sim: Simulator) -> Iterator[Hosts]:
    made = Hosts(sim, rt.MemoryStore())
    yield made
    for host in made.started:
        host.shutdown()


def answer_of(host: SessionHost, sid: str, text: str) -> str:
    """Pull events until the response to ``text`` has ended; returns its transcript."""
    deadline = time.monotonic() + WAIT_S
    transcript = None
    while time.monotonic() < deadline:
        for event in host.pull(sid, wait_s=0.2):
            if (isinstance(event, rt.TranscriptCompletedEvent) and event.role == "assistant"
                    and f"You said: {text}" in event.transcript):
                transcript = event.transcript
            if transcript and isinstance(event, rt.AgentEndEvent):
                return transcript
    raise AssertionError(f"no complete answer to {text!r}")


def eventually(check: Callable[[], Any], timeout: float = WAIT_S) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)
    return value


def test_an_acknowledged_message_is_in_the_store(hosts: Hosts) -> None:
    host = hosts.start("h1")
    sid = host.open("Echo")
    item_id = host.send_message(sid, "remember 42")
    saved = hosts.store.load(sid)
    assert saved is not None
    assert item_id in {i.item_id for i in saved.items} | {
        f["item"]["id"] for f in saved.pending}  # saved before send_message returned
    assert hosts.store.owner_of(sid) == "h1"
    assert host.send_message(sid, {"id": item_id, "type": "message", "role": "user",
                                   "content": [{"type": "input_text", "text": "again"}]}
                             ) == item_id  # a retried message is not sent twice
    answer_of(host, sid, "remember 42")
    creates = [f for f in hosts.sim.client_frames()
               if f["type"] == "conversation.item.create" and f["item"]["id"] == item_id]
    assert len(creates) == 1
    host.close(sid)
    assert eventually(lambda: hosts.store.load(sid) is None)


def test_a_restarted_host_resumes_its_sessions(hosts: Hosts) -> None:
    first = hosts.start("h1")
    sids = [first.open("Echo") for _ in range(3)]
    for n, sid in enumerate(sids):
        first.send_message(sid, f"I am number {n}")
        answer_of(first, sid, f"I am number {n}")
    for sid in sids:  # the last answer is checkpointed too (debounced)
        eventually(lambda sid=sid: len(hosts.store.load(sid).items) == 2)
    first.shutdown()  # like a crash for the store: records kept, owned by h1
    second = hosts.start("h1")
    assert sorted(second.session_ids()) == sorted(sids)
    for n, sid in enumerate(sids):
        second.send_message(sid, "who am I?")
        assert f"I am number {n}" in answer_of(second, sid, "who am I?")


def test_a_host_that_lost_its_lease_stops_talking_to_the_service(hosts: Hosts) -> None:
    fenced = threading.Event()
    host = hosts.start("h1", on_fenced=lambda reason: fenced.set(), lease_ttl_s=1.0)
    sids = [host.open("Echo") for _ in range(2)]
    for sid in sids:
        host.send_message(sid, "hi")
    hosts.sim.wait_for_connections(2, WAIT_S)
    lease = hosts.store.acquire_lease("h1", 1.0)  # a new incarnation took over
    assert fenced.wait(2.0), "the host did not notice within a renewal period"
    for index in range(2):
        hosts.sim.wait_for_close(index, WAIT_S)
    assert lease.wait_s > 0  # the new holder waits for the old lease to run out
    with pytest.raises(HostFencedError):
        host.send_message(sids[0], "still there?")
    with pytest.raises(HostFencedError):
        host.open("Echo")
    with pytest.raises(rt.StaleEpochError):
        rt.durable.FencedStore(hosts.store, rt.durable.Fence("h1", 1)).save(
            hosts.store.load(sids[0]))
    assert hosts.store.owner_of(sids[0]) == "h1"  # kept for the new incarnation


def test_drain_hands_sessions_over_to_another_host(hosts: Hosts) -> None:
    old = hosts.start("h1")
    new = hosts.start("h2", sweep_s=0.05)
    sid = old.open("Echo")
    old.send_message(sid, "my code is blue")
    answer_of(old, sid, "my code is blue")
    released = old.drain(timeout=0.1)
    assert released == [sid]
    with pytest.raises(HostDrainingError):
        old.open("Echo")
    assert old.load().free == 0
    eventually(lambda: new.session_ids() == [sid])
    assert hosts.store.owner_of(sid) == "h2"
    with pytest.raises(UnknownSessionError):
        old.close(sid)  # not the old host's to delete any more
    assert hosts.store.load(sid) is not None
    new.send_message(sid, "what is my code?")
    assert "my code is blue" in answer_of(new, sid, "what is my code?")


def test_drain_waits_for_sessions_to_end(hosts: Hosts) -> None:
    host = hosts.start("h1")
    sid = host.open("Echo")
    closer = threading.Timer(0.1, host.close, args=(sid,))
    closer.start()
    try:
        assert host.drain(timeout=WAIT_S) == []
    finally:
        closer.join()


def test_lease_clock_stops_before_the_lease_can_run_out() -> None:
    rules = LeaseClock(ttl_s=4.0, valid_from=100.0)
    assert rules.renew_every_s == 1.0
    assert not rules.must_stop(102.9)
    assert rules.must_stop(103.0)  # 1 s (the stop budget) before the store's expiry
    rules.renewed(sent_at=102.0)
    assert not rules.must_stop(104.9) and rules.must_stop(105.0)
    rules.renewed(sent_at=101.0)  # an older renewal answered late changes nothing
    assert rules.must_stop(105.0)


class UnreachableStore(rt.MemoryStore):
    """A store whose lease renewals fail (the network to it is gone)."""

    def renew_lease(self, fence: rt.durable.Fence, ttl_s: float) -> bool:
        raise rt.StoreError("store unreachable")


def test_a_host_that_cannot_renew_fences_itself_in_time(sim: Simulator) -> None:
    reasons: list[str] = []
    fenced = threading.Event()
    host = SessionHost(HostConfig(name="h1", lease_ttl_s=0.8, sweep_s=None), [AGENT],
                       UnreachableStore(), rt.ModelConfig(url=sim.ws_url, api_key=API_KEY),
                       on_fenced=lambda reason: (reasons.append(reason), fenced.set()))
    host.start()
    try:
        host.open("Echo")
        assert fenced.wait(WAIT_S)
        assert "not renewed" in reasons[0]
        sim.wait_for_close(0, WAIT_S)
    finally:
        host.shutdown()


def test_a_hosted_session_keeps_its_audio_for_a_late_first_pull(sim: Simulator) -> None:
    """The consumer's pulls are the buffer's reader: a first pull that comes after the whole
    answer still gets its audio (hosts keep audio from the start), no gap."""
    store = rt.MemoryStore()
    host = SessionHost(HostConfig(name="h-audio", sweep_s=None), [AGENT], store,
                       rt.ModelConfig(url=sim.ws_url, api_key=API_KEY), rt.RunConfig())
    host.start()
    try:
        sid = host.open("Echo")
        host.send_message(sid, "hello there")

        def answered() -> bool:  # seen in the checkpoints, without pulling
            saved = store.load(sid)
            return saved is not None and any(
                i.role == "assistant" and i.status == "completed" for i in saved.items)

        assert eventually(answered)
        events: list[rt.SessionEvent] = []
        while not any(isinstance(e, rt.AgentEndEvent) for e in events):
            batch = host.pull(sid, wait_s=WAIT_S)
            assert batch, "no AgentEndEvent"
            events += batch
        assert sum(len(e.data) for e in events if isinstance(e, rt.AudioEvent)) > 24_000
        assert not [e for e in events if isinstance(e, rt.EventsDroppedEvent)]
    finally:
        host.shutdown()
