"""The shared I/O hub behind SocketReader, over real sockets on 127.0.0.1 (helpers in
``io_hub_support``)."""

from __future__ import annotations

import queue
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websocket
from websockets.sync.server import ServerConnection

from realtime_actors.errors import ConfigError
from realtime_actors.io_hub import IOHub, io_mode, io_thread_count
from realtime_actors.io_hub_frames import FrameProtocolError
from realtime_actors.reader import MAX_BATCH, SocketReader
from realtime_actors.transport_limits import TransportLimits
from tests.unit.io_hub_support import (
    WAIT_S,
    Client,
    RawServer,
    Recorder,
    server_frame,
    threads_named,
    wait_gone,
    ws_server,
)
from tests.unit.test_tls import CA_A_PEM, SERVER_CERT_PEM, SERVER_KEY_PEM


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    server = RawServer()
    try:
        yield server
    finally:
        server.close()


# ------------------------------------------------------------------------------ the hub itself
def test_many_connections_share_one_hub_thread_and_keep_their_order() -> None:
    count, messages = 24, 40

    def handler(connection: ServerConnection) -> None:
        for i in range(messages):
            connection.send(f"{connection.request.path}:{i}")
        connection.recv(timeout=WAIT_S)  # "bye" from the client
        connection.close(1000, "done")

    hub = IOHub("test-hub")
    with ws_server(handler) as url:
        clients = [Client(f"{url}c{n}", hub=hub) for n in range(count)]
        try:
            for client in clients:
                client.opened()
            for n, client in enumerate(clients):
                frames, _ = client.frames(messages)
                assert frames == [f"/c{n}:{i}".encode() for i in range(messages)]
            # the handshake threads are gone; one hub thread reads every connection
            for thread in threads_named("test-reader"):
                thread.join(WAIT_S)
            assert threads_named("test-reader") == []
            assert [t.name for t in threads_named("test-hub")] == ["test-hub"]
            for client in clients:
                assert client.ws is not None
                client.ws.send("bye")
            for client in clients:
                closed = client.closed()
                assert (closed.code, closed.reason, closed.error) == (1000, "done", None)
        finally:
            for client in clients:
                client.shutdown()
    wait_gone(hub.thread)


def test_buffered_frames_come_in_batches_of_at_most_max_batch(raw_server: RawServer) -> None:
    client = Client(raw_server.url)
    peer = raw_server.open()
    client.opened()
    count = 2 * MAX_BATCH + 50
    peer.sendall(b"".join(server_frame(b"%d" % i) for i in range(count)))  # one write
    frames, sizes = client.frames(count)
    assert frames == [b"%d" % i for i in range(count)]
    assert max(sizes) == MAX_BATCH  # a burst is one message, split at MAX_BATCH
    assert len(sizes) < count
    peer.sendall(server_frame(b"\x03\xe8", opcode=0x8))
    assert client.closed().code == 1000
    client.shutdown()


def test_half_a_frame_does_not_stall_the_other_connections(raw_server: RawServer) -> None:
    hub = IOHub("test-hub")
    slow, fast = Client(raw_server.url, hub=hub), None
    slow_peer = raw_server.open()
    slow.opened()
    fast = Client(raw_server.url, hub=hub)
    fast_peer = raw_server.open()
    fast.opened()
    whole = server_frame(b"x" * 5000)
    slow_peer.sendall(whole[:2000])  # header and part of the payload
    fast_peer.sendall(server_frame(b"fast"))
    assert fast.frames(1)[0] == [b"fast"]
    slow_peer.sendall(whole[2000:])
    assert slow.frames(1)[0] == [b"x" * 5000]
    for peer, client in ((slow_peer, slow), (fast_peer, fast)):
        peer.sendall(server_frame(b"\x0f\xa1bye", opcode=0x8))
        assert (client.closed().code, "bye") == (4001, "bye")
        client.shutdown()
    wait_gone(hub.thread)


def test_fragmented_message_is_reassembled_and_pings_are_answered() -> None:
    pongs: queue.Queue[bool] = queue.Queue()

    def handler(connection: ServerConnection) -> None:
        connection.send(["frag", "men", "ted"])
        pongs.put(connection.ping(b"are you there").wait(WAIT_S))
        connection.send("after the ping")
        connection.recv(timeout=WAIT_S)

    with ws_server(handler) as url:
        client = Client(url)
        client.opened()
        frames, _ = client.frames(2)
        assert frames == [b"fragmented", b"after the ping"]
        assert pongs.get(timeout=WAIT_S) is True
        client.ws.send("bye")  # type: ignore[union-attr]
        assert client.closed().code == 1000
        client.shutdown()


def test_a_close_frame_gives_its_code_and_reason_and_is_answered() -> None:
    answered: queue.Queue[int | None] = queue.Queue()

    def handler(connection: ServerConnection) -> None:
        connection.send("last words")
        connection.close(4001, "go away")
        rcvd = connection.protocol.close_rcvd
        answered.put(None if rcvd is None else rcvd.code)

    with ws_server(handler) as url:
        client = Client(url)
        client.opened()
        assert client.frames(1)[0] == [b"last words"]
        closed = client.closed()
        assert (closed.code, closed.reason, closed.error) == (4001, "go away", None)
        client.shutdown()  # the owner closes the socket; the server's close() returns
        echoed = answered.get(timeout=WAIT_S)
        assert echoed == 4001  # the hub echoes the code (RFC 6455)


def test_a_dropped_connection_gives_no_code_and_connection_dropped(
    raw_server: RawServer
) -> None:
    client = Client(raw_server.url)
    peer = raw_server.open()
    client.opened()
    peer.sendall(server_frame(b"one"))
    assert client.frames(1)[0] == [b"one"]
    peer.shutdown(socket.SHUT_RDWR)
    closed = client.closed()
    assert (closed.code, closed.reason) == (None, "connection dropped")
    assert isinstance(closed.error, websocket.WebSocketConnectionClosedException)
    client.shutdown()


def test_our_close_is_reported_as_closed_with_the_echoed_code() -> None:
    with ws_server(lambda connection: connection.recv(timeout=WAIT_S)) as url:
        client = Client(url)
        ws = client.opened()
        client.reader.closing.set()
        ws.send_close(1000, b"bye")
        closed = client.closed()
        assert (closed.code, closed.reason, closed.error) == (1000, "bye", None)
        client.shutdown()


def test_shutdown_while_the_peer_never_answers_reports_connection_closed(
    raw_server: RawServer
) -> None:
    client = Client(raw_server.url)
    peer = raw_server.open()
    ws = client.opened()
    client.reader.closing.set()
    ws.send_close(1000, b"")
    assert peer.recv(2)[0] == 0x88  # our close frame arrived, and the peer stays silent
    assert client.reader.thread.is_alive()
    # not ws.abort(): websocket-client makes it a no-op once send_close() ran
    assert ws.sock is not None
    ws.sock.shutdown(socket.SHUT_RDWR)
    closed = client.closed()
    assert (closed.code, closed.reason, closed.error) == (None, "connection closed", None)
    client.shutdown()


def test_closing_while_connecting_reports_closed_and_closes_the_socket(
    raw_server: RawServer
) -> None:
    client = Client(raw_server.url)
    peer, key = raw_server.accept()  # the client now waits for the handshake answer
    client.reader.closing.set()
    assert client.reader.thread.is_alive()
    raw_server.upgrade(peer, key)
    closed = client.closed()  # no SocketOpened before it
    assert (closed.code, closed.reason) == (None, "connection closed")
    assert peer.recv(1) == b""  # the client closed its end
    assert client.inbox.empty()
    client.shutdown()


def test_hub_thread_exits_with_its_last_connection_and_restarts(raw_server: RawServer) -> None:
    hub = IOHub("test-hub")

    def served() -> tuple[Client, socket.socket]:
        client = Client(raw_server.url, hub=hub)
        peer = raw_server.open()
        client.opened()
        peer.sendall(server_frame(b"hello"))
        assert client.frames(1)[0] == [b"hello"]  # the hub serves it now
        return client, peer

    (first, first_peer), (second, second_peer) = served(), served()
    running = hub.thread
    assert running is not None and running.is_alive()
    first_peer.shutdown(socket.SHUT_RDWR)
    first.closed()
    assert hub.thread is running and running.is_alive()  # still serving the second one
    second_peer.shutdown(socket.SHUT_RDWR)
    second.closed()
    wait_gone(running)
    assert hub.thread is None and hub.load == 0

    third, third_peer = served()
    assert hub.thread is not None and hub.thread is not running
    third_peer.shutdown(socket.SHUT_RDWR)
    third.closed()
    for client in (first, second, third):
        client.shutdown()
    wait_gone(hub.thread)


def test_a_gone_owner_releases_the_connection(raw_server: RawServer) -> None:
    hub = IOHub("test-hub")
    client = Client(raw_server.url, hub=hub)
    peer = raw_server.open()
    ws = client.opened()
    client.owner.stop(timeout=WAIT_S)
    peer.sendall(server_frame(b"anyone?"))
    client.reader.thread.join(WAIT_S)
    assert not client.reader.thread.is_alive()
    wait_gone(hub.thread)
    ws.shutdown()


def test_a_socket_closed_by_its_owner_is_noticed(raw_server: RawServer) -> None:
    hub = IOHub("test-hub")
    client = Client(raw_server.url, hub=hub)
    raw_server.open()
    ws = client.opened()
    client.reader.closing.set()
    ws.shutdown()  # closes the descriptor under the hub, without a shutdown() first
    closed = client.closed()
    assert (closed.code, closed.reason) == (None, "connection closed")
    wait_gone(hub.thread)
    client.shutdown()


def test_handshake_rejection_and_refused_connect_are_reported() -> None:
    def reject(connection: ServerConnection, request: Any) -> Any:
        return connection.respond(401, "no key\n")

    with ws_server(lambda connection: None, process_request=reject) as url:
        client = Client(url)
        closed = client.closed()
        assert closed.handshake_status == 401 and closed.reason.startswith("handshake failed")
        client.shutdown()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = Client(f"ws://127.0.0.1:{port}/")
    closed = client.closed()
    assert closed.code is None and closed.reason.startswith("connect failed")
    client.shutdown()


# ------------------------------------------------------------------------------ sending, TLS
def _echo(connection: ServerConnection) -> None:
    for message in connection:
        connection.send(message)


def _tls_server_context(tmp_path: Path) -> tuple[ssl.SSLContext, dict[str, Any]]:
    (tmp_path / "ca.pem").write_text(CA_A_PEM, encoding="ascii")
    (tmp_path / "cert.pem").write_text(SERVER_CERT_PEM, encoding="ascii")
    (tmp_path / "key.pem").write_text(SERVER_KEY_PEM, encoding="ascii")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context, {"ca_certs": str(tmp_path / "ca.pem")}


@pytest.mark.parametrize("tls", [False, True], ids=["ws", "wss"])
def test_big_sends_wait_for_room_and_big_frames_arrive_whole(tls: bool, tmp_path: Path) -> None:
    options: dict[str, Any] = {"max_size": None}
    sslopt: dict[str, Any] | None = None
    if tls:
        options["ssl"], sslopt = _tls_server_context(tmp_path)
    big = "".join(chr(ord("a") + i % 26) for i in range(3_000_000))  # beyond socket buffers
    with ws_server(_echo, **options) as url:
        client = Client(url, sslopt=sslopt)
        ws = client.opened()
        assert ws.sock is not None and ws.sock.gettimeout() == 0.0  # the hub reads non-blocking
        for n in range(3):
            ws.send(f"small {n}")
        ws.send(big)
        ws.send("after")
        frames, _ = client.frames(5)
        assert frames[:3] == [b"small 0", b"small 1", b"small 2"]
        assert frames[3] == big.encode() and frames[4] == b"after"
        client.reader.closing.set()
        ws.send_close(1000, b"")
        assert client.closed().code == 1000
        client.shutdown()


# ------------------------------------------------------------------------------ strictness
def _close_frame_from(peer: socket.socket) -> bytes:
    """The payload of the close frame the client sent (it is masked: unmask it)."""
    data = b""
    while len(data) < 2 or len(data) < 6 + (data[1] & 0x7F):
        chunk = peer.recv(4096)
        assert chunk, "the client closed without a close frame"
        data += chunk
    assert data[0] == 0x88, "not a close frame"
    length, mask = data[1] & 0x7F, data[2:6]
    return bytes(b ^ mask[i % 4] for i, b in enumerate(data[6:6 + length]))


@pytest.mark.parametrize(("wire", "close_code", "reason"), [
    pytest.param(b"\xc1\x00", 1002, "reserved bits", id="reserved-bits"),
    pytest.param(b"\x81\x84abcd" + bytes(b ^ m for b, m in zip(b"text", b"abcd", strict=True)),
                 1002, "masked", id="masked-frame"),
    pytest.param(server_frame(b"\x03\xed", opcode=0x8), 1002, "invalid code 1005",
                 id="close-1005"),
    pytest.param(server_frame(b"\x03\xee", opcode=0x8), 1002, "invalid code 1006",
                 id="close-1006"),
    pytest.param(server_frame(b"\x03\xf7", opcode=0x8), 1002, "invalid code 1015",
                 id="close-1015"),
    pytest.param(server_frame(b"\x03\xe8\xff\xfe", opcode=0x8), 1007, "UTF-8",
                 id="close-reason-not-utf8"),
    pytest.param(server_frame(b"x" * 2000), 1009, "size limit", id="oversize"),
])
def test_a_protocol_violation_closes_with_its_code_and_is_reported(
    raw_server: RawServer, wire: bytes, close_code: int, reason: str
) -> None:
    client = Client(raw_server.url, limits=TransportLimits(max_message_bytes=1000))
    peer = raw_server.open()
    client.opened()
    peer.sendall(server_frame(b"fine") + wire)
    assert client.frames(1)[0] == [b"fine"]
    closed = client.closed()
    assert closed.code is None and closed.reason.startswith("protocol error:")
    assert reason in closed.reason
    assert isinstance(closed.error, FrameProtocolError)
    assert closed.error.close_code == close_code
    assert int.from_bytes(_close_frame_from(peer)[:2], "big") == close_code
    client.shutdown()


def test_a_silent_connection_is_pinged_and_given_up_when_the_ping_is_unanswered(
    raw_server: RawServer
) -> None:
    client = Client(raw_server.url,
                    limits=TransportLimits(ping_interval_s=0.05, ping_timeout_s=0.3))
    peer = raw_server.open()
    client.opened()
    first = peer.recv(2)  # the keepalive ping's header: the server says nothing back
    assert first[0] == 0x89
    closed = client.closed()
    assert closed.code is None and "keepalive" in closed.reason
    assert isinstance(closed.error, TimeoutError)
    client.shutdown()


def test_an_answered_ping_keeps_a_quiet_connection(raw_server: RawServer) -> None:
    client = Client(raw_server.url,
                    limits=TransportLimits(ping_interval_s=0.05, ping_timeout_s=0.5))
    peer = raw_server.open()
    client.opened()
    for _ in range(3):  # three pings answered: the connection stays up through them all
        header = peer.recv(2)
        assert header[0] == 0x89
        rest = peer.recv(4 + (header[1] & 0x7F))
        mask, body = rest[:4], rest[4:]
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(body))
        peer.sendall(server_frame(payload, opcode=0xA))
    peer.sendall(server_frame(b"still here"))
    assert client.frames(1)[0] == [b"still here"]
    client.shutdown()


# ------------------------------------------------------------------------------ configuration
def test_io_mode_and_thread_count_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    assert io_mode({}) == "hub"
    assert io_mode({"REALTIME_ACTORS_IO": "  "}) == "hub"
    assert io_mode({"REALTIME_ACTORS_IO": "Hub"}) == "hub"
    for removed in ("thread", "asyncio"):
        with pytest.raises(ConfigError, match="REALTIME_ACTORS_IO"):
            io_mode({"REALTIME_ACTORS_IO": removed})
    assert io_thread_count({}) == 1
    assert io_thread_count({"REALTIME_ACTORS_IO_THREADS": "3"}) == 3
    for bad in ("0", "two", "65"):
        with pytest.raises(ConfigError, match="REALTIME_ACTORS_IO_THREADS"):
            io_thread_count({"REALTIME_ACTORS_IO_THREADS": bad})

    def never() -> websocket.WebSocket:
        raise AssertionError("not started")

    owner = Recorder.start(queue.Queue())
    monkeypatch.setenv("REALTIME_ACTORS_IO", "thread")
    with pytest.raises(ConfigError, match="removed"):
        SocketReader(owner, 0, never, name="x")
    monkeypatch.setenv("REALTIME_ACTORS_IO", "hub")
    assert not isinstance(SocketReader(owner, 0, never, name="x").thread, threading.Thread)
    owner.stop(timeout=WAIT_S)
