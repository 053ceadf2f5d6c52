"""The simulator's audio REST endpoints: ``/v1/audio/transcriptions`` and ``/v1/audio/speech``.

:class:`RestServer` serves them over plain HTTP/1.1 on a background thread (``rest-simulator``),
one handler thread per connection. Behaviour follows §5 of the protocol reference; transcripts
come from the scenario or from decoding :mod:`~realtime_actors.simulator.speech_codec` audio, and
speech is synthesized with the same codec. Scripted :class:`~realtime_actors.simulator.scenario.
RestFault` s answer matching requests with errors or dropped connections.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from realtime_actors.simulator import rest_speech, rest_transcription
from realtime_actors.simulator import rest_transcript_formats as formats
from realtime_actors.simulator.errors import SimulatorError
from realtime_actors.simulator.multipart import FormPart, parse_form
from realtime_actors.simulator.rest_errors import RestApiError, fault_error, invalid_api_key
from realtime_actors.simulator.rest_errors import mask_key as _mask_key
from realtime_actors.simulator.rest_http import ClientGone, ResponseWriter, TrackingHTTPServer
from realtime_actors.simulator.rest_records import RestRequestRecord, UploadedFile
from realtime_actors.simulator.scenario import RestFault, Scenario

logger = logging.getLogger(__name__)

ENDPOINTS = {"/v1/audio/transcriptions": "transcriptions", "/v1/audio/speech": "speech"}
_STOP_TIMEOUT_S = 5.0


class RestServer:
    """The audio REST endpoints of the simulator, on ``http://host:port/v1``.

    ``scenario_getter`` is called once per request, so a new scenario applies to the next
    request. Faults of ``scenario.rest_faults`` are consumed in order; the per-fault counters
    start again when the scenario's ``rest_faults`` tuple is replaced.
    """

    def __init__(
        self, scenario_getter: Callable[[], Scenario], host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self._scenario_getter = scenario_getter
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._httpd: TrackingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._records: list[RestRequestRecord] = []
        self._faults_seen: tuple[RestFault, ...] | None = None
        self._fault_uses: list[int] = []
        self._faults_consumed = 0
        self._transcriptions = 0
        self._completed = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> RestServer:
        """Bind and serve on a background thread. Returns ``self``."""
        with self._lock:
            if self._httpd is not None or self._stopped:
                raise SimulatorError("RestServer.start() may be called once")
            handler = type("_BoundHandler", (_Handler,), {"owner": self})
            self._httpd = TrackingHTTPServer((self._host, self._port), handler)
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="rest-simulator",
                daemon=True,
            )
            self._thread.start()
        logger.info("rest simulator listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving, abort open connections and join every thread. Idempotent."""
        with self._lock:
            httpd, thread = self._httpd, self._thread
            if self._stopped or httpd is None:
                self._stopped = True
                return
            self._stopped = True
        httpd.stopping.set()
        httpd.shutdown()
        if thread is not None:
            thread.join(_STOP_TIMEOUT_S)
        httpd.close_all(_STOP_TIMEOUT_S)
        httpd.server_close()
        logger.info("rest simulator stopped")

    def __enter__(self) -> RestServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- observation -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        if self._httpd is None:
            raise SimulatorError("RestServer is not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL of the API, e.g. ``http://127.0.0.1:PORT/v1``."""
        return f"http://{self._host}:{self.port}/v1"

    @property
    def requests(self) -> list[RestRequestRecord]:
        """A snapshot of the requests received so far, in arrival order."""
        with self._lock:
            return list(self._records)

    @property
    def faults_consumed(self) -> int:
        """How many requests scripted faults have answered since the server started."""
        with self._lock:
            return self._faults_consumed

    def fault_uses(self) -> tuple[int, ...]:
        """Per fault of the current ``scenario.rest_faults``, how many requests it answered."""
        with self._lock:
            return tuple(self._fault_uses)

    @property
    def responses_completed(self) -> int:
        """Responses written to the end (a dropped or abandoned one does not count)."""
        with self._lock:
            return self._completed

    # -- used by the handler -----------------------------------------------------------------

    def scenario(self) -> Scenario:
        """The scenario that applies to a new request."""
        return self._scenario_getter()

    def take_fault(self, scenario: Scenario, endpoint: str) -> RestFault | None:
        """Consume one use of the first fault that still applies to ``endpoint``."""
        with self._lock:
            if scenario.rest_faults is not self._faults_seen:
                self._faults_seen = scenario.rest_faults
                self._fault_uses = [0] * len(scenario.rest_faults)
            for i, fault in enumerate(scenario.rest_faults):
                if self._fault_uses[i] >= fault.times:
                    continue
                if fault.endpoint is not None and fault.endpoint != endpoint:
                    continue
                self._fault_uses[i] += 1
                self._faults_consumed += 1
                return fault
        return None

    def next_turn(self) -> int:
        """The 0-based index of a new transcription."""
        with self._lock:
            index = self._transcriptions
            self._transcriptions += 1
            return index

    def record(self, **fields: Any) -> None:
        """Append a request record."""
        with self._lock:
            self._records.append(RestRequestRecord(index=len(self._records), **fields))

    def completed(self) -> None:
        """Count a response written to the end."""
        with self._lock:
            self._completed += 1


class _Handler(ResponseWriter):
    """One connection's requests; ``owner`` is set on a per-server subclass."""

    owner: RestServer

    def do_POST(self) -> None:
        """Serve a POST."""
        self._serve()

    do_GET = do_PUT = do_DELETE = do_PATCH = do_POST

    def _serve(self) -> None:
        try:
            self._handle()
        except (ClientGone, ConnectionResetError, ConnectionAbortedError) as exc:
            logger.info("rest simulator: %s %s abandoned: %s", self.command, self.path,
                        exc if isinstance(exc, ClientGone) else type(exc).__name__)
            self.close_connection = True
        except Exception:
            logger.exception("rest simulator: %s %s failed", self.command, self.path)
            self.close_connection = True

    def _handle(self) -> None:
        path = urlsplit(self.path).path
        endpoint = ENDPOINTS.get(path) if self.command == "POST" else None
        info: dict[str, Any] = {"method": self.command, "path": path, "endpoint": endpoint}
        info["headers"] = {
            name.lower(): (_masked_auth(value) if name.lower() == "authorization" else value)
            for name, value in self.headers.items()
        }
        fault: RestFault | None = None
        try:
            body = self.read_body()
            parsed, parse_error = self._parse_for_record(endpoint, body, info)
            scenario = self.owner.scenario()
            key = self._check_auth(scenario)
            if endpoint is None:
                raise RestApiError(404, f"Invalid URL ({self.command} {path})", code=None)
            fault = self.owner.take_fault(scenario, endpoint)
            if fault is not None and fault.drop_connection:
                self.owner.record(status=fault.status, fault=fault, **info)
                if endpoint == "transcriptions":
                    self.drop_mid_body(fault.status, "application/json", b'{"text": "' + b"x" * 90)
                else:
                    self.drop_mid_body(fault.status, "application/octet-stream", bytes(4800))
                return
            if fault is not None:
                raise fault_error(fault, scenario.model, key)
            if parse_error is not None:
                raise parse_error
            if endpoint == "transcriptions":
                self._transcribe(scenario, parsed, info)
            else:
                self._speak(scenario, parsed, info)
        except RestApiError as error:
            self.owner.record(status=error.status, error_code=error.code, fault=fault, **info)
            self.send_error_answer(error)
            self.owner.completed()

    def _parse_for_record(
        self, endpoint: str | None, body: bytes, info: dict[str, Any]
    ) -> tuple[Any, RestApiError | None]:
        """Parse the body far enough to record it; a parse error is returned, not raised."""
        try:
            if endpoint == "transcriptions":
                parts = parse_form(self.headers.get("Content-Type") or "", body)
                texts = [(p.name, p.text()) for p in parts if p.name != "file"]
                info["form_items"] = tuple(texts)
                info["form"] = dict(texts)
                files = [p for p in parts if p.name == "file"]
                if files:
                    info["file"] = rest_transcription.describe_upload(files[-1])
                return parts, None
            if endpoint == "speech":
                try:
                    loaded = json.loads(body)
                except (UnicodeDecodeError, json.JSONDecodeError):
                    loaded = None  # parse_speech raises the 400 after the auth check
                if isinstance(loaded, dict):
                    info["json_body"] = loaded
                return body, None
        except RestApiError as error:
            return None, error
        return None, None

    def _check_auth(self, scenario: Scenario) -> str:
        header = self.headers.get("Authorization") or ""
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise invalid_api_key(None)
        if scenario.api_keys is not None and key not in scenario.api_keys:
            raise invalid_api_key(key)
        return key

    def _transcribe(self, scenario: Scenario, parts: list[FormPart], info: dict[str, Any]) -> None:
        request = rest_transcription.parse_transcription(parts)
        try:
            text = rest_transcription.transcribe(scenario, request.pcm, self.owner.next_turn())
        except Exception as exc:
            logger.exception("rest simulator: scenario.transcript failed")
            raise RestApiError(
                500,
                "The server had an error while processing your request. Sorry about that!",
                code=None,
                error_type="server_error",
            ) from exc
        self.pause(scenario.stt_latency_s)
        self.owner.record(status=200, **info)
        if request.stream:
            self.start_chunked("text/event-stream; charset=utf-8")
            pieces = max(1, len(formats.text_pieces(text)))
            interval = scenario.output_pacing * request.seconds / pieces
            for i, event in enumerate(formats.stream_events(text, request)):
                if i:
                    self.pause(interval)
                self.write_event(event)
            self.end_chunked()
        else:
            kind, body = formats.answer(text, request)
            if kind == "text":
                self.send_body(200, body.encode(), "text/plain; charset=utf-8")
            else:
                self.send_json(200, body)
        self.owner.completed()

    def _speak(self, scenario: Scenario, body: bytes, info: dict[str, Any]) -> None:
        request, _ = rest_speech.parse_speech(body)
        audio = rest_speech.speech_audio(request)
        self.pause(scenario.tts_latency_s)
        self.owner.record(status=200, **info)
        chunks = max(1, -(-len(audio.data) // rest_speech.CHUNK_BYTES))
        chunk_seconds = audio.seconds / chunks * scenario.output_pacing
        if request.stream_format == "sse":
            self.start_chunked("text/event-stream; charset=utf-8")
            for i, event in enumerate(rest_speech.sse_events(request, audio)):
                if i:
                    self.pause(chunk_seconds)
                self.write_event(event)
        else:
            self.start_chunked("application/octet-stream")
            for i, chunk in enumerate(rest_speech.audio_chunks(audio.data)):
                if i:
                    self.pause(chunk_seconds)
                self.write_chunk(chunk)
        self.end_chunked()
        self.owner.completed()


def _masked_auth(value: str) -> str:
    scheme, _, key = value.partition(" ")
    return f"{scheme} {_mask_key(key.strip())}" if key else "***"


__all__ = ["RestRequestRecord", "RestServer", "UploadedFile"]
