"""send_audio never waits for the network: a server that stops reading fills the socket, the
caller goes on, and everything arrives, in order, once the server reads again."""

from __future__ import annotations

import base64
import threading

import pytest

import realtime_actors as rt
from tests.chaos.proxy import ChaosProxy
from tests.realtime.support import WAIT_S, Harness, frames_of, text_settings

CHUNK_BYTES = 4800  # 100 ms of PCM16 24 kHz mono
CHUNKS = 1500  # about 9.6 MB of frames: more than the socket buffers on both sides hold


def _chunk(i: int) -> bytes:
    return i.to_bytes(4, "big") * (CHUNK_BYTES // 4)


def test_send_audio_goes_on_while_the_server_reads_nothing(harness: Harness) -> None:
    sim = harness.sim
    proxy, url = ChaosProxy.for_ws_url(sim.ws_url)
    try:
        session = rt.run(rt.agent("Listener"),
                         config=rt.RunConfig(model_settings=text_settings(turn_detection=None),
                                             raw_events=False),
                         model_config=rt.ModelConfig(url=url, api_key="sk-proxy-test",
                                                     send_buffer_bytes=64 * 1024 * 1024))
        harness.sessions.append(session)
        session.wait_for(lambda e: isinstance(e, rt.ConnectionEvent)
                         and e.status == "connected", WAIT_S)
        frames_before = len(frames_of(sim, "input_audio_buffer.append"))
        proxy.pause_up()
        up_at_pause = proxy.bytes_up
        done = threading.Event()
        failures: list[BaseException] = []

        def feed() -> None:
            try:
                for i in range(CHUNKS):
                    session.send_audio(_chunk(i))
            except BaseException as exc:  # reported by the assertion below
                failures.append(exc)
            finally:
                done.set()

        feeder = threading.Thread(target=feed, name="test-feeder")
        feeder.start()
        # with the proxy paused, a send_audio that waited for room in the socket would never
        # return: the feeder finishing proves the caller never waits on the network
        assert done.wait(WAIT_S), "send_audio blocked while the server read nothing"
        feeder.join(WAIT_S)
        assert not failures, failures
        assert proxy.bytes_up - up_at_pause < CHUNKS * CHUNK_BYTES  # the socket did fill up
        proxy.resume_up()
        # the server handles frames in order: once the commit's user item comes back, every
        # append before it has been read
        session.send_raw_event({"type": "input_audio_buffer.commit"})
        session.wait_for(lambda e: isinstance(e, rt.HistoryAddedEvent) and e.item.role == "user",
                         WAIT_S)
        got = frames_of(sim, "input_audio_buffer.append")
        assert len(got) == frames_before + CHUNKS
        audio = [base64.b64decode(f["audio"]) for f in got[frames_before:]]
        assert audio == [_chunk(i) for i in range(CHUNKS)]
        session.close()
    finally:
        proxy.stop()


def test_the_outgoing_buffer_is_bounded_and_refuses_beyond_its_high_water_mark(
    harness: Harness
) -> None:
    """A peer that reads nothing: send_audio is refused with QueueFullError (and one
    ErrorEvent per refusal) once the high-water mark is reached, instead of growing memory;
    everything accepted before arrives, in order, once the peer reads again."""
    sim = harness.sim
    proxy, url = ChaosProxy.for_ws_url(sim.ws_url)
    limit = 512 * 1024
    try:
        session = rt.run(rt.agent("Listener"),
                         config=rt.RunConfig(model_settings=text_settings(turn_detection=None),
                                             raw_events=False),
                         model_config=rt.ModelConfig(url=url, api_key="sk-proxy-test",
                                                     send_buffer_bytes=limit))
        harness.sessions.append(session)
        session.wait_for(lambda e: isinstance(e, rt.ConnectionEvent)
                         and e.status == "connected", WAIT_S)
        frames_before = len(frames_of(sim, "input_audio_buffer.append"))
        proxy.pause_up()
        accepted = 0
        refused: rt.QueueFullError | None = None
        for i in range(CHUNKS * 4):  # far more than the socket buffers and the limit hold
            try:
                session.send_audio(_chunk(i))
            except rt.QueueFullError as exc:
                refused = exc
                break
            accepted += 1
        assert refused is not None, "the outgoing buffer grew without bound"
        assert "send_buffer_bytes" in str(refused)
        error = session.wait_for(lambda e: isinstance(e, rt.ErrorEvent)
                                 and e.code == "queue_full", WAIT_S)
        assert error.source == "send"
        with pytest.raises(rt.QueueFullError):  # text is refused too, before long
            for _ in range(200):
                session.send_message("x" * 50_000)
        proxy.resume_up()
        assert session.wait_sendable(WAIT_S)  # the bytes were written: room again
        session.send_raw_event({"type": "input_audio_buffer.commit"})
        session.wait_for(lambda e: isinstance(e, rt.HistoryAddedEvent) and e.item.role == "user",
                         WAIT_S)
        got = frames_of(sim, "input_audio_buffer.append")[frames_before:]
        assert [base64.b64decode(f["audio"]) for f in got] == [_chunk(i) for i in range(accepted)]
        assert all(f["item"]["content"][0]["text"] == "x" * 50_000  # accepted ones all arrived
                   for f in frames_of(sim, "conversation.item.create"))
        session.send_message("room again")
        session.close()
    finally:
        proxy.stop()
