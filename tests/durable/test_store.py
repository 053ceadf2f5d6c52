"""MemoryStore and FileStore: save / load / delete, owners, leases and fencing, atomic
writes (the same contract for both)."""

from __future__ import annotations

import multiprocessing
import os
import pickle
from pathlib import Path

import pytest

import realtime_actors as rt
from realtime_actors.durable import (
    Fence,
    FencedStore,
    FileStore,
    MemoryStore,
    SessionSnapshot,
    StoreError,
)


def snap(session_id: str = "s1", sequence: int = 1, text: str = "hi") -> SessionSnapshot:
    return SessionSnapshot(session_id=session_id, agent_name="A", sequence=sequence, items=(
        rt.HistoryItem(item_id="i1", type="message", role="user", text=text),))


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> rt.SessionStore:
    return MemoryStore() if request.param == "memory" else FileStore(tmp_path / "store")


def test_save_load_delete(store: rt.SessionStore) -> None:
    assert isinstance(store, rt.SessionStore)
    assert store.load("s1") is None
    store.save(snap())
    store.save(snap(sequence=2, text="newer"))
    loaded = store.load("s1")
    assert loaded == snap(sequence=2, text="newer")
    assert store.session_ids() == ["s1"]
    store.delete("s1")
    store.delete("s1")  # unknown: no error
    assert store.load("s1") is None and store.session_ids() == []


@pytest.mark.parametrize("bad", ["", "../etc", "a/b", "x" * 129, 5])
def test_unsafe_session_ids_are_refused(store: rt.SessionStore, bad: object) -> None:
    with pytest.raises(rt.ConfigError):
        store.load(bad)  # type: ignore[arg-type]


def test_sessions_are_listed_by_owner(store: rt.SessionStore) -> None:
    a = store.acquire_lease("host-a", 5.0).fence
    b = store.acquire_lease("host-b", 5.0).fence
    store.save(snap("s1"), fence=a)
    store.save(snap("s2"), fence=b)
    store.save(snap("s3"))
    assert store.session_ids("host-a") == ["s1"]
    assert store.session_ids("host-b") == ["s2"]
    assert sorted(store.session_ids()) == ["s1", "s2", "s3"]


def test_a_new_lease_fences_the_old_holder(store: rt.SessionStore) -> None:
    old = store.acquire_lease("host", 5.0)
    assert old.fence == Fence("host", 1) and old.wait_s == 0.0
    store.save(snap(), fence=old.fence)
    new = store.acquire_lease("host", 5.0)
    assert new.fence.epoch == 2
    assert 0 < new.wait_s <= 5.0  # the old holder may still act until its lease runs out
    with pytest.raises(rt.StaleEpochError):
        store.save(snap(text="stale"), fence=old.fence)
    with pytest.raises(rt.StaleEpochError):
        store.delete("s1", fence=old.fence)
    assert not store.renew_lease(old.fence, 5.0)
    assert store.renew_lease(new.fence, 5.0)
    assert store.load("s1") == snap()  # the stale write changed nothing


def test_a_released_lease_is_taken_over_without_waiting(store: rt.SessionStore) -> None:
    old = store.acquire_lease("host", 30.0)
    store.release_lease(old.fence)
    assert store.acquire_lease("host", 30.0).wait_s == 0.0


def test_file_store_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FileStore(tmp_path)
    store.save(snap(text="first"))

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.save(snap(sequence=2, text="second"))
    monkeypatch.undo()
    assert store.load("s1") == snap(text="first")  # the old record is whole
    assert [p.name for p in (tmp_path / "sessions").iterdir()] == ["s1.json"]  # no temp left


def test_file_store_corrupt_record_is_a_store_error(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    (tmp_path / "sessions" / "s1.json").write_text("{not json")
    with pytest.raises(StoreError):
        store.load("s1")
    (tmp_path / "sessions" / "s1.json").write_text('{"snapshot": {"version": 42}}')
    with pytest.raises(StoreError, match="version 42"):
        store.load("s1")


def _take_lease(directory: str, queue: multiprocessing.Queue) -> None:
    queue.put(FileStore(directory).acquire_lease("host", 5.0).fence.epoch)


def test_file_store_leases_are_shared_between_processes(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    first = store.acquire_lease("host", 5.0)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_take_lease, args=(str(tmp_path), queue))
    proc.start()
    try:
        assert queue.get(timeout=60) == 2
    finally:
        proc.join(timeout=60)
    with pytest.raises(rt.StaleEpochError):
        store.save(snap(), fence=first.fence)


def test_claim_and_release_move_a_session_between_owners(store: rt.SessionStore) -> None:
    a = store.acquire_lease("host-a", 5.0).fence
    b = store.acquire_lease("host-b", 5.0).fence
    assert not store.claim("s1", b)  # not kept
    store.save(snap(), fence=a)
    assert store.owner_of("s1") == "host-a"
    assert not store.claim("s1", b)  # host-a has it
    store.release("s1", b)  # not b's: nothing changes
    assert store.owner_of("s1") == "host-a"
    store.release("s1", a)
    assert store.owner_of("s1") is None and store.session_ids("host-a") == []
    assert store.released_ids() == ["s1"]
    assert store.claim("s1", b) and store.owner_of("s1") == "host-b"
    assert not store.claim("s1", a)
    stale = b
    store.acquire_lease("host-b", 5.0)
    with pytest.raises(rt.StaleEpochError):
        store.claim("s1", stale)


def test_fenced_store_writes_under_its_fence(store: rt.SessionStore) -> None:
    lease = store.acquire_lease("host", 5.0)
    fenced = FencedStore(store, lease.fence)
    fenced.save(snap())
    assert store.owner_of("s1") == "host"
    store.acquire_lease("host", 5.0)
    with pytest.raises(rt.StaleEpochError):
        fenced.save(snap(sequence=2))


def test_a_memory_store_cannot_be_sent_to_another_process() -> None:
    with pytest.raises(TypeError, match="one process"):
        pickle.dumps(MemoryStore())


def test_a_file_store_can(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.save(snap())
    assert pickle.loads(pickle.dumps(store)).load("s1") == snap()


def test_run_config_takes_only_a_store() -> None:
    with pytest.raises(rt.ConfigError, match="SessionStore"):
        rt.RunConfig(store="/tmp/sessions")  # type: ignore[arg-type]
    assert rt.RunConfig(store=MemoryStore()).store is not None
