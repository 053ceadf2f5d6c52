"""WebSocketActor used directly: sends, raw frames, listeners, errors."""

from __future__ import annotations

import json
import logging
import socket
from typing import Any

import pykka
import pytest

import realtime_actors as rt
from realtime_actors.simulator import Simulator
from realtime_actors.transport.messages import ConnectionClosed, ConnectionOpened, ModelEvents
from realtime_actors.transport.websocket_actor import ConnectOptions
from tests.realtime.support import API_KEY, WAIT_S, Harness, Listener

CLEAR = {"type": "input_audio_buffer.clear"}


def _start(harness: Harness, url: str, owner: Listener) -> pykka.ActorRef[Any]:
    options = ConnectOptions(url=url, headers={"Authorization": f"Bearer {API_KEY}"},
                             connect_timeout_s=WAIT_S, close_timeout_s=WAIT_S)
    return harness.track(rt.WebSocketActor.start(options, owner=owner.ref))


def _connected(harness: Harness, sim: Simulator) -> tuple[pykka.ActorRef[Any], Listener]:
    owner = harness.listener()
    ref = _start(harness, f"{sim.ws_url}?model=gpt-realtime", owner)
    owner.wait_for(ConnectionOpened)
    return ref, owner


def _server_types(owner: Listener, until_type: str, count: int = 1) -> list[str]:
    """Types of the server events the owner is told, until ``count`` of ``until_type``."""
    seen: list[str] = []
    while seen.count(until_type) < count:
        batch = owner.wait_for(ModelEvents)
        seen += [e.type for e in batch.events]
    return seen


def _stop(ref: pykka.ActorRef[Any]) -> None:
    ref.stop(block=True, timeout=WAIT_S)


def test_send_message_list_stops_at_the_first_failure(harness: Harness, sim: Simulator) -> None:
    ref, owner = _connected(harness, sim)
    proxy = ref.proxy()
    frames = [CLEAR, {"type": "input_audio_buffer.clear", "bad": object()}, CLEAR]
    result = proxy.send_message(frames).get(timeout=WAIT_S)
    assert result.ok is False
    assert isinstance(result.error, rt.FrameEncodeError)
    assert (result.failed_index, result.sent) == (1, 1)
    assert "frame 1" in str(result.error)

    ok = proxy.send_message({"type": "input_audio_buffer.clear", "event_id": "evt_last"})
    assert ok.get(timeout=WAIT_S) == rt.SendResult(True, sent=1)
    _server_types(owner, "input_audio_buffer.cleared", count=2)
    # only the first frame of the failed list went out, then the last send
    sent = [f for f in sim.client_frames() if f["type"] == "input_audio_buffer.clear"]
    assert sent == [CLEAR, {"type": "input_audio_buffer.clear", "event_id": "evt_last"}]
    _stop(ref)


def test_send_frame_ping_and_text(harness: Harness, sim: Simulator) -> None:
    ref, owner = _connected(harness, sim)
    proxy = ref.proxy()
    assert proxy.send_frame("ping", b"hello").get(timeout=WAIT_S) == rt.SendResult(True, sent=1)
    text = json.dumps({"type": "input_audio_buffer.clear", "event_id": "evt_text"})
    assert proxy.send_frame("text", text).get(timeout=WAIT_S).ok
    assert "input_audio_buffer.cleared" in _server_types(owner, "input_audio_buffer.cleared")
    assert sim.client_frames() == [{"type": "input_audio_buffer.clear", "event_id": "evt_text"}]

    bogus = proxy.send_frame("bogus", b"").get(timeout=WAIT_S)
    assert not bogus.ok and isinstance(bogus.error, rt.FrameEncodeError)
    too_big = proxy.send_frame("ping", b"x" * 126).get(timeout=WAIT_S)
    assert not too_big.ok and isinstance(too_big.error, rt.FrameEncodeError)
    assert proxy.is_connected().get(timeout=WAIT_S) is True
    _stop(ref)


def test_not_connected_gives_a_not_connected_result(harness: Harness) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    owner = harness.listener()
    ref = _start(harness, f"ws://127.0.0.1:{port}/v1/realtime", owner)
    closed = owner.wait_for(ConnectionClosed)
    assert closed.abnormal and "connect failed" in closed.reason
    proxy = ref.proxy()
    for result in (proxy.send_message(CLEAR).get(timeout=WAIT_S),
                   proxy.send_frame("text", "{}").get(timeout=WAIT_S)):
        assert result.ok is False
        assert isinstance(result.error, rt.NotConnectedError)
        assert result.failed_index == 0 and result.sent == 0
    assert proxy.is_connected().get(timeout=WAIT_S) is False
    _stop(ref)


def test_listeners_are_idempotent_and_dead_ones_dropped(
    harness: Harness, sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    keeper, doomed = harness.listener(), harness.listener()
    ref, owner = _connected(harness, sim)
    proxy = ref.proxy()
    for listener in (keeper, keeper, doomed):
        proxy.add_listener(listener.ref).get(timeout=WAIT_S)

    proxy.send_message({**CLEAR, "event_id": "evt_1"}).get(timeout=WAIT_S)
    _server_types(owner, "input_audio_buffer.cleared")
    # listeners are told after the owner: a call answered by the connection actor comes
    # after it told everyone about the frames it had already read
    proxy.is_connected().get(timeout=WAIT_S)
    got = [e.type for e in keeper.drain_until_marker()]
    assert got.count("input_audio_buffer.cleared") == 1
    assert [e.type for e in doomed.drain_until_marker()].count("input_audio_buffer.cleared") == 1

    doomed.stop()
    caplog.set_level(logging.WARNING, logger="realtime_actors.transport.websocket_actor")
    proxy.remove_listener(keeper.ref).get(timeout=WAIT_S)
    proxy.remove_listener(keeper.ref).get(timeout=WAIT_S)
    proxy.send_message({**CLEAR, "event_id": "evt_2"}).get(timeout=WAIT_S)
    _server_types(owner, "input_audio_buffer.cleared")
    proxy.is_connected().get(timeout=WAIT_S)
    assert keeper.drain_until_marker() == []

    proxy.add_listener(keeper.ref).get(timeout=WAIT_S)
    proxy.send_message({**CLEAR, "event_id": "evt_3"}).get(timeout=WAIT_S)
    _server_types(owner, "input_audio_buffer.cleared")
    proxy.is_connected().get(timeout=WAIT_S)
    assert [e.type for e in keeper.drain_until_marker()] == ["input_audio_buffer.cleared"]
    assert ref.is_alive()
    assert sum("dead listener" in r.getMessage() for r in caplog.records) == 1
    _stop(ref)
    assert isinstance(owner.wait_for(ConnectionClosed), ConnectionClosed)
