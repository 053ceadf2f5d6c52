"""HTTP plumbing of the simulator's REST server: a threading server that can be stopped
cleanly (it tracks its connections and handler threads) and a handler base class with the
response writers the endpoints need (JSON, chunked bodies, SSE, a dropped connection).
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
import socket
import sys
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from realtime_actors.simulator.rest_errors import RestApiError

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 26 * 1024 * 1024
"""Largest request body read (the transcription endpoint's limit is 25 MB)."""


class ClientGone(Exception):
    """The client closed the connection, or the server is stopping mid-response."""


class TrackingHTTPServer(ThreadingHTTPServer):
    """A ``ThreadingHTTPServer`` whose connections can be aborted and threads joined on stop."""

    daemon_threads = True
    block_on_close = False  # close_all() joins the handler threads itself

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._handler_threads: set[threading.Thread] = set()
        self._counter = itertools.count(1)
        self.stopping = threading.Event()
        """Set when the server stops: handlers waiting (latency, pacing) give up."""

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve one connection in a named handler thread."""
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name=f"rest-simulator-conn-{next(self._counter)}",
            daemon=True,
        )
        with self._lock:
            self._connections.add(request)
            self._handler_threads.add(thread)
        thread.start()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log a connection's failure: one line for a client that reset or closed it (a
        normal end of a keep-alive connection), the traceback only for anything else.
        The standard library would print the traceback to stderr in both cases."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
            logger.info("rest simulator: client %s closed the connection (%s)",
                        client_address, type(exc).__name__)
            return
        logger.error("rest simulator: connection from %s failed", client_address,
                     exc_info=exc)

    def _serve_connection(self, request: socket.socket, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._connections.discard(request)
                self._handler_threads.discard(threading.current_thread())

    def close_all(self, timeout: float) -> None:
        """Abort every open connection and join the handler threads (the listener is closed
        by the caller)."""
        self.stopping.set()
        with self._lock:
            connections = list(self._connections)
            threads = list(self._handler_threads)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError as exc:  # already closed by its handler
                logger.debug("rest simulator: shutting down a connection: %s", exc)
        for thread in threads:
            thread.join(timeout)
            if thread.is_alive():
                logger.warning("rest simulator: handler thread %s did not stop", thread.name)


class ResponseWriter(BaseHTTPRequestHandler):
    """Handler base: request body reading and the response shapes of the REST endpoints."""

    protocol_version = "HTTP/1.1"
    server_version = "realtime-actors-simulator/0.1"
    timeout = 60.0
    disable_nagle_algorithm = True
    """TCP_NODELAY, as a real API front end: headers and body written separately must not wait
    for the client's delayed ACK (40 ms per request on a kept-alive connection)."""
    server: TrackingHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Route the stdlib access log to the module logger at DEBUG."""
        logger.debug("rest simulator: " + format, *args)

    # -- request -----------------------------------------------------------------------------

    def read_body(self) -> bytes:
        """The request body (Content-Length or chunked). Raises RestApiError 413 if too large."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length_text = self.headers.get("Content-Length") or "0"
        try:
            length = int(length_text)
        except ValueError as exc:
            self.close_connection = True
            raise RestApiError(400, f"Invalid Content-Length {length_text!r}.", code=None) from exc
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            raise RestApiError(413, f"Request body too large ({length} bytes).", code=None)
        body = self.rfile.read(length)
        if len(body) < length:
            raise ClientGone("request body cut short")
        return body

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            if not line:
                raise ClientGone("chunked request body cut short")
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError as exc:
                self.close_connection = True
                raise RestApiError(400, "Malformed chunked request body.", code=None) from exc
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            total += size
            if total > MAX_BODY_BYTES:
                self.close_connection = True
                raise RestApiError(413, "Request body too large.", code=None)
            parts.append(self.rfile.read(size))
            self.rfile.readline(8)

    # -- responses ---------------------------------------------------------------------------

    def _head(self, status: int, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        self.send_header("x-request-id", f"req_{secrets.token_hex(12)}")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def send_body(
        self, status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
    ) -> None:
        """A complete response with a Content-Length."""
        all_headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
        all_headers.update(headers or {})
        self._head(status, all_headers)
        self._write(body)

    def send_json(self, status: int, payload: Any) -> None:
        """A JSON response."""
        self.send_body(status, json.dumps(payload).encode(), "application/json")

    def send_error_answer(self, error: RestApiError) -> None:
        """The OpenAI error body of ``error``, with its status and headers."""
        self.send_body(error.status, error.body(), "application/json", error.headers)

    def start_chunked(self, content_type: str) -> None:
        """Start a 200 response with a chunked body."""
        headers = {"Content-Type": content_type, "Transfer-Encoding": "chunked"}
        if content_type.startswith("text/event-stream"):
            headers["Cache-Control"] = "no-cache"
        self._head(200, headers)

    def write_chunk(self, data: bytes) -> None:
        """One chunk of a chunked body (empty data writes nothing)."""
        if data:
            self._write(b"%x\r\n%s\r\n" % (len(data), data))

    def write_event(self, event: Mapping[str, Any]) -> None:
        """One SSE ``data:`` event as one chunk."""
        self.write_chunk(b"data: " + json.dumps(event).encode() + b"\n\n")

    def end_chunked(self) -> None:
        """Terminate a chunked body."""
        self._write(b"0\r\n\r\n")

    def drop_mid_body(self, status: int, content_type: str, partial: bytes) -> None:
        """Send headers promising more than ``partial``, send it, then close the socket."""
        self._head(status, {"Content-Type": content_type, "Content-Length": str(len(partial) * 4)})
        self._write(partial)
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError as exc:
            logger.debug("rest simulator: dropping a connection: %s", exc)

    def pause(self, seconds: float) -> None:
        """Wait (simulated latency or pacing); raises ClientGone if the server stops."""
        if seconds > 0 and self.server.stopping.wait(seconds):
            raise ClientGone("server stopping")

    def _write(self, data: bytes) -> None:
        if self.server.stopping.is_set():
            raise ClientGone("server stopping")
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError as exc:  # BrokenPipe, ConnectionReset
            raise ClientGone(f"client went away: {exc}") from exc
