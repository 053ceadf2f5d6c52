"""A small blocking test client for the simulator's WebSocket server (websocket-client)."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterable
from typing import Any

import numpy as np
import websocket

DEFAULT_TIMEOUT = 5.0


class RtClient:
    """One WebSocket connection to ``url`` with JSON helpers."""

    def __init__(
        self,
        url: str,
        *,
        key: str | None = "sk-test",
        query: str = "?model=gpt-realtime",
        headers: Iterable[str] = (),
        subprotocols: list[str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        header = list(headers)
        if key is not None:
            header.append(f"Authorization: Bearer {key}")
        self.ws = websocket.create_connection(
            url + query,
            header=header,
            subprotocols=subprotocols,
            skip_utf8_validation=True,
            timeout=timeout,
        )

    def __enter__(self) -> RtClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close with 1000 (ignores an already dropped connection) and release the socket."""
        try:
            self.ws.close()
        except (OSError, websocket.WebSocketException):
            pass  # the server already dropped or closed the connection
        finally:
            self.ws.shutdown()

    def send(self, event: dict[str, Any]) -> None:
        """Send one client event."""
        self.ws.send(json.dumps(event))

    def recv_raw(self) -> str | bytes:
        """The next frame's payload as received."""
        return self.ws.recv()

    def recv_close(self) -> tuple[int, str]:
        """Read frames until the server's close frame; returns (code, reason)."""
        while True:
            opcode, data = self.ws.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return struct.unpack("!H", data[:2])[0], data[2:].decode("utf-8")

    def recv(self) -> dict[str, Any]:
        """The next server event."""
        return json.loads(self.ws.recv())

    def expect(self, kind: str) -> dict[str, Any]:
        """The next server event, which must be of type ``kind``."""
        event = self.recv()
        assert event["type"] == kind, f"expected {kind}, got {event}"
        return event

    def recv_until(self, kind: str) -> list[dict[str, Any]]:
        """Server events up to and including the first of type ``kind``."""
        events = []
        while True:
            event = self.recv()
            events.append(event)
            if event["type"] == kind:
                return events

    def configure(self, **session: Any) -> dict[str, Any]:
        """``session.update`` (type realtime) and the ``session.updated`` answer."""
        self.send({"type": "session.update", "session": {"type": "realtime", **session}})
        return self.expect("session.updated")

    def user_text(self, text: str) -> list[dict[str, Any]]:
        """Add a user text message; returns ``conversation.item.added`` and ``.done``."""
        self.send({"type": "conversation.item.create", "item": {
            "type": "message", "role": "user",
            "content": [{"type": "input_text", "text": text}]}})
        return [self.expect("conversation.item.added"), self.expect("conversation.item.done")]

    def append_pcm(self, pcm: np.ndarray, chunk: int = 2400) -> None:
        """Append int16 24 kHz samples in ``chunk``-sample events."""
        for i in range(0, len(pcm), chunk):
            self.append_bytes(pcm[i : i + chunk].astype("<i2").tobytes())

    def append_bytes(self, data: bytes) -> None:
        """Append raw bytes in the session's input format."""
        self.send({"type": "input_audio_buffer.append",
                   "audio": base64.b64encode(data).decode("ascii")})


def connect_session(url: str, **kwargs: Any) -> RtClient:
    """A client that has received ``session.created``."""
    client = RtClient(url, **kwargs)
    client.expect("session.created")
    return client


def silence(ms: int) -> np.ndarray:
    """Silent int16 24 kHz samples."""
    return np.zeros(24 * ms, dtype=np.int16)


def types(events: list[dict[str, Any]]) -> list[str]:
    """The ``type`` of each event."""
    return [e["type"] for e in events]
