"""Plain HTTP requests on the WebSocket port: methods other than GET get a JSON answer.

websockets accepts only ``GET`` upgrade requests and drops any other request without a
word; the service answers them over HTTP. :class:`HttpAnsweringConnection` (given to
``websockets.asyncio.server.serve`` as ``create_connection``) looks at the request method
first: ``GET`` goes on to the WebSocket handshake, anything else is read (head and a
``Content-Length`` body, bounded) and answered with the service's JSON 404, then closed.
"""

from __future__ import annotations

import json
import logging
import re

from websockets.asyncio.server import ServerConnection

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 1024 * 1024
"""A bigger request is answered once this much has arrived (413) and closed."""
_METHOD = re.compile(rb"^([A-Z]{1,16}) (\S+) HTTP/1\.[01]\r\n")
_LENGTH = re.compile(rb"(?im)^content-length:\s*(\d+)\s*$")


def http_answer(method: str, path: str, status: int = 404) -> bytes:
    """The bytes of the service's JSON error answer to ``method path``."""
    if status == 413:
        message = "Request entity too large."
    else:
        message = f"Invalid URL ({method} {path})"
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error",
                                 "param": None, "code": None}}).encode()
    reason = {404: "Not Found", 413: "Request Entity Too Large"}[status]
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    return head if method == "HEAD" else head + body


class HttpAnsweringConnection(ServerConnection):
    """A WebSocket server connection that answers non-GET HTTP requests itself."""

    _head = b""
    _decided = False

    def data_received(self, data: bytes) -> None:
        """Pass a GET request on to websockets; collect and answer any other request."""
        if self._decided:
            super().data_received(data)
            return
        self._head += data
        match = _METHOD.match(self._head)
        if match is None:
            if len(self._head) < 64 and b"\r\n" not in self._head:
                return  # the request line is not complete yet
            self._pass_on()  # not HTTP we understand: websockets answers or drops it
            return
        method = match.group(1).decode()
        if method == "GET":
            self._pass_on()
            return
        end = self._head.find(b"\r\n\r\n")
        if end < 0 and len(self._head) < MAX_REQUEST_BYTES:
            return
        length = _LENGTH.search(self._head[:end]) if end >= 0 else None
        wanted = end + 4 + (int(length.group(1)) if length else 0)
        if len(self._head) < wanted and len(self._head) < MAX_REQUEST_BYTES:
            return
        status = 404 if len(self._head) < MAX_REQUEST_BYTES else 413
        self._decided = True
        path = match.group(2).decode("latin-1")
        logger.info("answered %s %s on the WebSocket port with HTTP %d", method, path, status)
        self.transport.write(http_answer(method, path, status))
        self.transport.close()

    def _pass_on(self) -> None:
        self._decided = True
        data, self._head = self._head, b""
        super().data_received(data)
