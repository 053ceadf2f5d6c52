"""The minimal raw realtime probe: one connection, one out-of-band text response, a proof.

:func:`probe_text_turn` runs in the caller's thread on its own websocket-client socket (no
actors, no threads): it waits for ``session.created``, sends one ``response.create`` with
``conversation: "none"`` and the prompt as an input message, and waits for ``response.done``,
all within one overall deadline. Service and network problems become ``proof.error``; only
configuration problems (no API key, a bad URL or CA bundle, bad arguments) raise.
"""

from __future__ import annotations

import json
import logging
import math
import ssl
import struct
import time
import uuid
from collections.abc import Mapping
from typing import Any

import websocket

from ..errors import ConfigError
from ..session.run_config import ModelConfig
from ..transport.auth import ApiKey, auth_headers, redact, resolve_api_key
from ..transport.handshake_errors import rejection_of
from ..transport.tls import websocket_sslopt
from .classify import extract_session_id
from .types import ProbeError, ProbeProof, format_probe_failure

logger = logging.getLogger(__name__)

DEFAULT_PROBE_PROMPT = "Reply with the single word: ok"
"""The text of the probe's user message."""

_HANDSHAKE = "the WebSocket handshake"


def build_probe_request(prompt: str, *, event_id: str | None = None) -> dict[str, Any]:
    """The probe's GA ``response.create`` frame: an out-of-band (``conversation: "none"``) text
    response whose input is one user message holding ``prompt``."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise ConfigError("the probe prompt must be a non-blank str")
    frame: dict[str, Any] = {
        "type": "response.create",
        "response": {
            "conversation": "none",
            "output_modalities": ["text"],
            "input": [
                {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": prompt}],
                }
            ],
        },
    }
    if event_id is not None:
        frame["event_id"] = event_id
    return frame


class _Deadline(Exception):
    """The probe's overall deadline passed."""


class _Probe:
    """State of one probe run (events seen, session, timing)."""

    def __init__(self, *, url: str, key: ApiKey, model: str | None, prompt: str,
                 timeout: float) -> None:
        self.url = url
        self.prompt = prompt
        self.key = key
        self.model = model
        self.timeout = timeout
        self.started = time.monotonic()
        self.deadline = self.started + timeout
        self.events: list[str] = []
        self.session_id: str | None = None
        self.response_id: str | None = None
        self.output_text: str | None = None
        self.waiting_for = _HANDSHAKE
        self.peer_closed = False

    # ------------------------------------------------------------------ helpers
    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise _Deadline
        return left

    def _clean(self, text: str) -> str:
        return redact(text, self.key)

    def _error(self, message: str, **fields: Any) -> ProbeError:
        fields.setdefault("session_id", self.session_id or extract_session_id(message))
        return ProbeError(message=self._clean(message), **fields)

    # ------------------------------------------------------------------ run
    def run(self, headers: Mapping[str, str], sslopt: Mapping[str, Any]) -> ProbeProof:
        ws = websocket.WebSocket(skip_utf8_validation=True, sslopt=dict(sslopt))
        try:
            error = self._exchange(ws, headers)
            elapsed = time.monotonic() - self.started
        finally:
            self._close(ws)
        return ProbeProof(
            ok=error is None,
            model=self.model,
            session_id=self.session_id,
            event_types=tuple(self.events),
            error=error,
            elapsed_s=elapsed,
            url=self._clean(self.url),
            response_id=self.response_id,
            output_text=self.output_text,
        )

    def _exchange(self, ws: websocket.WebSocket, headers: Mapping[str, str]) -> ProbeError | None:
        try:
            ws.connect(
                self.url,
                header=[f"{name}: {value}" for name, value in headers.items()],
                timeout=self._left(),
                suppress_origin=True,
            )
            self.waiting_for = "session.created"
            created = self._await(ws, "session.created")
            if isinstance(created, ProbeError):
                return created
            self._on_session_created(created)
            frame = build_probe_request(self.prompt, event_id=f"probe_{uuid.uuid4().hex[:16]}")
            ws.settimeout(self._left())
            ws.send(json.dumps(frame))
            self.waiting_for = "response.done"
            done = self._await(ws, "response.done")
            if isinstance(done, ProbeError):
                return done
            return self._on_response_done(done)
        except websocket.WebSocketBadStatusException as exc:
            return self._handshake_error(exc)
        except (_Deadline, websocket.WebSocketTimeoutException, TimeoutError):
            return self._error(
                f"no {self.waiting_for} within the probe's {self.timeout:g}s timeout",
                type="probe_timeout",
            )
        except (websocket.WebSocketConnectionClosedException, ConnectionError) as exc:
            if self.waiting_for == _HANDSHAKE:
                return self._connect_error(exc)
            return self._error(
                f"the connection was lost while waiting for {self.waiting_for}: "
                f"{type(exc).__name__}: {exc}",
                type="connection_closed",
                close_code=1006,
            )
        except ssl.SSLError as exc:
            return self._error(f"TLS failure while waiting for {self.waiting_for}: {exc}",
                               type="tls_error")
        except (websocket.WebSocketException, OSError) as exc:
            return self._connect_error(exc)

    def _connect_error(self, exc: BaseException) -> ProbeError:
        return self._error(
            f"connection failure while waiting for {self.waiting_for}: "
            f"{type(exc).__name__}: {exc}",
            type="connection_error",
        )

    def _await(self, ws: websocket.WebSocket, wanted: str) -> dict[str, Any] | ProbeError:
        """Read server events until ``wanted``, an ``error`` event or a close frame."""
        while True:
            ws.settimeout(self._left())
            opcode, data = ws.recv_data()
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                self.peer_closed = True
                return self._closed(data)
            event = self._parse(data)
            if event is None:
                continue
            kind = event["type"]
            self.events.append(kind)
            if kind == "error":
                return self._wire_error(event)
            if kind == wanted:
                return event

    def _parse(self, data: bytes | str) -> dict[str, Any] | None:
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
            event = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            logger.warning("probe %s: dropping a server frame that is not UTF-8 JSON (%s)",
                           self.url, type(exc).__name__)
            return None
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            logger.warning("probe %s: dropping a server frame without a string 'type'", self.url)
            return None
        return event

    # ------------------------------------------------------------------ outcomes
    def _on_session_created(self, event: Mapping[str, Any]) -> None:
        session = event.get("session")
        if isinstance(session, Mapping):
            if isinstance(session.get("id"), str):
                self.session_id = session["id"]
            if isinstance(session.get("model"), str):
                self.model = session["model"]

    def _on_response_done(self, event: Mapping[str, Any]) -> ProbeError | None:
        response = event.get("response")
        response = response if isinstance(response, Mapping) else {}
        if isinstance(response.get("id"), str):
            self.response_id = response["id"]
        status = response.get("status")
        if status == "completed":
            self.output_text = _output_text(response)
            return None
        details = response.get("status_details")
        details = details if isinstance(details, Mapping) else {}
        error = details.get("error")
        if isinstance(error, Mapping):
            return self._from_wire(error, event)
        reason = details.get("reason")
        message = f"response.done with status {status!r}"
        if isinstance(reason, str):
            message += f" (reason {reason})"
        return self._error(message, type=f"response_{status}", raw=event)

    def _wire_error(self, event: Mapping[str, Any]) -> ProbeError:
        error = event.get("error")
        return self._from_wire(error if isinstance(error, Mapping) else {}, event)

    def _from_wire(self, error: Mapping[str, Any], raw: Mapping[str, Any]) -> ProbeError:
        def text(name: str) -> str | None:
            value = error.get(name)
            return value if isinstance(value, str) else None

        return self._error(
            text("message") or "error without a message",
            code=text("code"),
            type=text("type"),
            param=text("param"),
            raw=raw,
        )

    def _closed(self, data: bytes) -> ProbeError:
        code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 1005
        reason = data[2:].decode("utf-8", errors="replace")
        message = f"the server closed the connection with code {code}"
        if reason:
            message += f": {reason}"
        return self._error(f"{message} (while waiting for {self.waiting_for})",
                           type="connection_closed", close_code=code)

    def _handshake_error(self, exc: websocket.WebSocketBadStatusException) -> ProbeError:
        rejection = rejection_of(exc)
        return self._error(rejection.message, status=rejection.status, raw=rejection.raw,
                           code=rejection.code, type=rejection.type, param=rejection.param)

    def _close(self, ws: websocket.WebSocket) -> None:
        """Close the socket in every path: a close frame (unless the server closed first), then
        the TCP shutdown. The probe does not wait for the server's close reply."""
        if ws.connected and not self.peer_closed:
            try:
                ws.send_close(websocket.STATUS_NORMAL)
            except (websocket.WebSocketException, OSError) as exc:
                logger.info("probe %s: could not send the close frame (%s); shutting down",
                            self.url, type(exc).__name__)
        ws.shutdown()


def _output_text(response: Mapping[str, Any]) -> str | None:
    parts: list[str] = []
    output = response.get("output")
    for item in output if isinstance(output, list) else []:
        content = item.get("content") if isinstance(item, Mapping) else None
        for part in content if isinstance(content, list) else []:
            if isinstance(part, Mapping) and part.get("type") in ("output_text", "text"):
                text = part.get("text")
                if isinstance(text, str):
                    parts.append(text)
    return "".join(parts) if parts else None


def _check_arguments(config: object, timeout: object) -> None:
    if not isinstance(config, ModelConfig):
        raise ConfigError(f"model_config must be a ModelConfig, got {type(config).__name__}")
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise ConfigError(f"timeout must be a finite number of seconds > 0, got {timeout!r}")


def probe_text_turn(
    *,
    model_config: ModelConfig | None = None,
    timeout: float = 30.0,
    instructions: str = DEFAULT_PROBE_PROMPT,
) -> ProbeProof:
    """Run the minimal raw probe and return its :class:`ProbeProof`.

    Opens its own connection to ``model_config.build_url()`` (key from
    :func:`~realtime_actors.transport.auth.resolve_api_key`, custom CA for ``wss://``), waits for
    ``session.created``, sends one out-of-band text ``response.create`` whose input message is
    ``instructions``, and waits for ``response.done``; ``timeout`` bounds the whole exchange.
    The socket is closed in every path (a close frame, then the TCP shutdown).

    Never raises for service or network problems: a rejected handshake (HTTP status), a refused
    or lost connection, a close frame, an ``error`` event, a ``response.done`` that did not
    complete and the deadline all end up in ``proof.error``. A missing API key raises
    :class:`~realtime_actors.errors.AuthError`; bad arguments, a non-ws URL or a broken CA
    bundle raise :class:`~realtime_actors.errors.ConfigError`.
    """
    config = model_config if model_config is not None else ModelConfig()
    _check_arguments(config, timeout)
    build_probe_request(instructions)  # validates the prompt before any connection
    key = resolve_api_key(config.api_key)
    url = config.build_url()
    headers = auth_headers(key, extra=config.headers)
    sslopt = websocket_sslopt() if url.startswith("wss://") else {}
    probe = _Probe(
        url=url,
        key=key,
        model=None if config.call_id is not None else config.model,
        prompt=instructions,
        timeout=float(timeout),
    )
    proof = probe.run(headers, sslopt)
    # INFO either way: a failure is the caller's to report (it is in the proof), and a
    # WARNING here printed it twice in every tool that shows the proof
    logger.info("%s", format_probe_failure(proof))
    return proof
