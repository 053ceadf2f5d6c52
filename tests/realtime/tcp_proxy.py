"""A TCP proxy of the tests' own, on 127.0.0.1, that can cut every connection mid-stream.

Each accepted client gets a socket to the upstream and two pump threads. ``cut()`` shuts both
sockets of every live pair down at once (the client sees the stream end without a close frame,
as after a network failure). ``stop()`` cuts everything and joins every thread.
"""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit, urlunsplit

BUFFER = 65536


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``upstream`` (host, port)."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self._upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self.accepted = 0
        self.bytes_down = 0
        self.bytes_up = 0
        self.flowing_up = threading.Event()
        """Cleared by ``pause_up``: client -> upstream bytes stop being read (the client's
        socket buffers fill up, as with a server that stops reading)."""
        self.flowing_up.set()
        self._accept_thread = threading.Thread(target=self._accept_loop, name="proxy-accept",
                                               daemon=True)
        self._accept_thread.start()

    @classmethod
    def for_ws_url(cls, ws_url: str) -> tuple[TcpProxy, str]:
        """A proxy in front of a ``ws://`` URL and the URL that goes through it."""
        parts = urlsplit(ws_url)
        proxy = cls((parts.hostname or "127.0.0.1", parts.port or 80))
        return proxy, urlunsplit(parts._replace(netloc=f"127.0.0.1:{proxy.port}"))

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
            with self._lock:
                self.accepted += 1
                self._pairs.append((client, upstream))
                self._sockets += [client, upstream]
                for src, dst, down in ((client, upstream, False), (upstream, client, True)):
                    thread = threading.Thread(target=self._pump, args=(src, dst, down),
                                              name="proxy-pump", daemon=True)
                    self._threads.append(thread)
                    thread.start()

    def _pump(self, src: socket.socket, dst: socket.socket, down: bool) -> None:
        try:
            while True:
                if not down:
                    self.flowing_up.wait()
                data = src.recv(BUFFER)
                if not data:
                    break
                with self._lock:
                    if down:
                        self.bytes_down += len(data)
                    else:
                        self.bytes_up += len(data)
                dst.sendall(data)
        except OSError:
            pass  # the other side was cut: that is the point of this proxy
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def pause_up(self) -> None:
        """Stop forwarding client -> upstream (after the chunk being forwarded)."""
        self.flowing_up.clear()

    def resume_up(self) -> None:
        """Forward client -> upstream again."""
        self.flowing_up.set()

    def cut(self) -> int:
        """Cut every live connection; returns how many were cut."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for sock in pair:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        return len(pairs)

    def stop(self) -> None:
        """Cut everything, stop accepting and join every thread."""
        self._stopping.set()
        self.flowing_up.set()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self._listener.close()
        self.cut()
        self._accept_thread.join(5)
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(5)
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()
