"""Connections on the reactor (websockets' sans-I/O protocol over websocket-client's
handshake), over real sockets on 127.0.0.1 (helpers in ``reactor_support``)."""

from __future__ import annotations

import queue
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websocket
from websockets.sync.server import ServerConnection

from realtime_actors.reactor import FrameProtocolError, Reactor
from realtime_actors.reactor.connection import MAX_BATCH
from realtime_actors.transport.limits import TransportLimits
from tests.unit.reactor_support import (
    WAIT_S,
    Client,
    RawServer,
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


# ------------------------------------------------------------------------------ the reactor
def test_many_connections_share_one_reactor_thread_and_keep_their_order() -> None:
    count, messages = 24, 40

    def handler(connection: ServerConnection) -> None:
        for i in range(messages):
            connection.send(f"{connection.request.path}:{i}")
        connection.recv(timeout=WAIT_S)  # "bye" from the client
        connection.close(1000, "done")

    hub = Reactor("test-hub")
    with ws_server(handler) as url:
        clients = [Client(f"{url}c{n}", reactor_=hub) for n in range(count)]
        try:
            for client in clients:
                client.opened()
            for n, client in enumerate(clients):
                frames, _ = client.frames(messages)
                assert frames == [f"/c{n}:{i}".encode() for i in range(messages)]
            # the handshake threads are gone; one reactor thread serves every connection
            for thread in threads_named("test-connect"):
                thread.join(WAIT_S)
            assert threads_named("test-connect") == []
            assert [t.name for t in threads_named("test-hub")] == ["test-hub"]
            for client in clients:
                client.send("bye")
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
    hub = Reactor("test-hub")
    slow, fast = Client(raw_server.url, reactor_=hub), None
    slow_peer = raw_server.open()
    slow.opened()
    fast = Client(raw_server.url, reactor_=hub)
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
        client.send("bye")
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
        echoed = answered.get(timeout=WAIT_S)
        assert echoed == 4001  # the connection echoes the code (RFC 6455)
        client.shutdown()


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
        client.opened()
        client.close(1000, "bye")
        closed = client.closed()
        assert (closed.code, closed.reason, closed.error) == (1000, "bye", None)
        client.shutdown()


def test_our_close_ends_after_close_timeout_when_the_peer_never_answers(
    raw_server: RawServer
) -> None:
    client = Client(raw_server.url, close_timeout_s=0.2)
    peer = raw_server.open()
    client.opened()
    client.close(1000, "")
    assert peer.recv(2)[0] == 0x88  # our close frame arrived, and the peer stays silent
    closed = client.closed()  # after close_timeout_s, not waiting for the peer for ever
    assert (closed.code, closed.reason, closed.error) == (None, "connection closed", None)
    _read_to_eof(peer)  # and the socket is closed
    client.shutdown()


def _read_to_eof(peer: socket.socket) -> None:
    """Read what the client sent until it closes its end (the peer's timeout bounds it)."""
    while peer.recv(4096):
        pass


def test_closing_while_connecting_reports_closed_and_closes_the_socket(
    raw_server: RawServer
) -> None:
    client = Client(raw_server.url)
    peer, key = raw_server.accept()  # the client now waits for the handshake answer
    client.connector.closing.set()
    assert client.connector.thread.is_alive()
    raw_server.upgrade(peer, key)
    closed = client.closed()  # no SocketOpened before it
    assert (closed.code, closed.reason) == (None, "connection closed")
    assert peer.recv(1) == b""  # the client closed its end
    assert client.inbox.empty()
    client.shutdown()


def test_the_reactor_thread_exits_with_its_last_connection_and_restarts(
    raw_server: RawServer
) -> None:
    hub = Reactor("test-hub")

    def served() -> tuple[Client, socket.socket]:
        client = Client(raw_server.url, reactor_=hub)
        peer = raw_server.open()
        client.opened()
        peer.sendall(server_frame(b"hello"))
        assert client.frames(1)[0] == [b"hello"]  # the reactor serves it now
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
    hub = Reactor("test-hub")
    client = Client(raw_server.url, reactor_=hub)
    peer = raw_server.open()
    client.opened()
    client.owner.stop(timeout=WAIT_S)
    peer.sendall(server_frame(b"anyone?"))
    client.connector.thread.join(WAIT_S)
    assert not client.connector.thread.is_alive()
    _read_to_eof(peer)  # the socket was closed
    wait_gone(hub.thread)


def test_an_abort_closes_the_socket_at_once_and_reports_a_requested_close(
    raw_server: RawServer
) -> None:
    hub = Reactor("test-hub")
    client = Client(raw_server.url, reactor_=hub)
    peer = raw_server.open()
    client.opened()
    client.on_reactor(lambda conn: conn.abort())
    closed = client.closed()
    assert (closed.code, closed.reason) == (None, "connection closed")
    _read_to_eof(peer)
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
        conn = client.opened()
        assert conn.sock.gettimeout() == 0.0  # the reactor never blocks on it
        client.send(*(f"small {n}" for n in range(3)))
        client.send(big, "after")  # more than the socket takes: the rest waits for room
        frames, _ = client.frames(5)
        assert frames[:3] == [b"small 0", b"small 1", b"small 2"]
        assert frames[3] == big.encode() and frames[4] == b"after"
        client.close(1000, "")
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
    pytest.param(b"\x83\x00", 1002, "invalid opcode", id="unknown-opcode"),
    pytest.param(b"\x09\x00", 1002, "fragmented control frame", id="fragmented-ping"),
    pytest.param(server_frame(b"\x03\xec", opcode=0x8), 1002, "invalid status code",
                 id="close-1004"),
    pytest.param(server_frame(b"\x03\xe8", opcode=0x0), 1002, "unexpected continuation",
                 id="stray-continuation"),
    pytest.param(b"\x81\x84abcd" + bytes(b ^ m for b, m in zip(b"text", b"abcd", strict=True)),
                 1002, "incorrect masking", id="masked-frame"),
    pytest.param(server_frame(b"\x03\xed", opcode=0x8), 1002, "invalid status code",
                 id="close-1005"),
    pytest.param(server_frame(b"\x03\xee", opcode=0x8), 1002, "invalid status code",
                 id="close-1006"),
    pytest.param(server_frame(b"\x03\xf7", opcode=0x8), 1002, "invalid status code",
                 id="close-1015"),
    pytest.param(server_frame(b"\x03\xe8\xff\xfe", opcode=0x8), 1007, "invalid start byte",
                 id="close-reason-not-utf8"),
    pytest.param(server_frame(b"x" * 2000), 1009, "exceeds limit", id="oversize"),
    pytest.param(server_frame(b"x" * 600, fin=False) + server_frame(b"y" * 600, opcode=0x0),
                 1009, "exceeds limit", id="oversize-in-fragments"),
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
def test_the_removed_io_settings_are_ignored_with_one_warning(
    caplog: pytest.LogCaptureFixture
) -> None:
    from realtime_actors.reactor import connector

    connector._warned.clear()
    env = {"REALTIME_ACTORS_IO": "thread", "REALTIME_ACTORS_IO_THREADS": "3", "OTHER": "x"}
    with caplog.at_level("WARNING", logger=connector.__name__):
        assert connector.warn_removed_settings(env) == list(connector.REMOVED_SETTINGS)
        assert connector.warn_removed_settings(env) == list(connector.REMOVED_SETTINGS)
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2 and all("reactor" in w for w in warnings)
    assert connector.warn_removed_settings({"REALTIME_ACTORS_IO": "  "}) == []
    connector._warned.clear()


def test_a_peer_that_never_reads_cannot_grow_the_outgoing_buffer_without_bound(
    raw_server: RawServer
) -> None:
    limit = 64 * 1024
    client = Client(raw_server.url, limits=TransportLimits(send_buffer_bytes=limit))
    peer = raw_server.open()  # accepted, upgraded, and never read from again
    conn = client.opened()
    chunk = "x" * 256 * 1024
    sent = 0
    while not conn.finished and sent < 2000:  # far beyond socket buffers and the bound
        client.on_reactor(lambda c: None if c.finished else c.send_texts([chunk.encode()]))
        sent += 1
    closed = client.closed()
    assert closed.code is None and isinstance(closed.error, BufferError)
    assert "does not read" in closed.reason
    assert conn.out_bytes == 0  # what waited was released with the connection
    peer.close()
    client.shutdown()
