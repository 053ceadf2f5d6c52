"""Kept-alive HTTP connections of the voice pipeline, counted by a TCP relay on 127.0.0.1.

The relay stands between the client and the simulator's REST server and counts the TCP
connections the client opens and those it has closed, so reuse, replacement after a cancel and
release on close are observed on real sockets.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import attrs
import pytest

import voice_actors as va
from realtime_actors.audio.pcm import pcm16_from_bytes
from realtime_actors.simulator import Simulator
from realtime_actors.simulator.speech_codec import decode
from realtime_actors.transport.auth import resolve_api_key
from tests.voice.support import TEST_KEY, audio_bytes, collect, kinds, speech_wav
from voice_actors.http_client import AudioHTTPClient

HELD_S = 60.0
"""How long the simulator holds an answer back: far longer than any wait in these tests."""
WAIT_S = 10.0


class CountingRelay:
    """A TCP relay from 127.0.0.1 to ``target_port`` that counts the client's connections."""

    def __init__(self, target_port: int) -> None:
        self._target = ("127.0.0.1", target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._cond = threading.Condition()
        self._accepted = 0
        self._client_closed = 0
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._spawn(self._accept_loop, "relay-accept")

    @property
    def port(self) -> int:
        """The port clients connect to."""
        return int(self._listener.getsockname()[1])

    @property
    def accepted(self) -> int:
        """Connections the client opened so far."""
        with self._cond:
            return self._accepted

    def wait_client_closed(self, count: int, timeout: float = WAIT_S) -> bool:
        """Wait until the client closed at least ``count`` of its connections."""
        with self._cond:
            return self._cond.wait_for(lambda: self._client_closed >= count, timeout=timeout)

    def close(self) -> None:
        """Stop accepting, cut every relayed connection and join the relay's threads."""
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept()
        except OSError:
            pass
        self._listener.close()
        with self._cond:
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in list(self._threads):
            thread.join(timeout=WAIT_S)
        for sock in sockets:
            sock.close()

    def _spawn(self, target: object, name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._target)
            with self._cond:
                self._accepted += 1
                self._sockets += [client, upstream]
            self._spawn(self._pump, "relay-up", client, upstream, True)
            self._spawn(self._pump, "relay-down", upstream, client, False)

    def _pump(self, src: socket.socket, dst: socket.socket, from_client: bool) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        if from_client:
            with self._cond:
                self._client_closed += 1
                self._cond.notify_all()
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


@pytest.fixture
def relay(sim: Simulator) -> Iterator[CountingRelay]:
    """A counting relay in front of the simulator's REST server."""
    r = CountingRelay(sim.rest.port)
    try:
        yield r
    finally:
        r.close()


def _base_url(relay: CountingRelay) -> str:
    return f"http://127.0.0.1:{relay.port}/v1"


def _config(**fields: object) -> va.VoicePipelineConfig:
    return va.VoicePipelineConfig(
        stt_settings=va.STTSettings(model="gpt-4o-transcribe"),
        tts_settings=va.TTSSettings(model="gpt-4o-mini-tts", voice="nova"),
        **fields,  # type: ignore[arg-type]
    )


@pytest.fixture
def client(relay: CountingRelay) -> Iterator[AudioHTTPClient]:
    """An HTTP client talking to the simulator through the relay; closed at the end."""
    c = AudioHTTPClient(
        base_url=_base_url(relay), api_key=resolve_api_key(TEST_KEY), config=_config()
    )
    try:
        yield c
    finally:
        c.close()


def _say(client: AudioHTTPClient, text: str, token: va.CancelToken) -> str:
    """Speak ``text`` and return what the synthetic audio decodes to."""
    pcm = b"".join(client.speech(text, va.TTSSettings(model="gpt-4o-mini-tts"), token))
    return decode(pcm16_from_bytes(pcm))


def _hear(client: AudioHTTPClient, text: str, token: va.CancelToken) -> str:
    audio = va.AudioInput.from_wav(speech_wav(text))
    return client.transcribe(audio, va.STTSettings(model="gpt-4o-transcribe"), token)


def test_sequential_requests_share_one_connection(
    client: AudioHTTPClient, relay: CountingRelay
) -> None:
    tokens = [va.CancelToken() for _ in range(3)]
    for k, token in enumerate(tokens):
        assert _hear(client, f"turn {k}", token) == f"turn {k}"
        assert _say(client, f"answer {k}", token) == f"answer {k}"
    assert relay.accepted == 1
    assert [t.connections_opened for t in tokens] == [1, 0, 0]
    assert [t.connections_used for t in tokens] == [2, 2, 2]


def test_a_cancelled_request_drops_its_connection_and_the_next_one_opens_a_new_one(
    sim: Simulator, client: AudioHTTPClient, relay: CountingRelay
) -> None:
    assert _say(client, "warm up", va.CancelToken()) == "warm up"
    assert relay.accepted == 1
    sim.scenario = attrs.evolve(sim.scenario, tts_latency_s=HELD_S)
    token = va.CancelToken()
    failure: list[BaseException] = []

    def held() -> None:
        try:
            _say(client, "never answered", token)
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=held, name="held-request")
    thread.start()
    try:
        # The held request took the kept-alive connection and waits for the answer's headers.
        assert token.wait_connections(1, timeout=WAIT_S)
        assert token.connections_opened == 0
        token.cancel()
        thread.join(timeout=WAIT_S)
        assert not thread.is_alive()
    finally:
        token.cancel()
        thread.join(timeout=WAIT_S)
    assert len(failure) == 1 and isinstance(failure[0], va.VoiceCancelledError)
    assert relay.wait_client_closed(1)  # the interrupted connection was not kept
    sim.scenario = attrs.evolve(sim.scenario, tts_latency_s=0.0)
    fresh = va.CancelToken()
    assert _say(client, "after the cancel", fresh) == "after the cancel"
    assert fresh.connections_opened == 1
    assert relay.accepted == 2


def test_cancelling_a_finished_run_leaves_its_connection_usable_for_others(
    client: AudioHTTPClient, relay: CountingRelay
) -> None:
    finished = va.CancelToken()
    assert _say(client, "done", finished) == "done"
    finished.cancel()  # e.g. a run ended by its consumer after its requests completed
    other = va.CancelToken()
    assert _say(client, "still fine", other) == "still fine"
    assert other.connections_opened == 0
    assert relay.accepted == 1


def test_closing_the_client_closes_its_connections(
    client: AudioHTTPClient, relay: CountingRelay
) -> None:
    tokens = [va.CancelToken() for _ in range(2)]
    results: list[str] = []
    # Two requests at once need two connections; both are kept afterwards.
    threads = [
        threading.Thread(target=lambda t=t, k=k: results.append(_say(client, f"x{k}", t)))
        for k, t in enumerate(tokens)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT_S)
    assert sorted(results) == ["x0", "x1"]
    opened = relay.accepted
    assert opened in (1, 2)  # 1 when the second request started after the first ended
    client.close()
    assert relay.wait_client_closed(opened)
    # A request after close() opens a new session and connection.
    assert _say(client, "again", va.CancelToken()) == "again"
    assert relay.accepted == opened + 1


def test_pipeline_runs_reuse_connections_and_stop_closes_them(relay: CountingRelay) -> None:
    pipeline = va.Pipeline.start(
        workflow=va.SimpleWorkflow(lambda text: [f"You said: {text}"]),
        config=_config(),
        base_url=_base_url(relay),
        api_key=TEST_KEY,
    )
    try:
        results, events = [], []
        for k in (1, 2):  # one after the other
            results.append(pipeline.run(va.AudioInput.from_wav(speech_wav(f"run {k}"))))
            events.append(collect(results[-1]))
    finally:
        pipeline.stop()
    for k, run in zip((1, 2), events, strict=True):
        assert kinds(run) == ["turn_started", "audio", "turn_ended", "session_ended"]
        assert decode(pcm16_from_bytes(audio_bytes(run))) == f"You said: run {k}"
    # The transcription, then the speech of the one sentence, on one connection in both runs.
    assert [r.token.connections_used for r in results] == [2, 2]
    assert [r.token.connections_opened for r in results] == [1, 0]
    assert relay.accepted == 1
    assert relay.wait_client_closed(1)  # stop() closed the kept-alive connection
