"""A fault-injecting TCP proxy of the tests' own (127.0.0.1 only, threads, seeded).

It sits between the library and the simulator and cuts the *byte stream*, not the protocol:
after the HTTP upgrade it splits each direction into WebSocket frames (server frames are
plain, client frames are unmasked to read them) and, when a :class:`Fault` matches a frame,

- ``rst``: forwards the frame (``after``), nothing of it (``before``) or a random prefix of
  its bytes (``mid``), then resets both TCP connections (``SO_LINGER`` 0: the peer sees RST);
- ``fin``: the same cut, then shuts both connections down (the peer sees the stream end
  without a close frame);
- ``stall``: forwards nothing more in either direction while keeping both sockets open (a
  half-open connection: only the client's own keepalive can notice);
- ``inject``: sends ``inject`` bytes (a hostile frame) in place of the frame, then goes on
  forwarding (the client is expected to close the connection itself).

``Trickle`` slows one direction down to a few bytes at a time. Every fault that fired is
recorded in :attr:`ChaosProxy.fired` with the connection index and the byte offset. Without a
plan it is a plain proxy that a test can still :meth:`~ChaosProxy.cut` (every live connection
at once) or pause in the client-to-server direction (a server that stops reading).
"""

from __future__ import annotations

import json
import random
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import attrs

Direction = Literal["down", "up"]


@attrs.frozen
class FrameInfo:
    """One WebSocket frame crossing the proxy."""

    direction: Direction
    index: int
    """Index of the frame in its direction on its connection (0 = first after the upgrade)."""
    opcode: int
    event: dict[str, Any] | None
    """The JSON object of a text frame, if it is one."""

    @property
    def type(self) -> str | None:
        """The event's ``type``."""
        return None if self.event is None else self.event.get("type")


@attrs.frozen
class Fault:
    """Cut a connection when ``match`` accepts a frame going ``direction``."""

    direction: Direction
    match: Callable[[FrameInfo], bool]
    action: Literal["rst", "fin", "stall", "inject"] = "rst"
    cut: Literal["before", "after", "mid"] = "after"
    label: str = ""
    inject: bytes = b""


@attrs.frozen
class Trickle:
    """Forward ``direction`` at most ``chunk`` bytes at a time, ``pause_s`` apart."""

    direction: Direction = "down"
    chunk: int = 7
    pause_s: float = 0.0005


@attrs.frozen
class ConnectionPlan:
    """What happens to one proxied connection."""

    faults: tuple[Fault, ...] = ()
    trickle: Trickle | None = None


@attrs.frozen
class Fired:
    """A fault that fired."""

    connection: int
    label: str
    action: str
    direction: Direction
    frame_type: str | None
    offset: int
    """Bytes of that direction forwarded on the connection when it was cut."""
    at: float


def event_is(kind: str, nth: int = 1, **fields: Any) -> Callable[[FrameInfo], bool]:
    """Matches the ``nth`` frame of type ``kind`` (whose item/fields match ``fields``)."""
    seen = [0]

    def match(info: FrameInfo) -> bool:
        event = info.event
        if event is None or event.get("type") != kind:
            return False
        for key, value in fields.items():
            if key == "item_type":
                if (event.get("item") or {}).get("type") != value:
                    return False
            elif event.get(key) != value:
                return False
        seen[0] += 1
        return seen[0] == nth

    return match


class _Pair:
    def __init__(self, index: int, client: socket.socket, upstream: socket.socket,
                 plan: ConnectionPlan) -> None:
        self.index = index
        self.client = client
        self.upstream = upstream
        self.plan = plan
        self.pending = list(plan.faults)
        self.lock = threading.Lock()
        self.dead = False
        self.stalled = threading.Event()
        self.forwarded = {"down": 0, "up": 0}


class ChaosProxy:
    """Forwards 127.0.0.1:<port> to ``upstream`` and injects the faults ``plan`` gives each
    connection (by accept order, from 0)."""

    def __init__(self, upstream: tuple[str, int],
                 plan: Callable[[int], ConnectionPlan | None] = lambda _index: None, *,
                 seed: int = 0) -> None:
        self._upstream = upstream
        self._plan = plan
        self._rng = random.Random(seed)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs: list[_Pair] = []
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self.accepted = 0
        self.fired: list[Fired] = []
        self.flowing_up = threading.Event()
        """Cleared by :meth:`pause_up`: client-to-server bytes stop being read (the client's
        socket buffers fill up, as with a server that stops reading)."""
        self.flowing_up.set()
        self._accept_thread = threading.Thread(target=self._accept_loop, name="chaos-accept",
                                               daemon=True)
        self._accept_thread.start()

    @classmethod
    def for_ws_url(cls, ws_url: str,
                   plan: Callable[[int], ConnectionPlan | None] = lambda _index: None, *,
                   seed: int = 0) -> tuple[ChaosProxy, str]:
        """A proxy in front of a ``ws://`` URL and the URL that goes through it."""
        parts = urlsplit(ws_url)
        proxy = cls((parts.hostname or "127.0.0.1", parts.port or 80), plan, seed=seed)
        return proxy, urlunsplit(parts._replace(netloc=f"127.0.0.1:{proxy.port}"))

    # ------------------------------------------------------------------ accepting
    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # listener closed
            try:
                upstream = socket.create_connection(self._upstream)
            except OSError:
                client.close()
                continue
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                index = self.accepted
                self.accepted += 1
                pair = _Pair(index, client, upstream, self._plan(index) or ConnectionPlan())
                self._pairs.append(pair)
                for direction in ("up", "down"):
                    thread = threading.Thread(target=self._pump, args=(pair, direction),
                                              name="chaos-pump", daemon=True)
                    self._threads.append(thread)
                    thread.start()

    # ------------------------------------------------------------------ pumping
    def _pump(self, pair: _Pair, direction: Direction) -> None:
        src, dst = (pair.client, pair.upstream) if direction == "up" else \
            (pair.upstream, pair.client)
        buffer = bytearray()
        upgraded = False
        index = 0
        try:
            while not pair.dead:
                if pair.stalled.is_set():
                    self._stopping.wait()
                    return
                if direction == "up":
                    self.flowing_up.wait()
                data = src.recv(65536)
                if not data:
                    break
                buffer += data
                if not upgraded:
                    end = buffer.find(b"\r\n\r\n")
                    if end < 0:
                        continue
                    self._forward(pair, direction, dst, bytes(buffer[:end + 4]))
                    del buffer[:end + 4]
                    upgraded = True
                while True:
                    frame = _split_frame(buffer)
                    if frame is None:
                        break
                    raw, info_opcode, payload = frame
                    del buffer[:len(raw)]
                    info = FrameInfo(direction, index, info_opcode, _event(info_opcode, payload))
                    index += 1
                    if not self._pass(pair, direction, dst, raw, info):
                        return
        except OSError:
            pass  # cut by us or by the other side: that is the point of this proxy
        finally:
            with pair.lock:
                ended_by_fault = pair.dead or pair.stalled.is_set()
                pair.dead = True
            if not ended_by_fault:  # a peer closed: pass the end on
                _shutdown(src)
                _shutdown(dst)

    def _pass(self, pair: _Pair, direction: Direction, dst: socket.socket, raw: bytes,
              info: FrameInfo) -> bool:
        with pair.lock:
            fault = next((f for f in pair.pending
                          if f.direction == direction and f.match(info)), None)
            if fault is not None:
                pair.pending.remove(fault)
        if fault is None:
            self._forward(pair, direction, dst, raw)
            return True
        if fault.action == "inject":
            self._record(pair, fault, direction, info)
            self._forward(pair, direction, dst, fault.inject)
            return True
        with self._lock:
            keep = {"before": 0, "after": len(raw),
                    "mid": self._rng.randint(1, max(1, len(raw) - 1))}[fault.cut]
        self._forward(pair, direction, dst, raw[:keep])
        self._record(pair, fault, direction, info)
        if fault.action == "stall":
            pair.stalled.set()
            return False
        with pair.lock:
            pair.dead = True
        for sock in (pair.client, pair.upstream):
            if fault.action == "rst":
                _reset(sock)
            else:
                _shutdown(sock)
        return False

    def _record(self, pair: _Pair, fault: Fault, direction: Direction, info: FrameInfo) -> None:
        with self._lock:
            self.fired.append(Fired(pair.index, fault.label or fault.action, fault.action,
                                    direction, info.type, pair.forwarded[direction],
                                    time.monotonic()))

    def _forward(self, pair: _Pair, direction: Direction, dst: socket.socket,
                 data: bytes) -> None:
        trickle = pair.plan.trickle
        if trickle is None or trickle.direction != direction:
            dst.sendall(data)
        else:
            for start in range(0, len(data), trickle.chunk):
                dst.sendall(data[start:start + trickle.chunk])
                if trickle.pause_s:
                    self._stopping.wait(trickle.pause_s)
        pair.forwarded[direction] += len(data)

    # ------------------------------------------------------------------ test controls
    @property
    def bytes_up(self) -> int:
        """Client-to-server bytes forwarded so far, over every connection."""
        with self._lock:
            return sum(pair.forwarded["up"] for pair in self._pairs)

    def pause_up(self) -> None:
        """Stop forwarding client-to-server bytes (after the read in progress)."""
        self.flowing_up.clear()

    def resume_up(self) -> None:
        """Forward client-to-server bytes again."""
        self.flowing_up.set()

    def cut(self) -> int:
        """End every live connection at once (both sides see the stream end without a close
        frame, as after a network failure); returns how many were cut."""
        with self._lock:
            pairs = list(self._pairs)
        count = 0
        for pair in pairs:
            with pair.lock:
                if pair.dead:
                    continue
                pair.dead = True
            count += 1
            for sock in (pair.client, pair.upstream):
                _shutdown(sock)
        return count

    # ------------------------------------------------------------------ stopping
    def stop(self) -> None:
        """Close everything, stop accepting and join every thread."""
        self._stopping.set()
        self.flowing_up.set()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            pairs = list(self._pairs)
        for pair in pairs:
            pair.dead = True
            for sock in (pair.client, pair.upstream):
                _shutdown(sock)
        self._accept_thread.join(5)
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(5)
        for pair in pairs:
            for sock in (pair.client, pair.upstream):
                sock.close()


def _split_frame(buffer: bytearray) -> tuple[bytes, int, bytes] | None:
    """(raw bytes, opcode, unmasked payload) of the first whole frame, or None."""
    if len(buffer) < 2:
        return None
    b0, b1 = buffer[0], buffer[1]
    length = b1 & 0x7F
    pos = 2
    if length == 126:
        if len(buffer) < 4:
            return None
        (length,) = struct.unpack_from("!H", buffer, 2)
        pos = 4
    elif length == 127:
        if len(buffer) < 10:
            return None
        (length,) = struct.unpack_from("!Q", buffer, 2)
        pos = 10
    mask = b""
    if b1 & 0x80:
        if len(buffer) < pos + 4:
            return None
        mask = bytes(buffer[pos:pos + 4])
        pos += 4
    if len(buffer) < pos + length:
        return None
    payload = bytes(buffer[pos:pos + length])
    if mask:
        key = int.from_bytes((mask * (length // 4 + 1))[:length], "big")
        payload = (int.from_bytes(payload, "big") ^ key).to_bytes(length, "big")
    return bytes(buffer[:pos + length]), b0 & 0x0F, payload


def _event(opcode: int, payload: bytes) -> dict[str, Any] | None:
    if opcode != 0x1:
        return None
    try:
        event = json.loads(payload)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def _reset(sock: socket.socket) -> None:
    """Reset the connection: wake any reader (SHUT_RD sends nothing), then close with a zero
    linger, which sends RST instead of FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass
    sock.close()


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
