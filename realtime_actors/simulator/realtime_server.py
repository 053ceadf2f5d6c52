"""The simulator's WebSocket server: an asyncio loop in one background thread."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from .connection import RealtimeConnection
from .errors import SimulatorError
from .realtime_http import HttpAnsweringConnection
from .records import ConnectionRecord
from .rest_errors import mask_key
from .scenario import Scenario

logger = logging.getLogger(__name__)

_SECRET_HEADER = re.compile(r"(?im)^([<>]?\s*(?:authorization|api-key|openai-api-key)\s*:\s*).+$")


class HeaderRedactingFilter(logging.Filter):
    """Masks credential header values in websockets' wire logs (it logs raw request headers
    at DEBUG, and the simulator accepts any key, so it cannot redact by value)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with the header values masked; never drops one."""
        message = record.getMessage()
        masked = _SECRET_HEADER.sub(r"\1[redacted]", message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True


wire_logger = logging.getLogger("realtime_actors.simulator.wire")
"""The logger given to the websockets server (credentials masked)."""
wire_logger.addFilter(HeaderRedactingFilter())

REALTIME_PATH = "/v1/realtime"
THREAD_NAME = "realtime-simulator"
MAX_FRAME_BYTES = 32 * 1024 * 1024
STOP_TIMEOUT_S = 10.0
SUBPROTOCOL_KEY_PREFIX = "openai-insecure-api-key."


def _error_body(message: str, code: str | None, error_type: str = "invalid_request_error") -> str:
    return json.dumps(
        {"error": {"message": message, "type": error_type, "param": None, "code": code}}
    )


def _key_from(request: Request) -> str | None:
    auth = request.headers.get("Authorization")
    if auth is not None:
        scheme, _, value = auth.partition(" ")
        return value.strip() if scheme.lower() == "bearer" and value.strip() else None
    for proto in request.headers.get_all("Sec-WebSocket-Protocol"):
        for raw in proto.split(","):
            item = raw.strip()
            if item.startswith(SUBPROTOCOL_KEY_PREFIX):
                return item[len(SUBPROTOCOL_KEY_PREFIX) :]
    return None


def _close_code(ws: ServerConnection) -> int:
    """The code of the close that ended the connection: the first close frame, either way."""
    proto = ws.protocol
    sent, rcvd = proto.close_sent, proto.close_rcvd
    if sent is not None and (rcvd is None or proto.close_rcvd_then_sent is False):
        return int(sent.code)
    if rcvd is not None:
        return int(rcvd.code)
    return 1006


class RealtimeServer:
    """Serves ``/v1/realtime`` on ``host:port``; records every connection."""

    def __init__(
        self, scenario_getter: Callable[[], Scenario], host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.scenario_getter = scenario_getter
        self.host = host
        self.port = port
        self.records: list[ConnectionRecord] = []
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self._live: dict[int, RealtimeConnection] = {}
        self._pending: dict[int, dict[str, Any]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Server | None = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None

    @property
    def url(self) -> str:
        """``ws://host:port/v1/realtime`` once started."""
        return f"ws://{self.host}:{self.port}{REALTIME_PATH}"

    # -- thread ----------------------------------------------------------------------------
    def start(self) -> None:
        """Bind and serve in the ``realtime-simulator`` thread; returns once listening."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._thread_main, name=THREAD_NAME, daemon=True)
        self._thread.start()
        self._started.wait()
        if self._start_error is not None:
            self._thread.join()
            self._thread = None
            raise SimulatorError(
                f"cannot serve on {self.host}:{self.port}: {self._start_error}"
            ) from self._start_error

    def _thread_main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            try:
                self._server = loop.run_until_complete(self._serve())
            except OSError as exc:
                self._start_error = exc
                return
            finally:
                self._started.set()
            loop.run_forever()
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    async def _serve(self) -> Server:
        server = await serve(
            self._handler,
            self.host,
            self.port,
            process_request=self._process_request,
            compression=None,
            max_size=MAX_FRAME_BYTES,
            ping_interval=None,
            close_timeout=1,
            select_subprotocol=self._select_subprotocol,
            logger=wire_logger,
            create_connection=HttpAnsweringConnection,
        )
        self.port = server.sockets[0].getsockname()[1]
        return server

    def stop(self) -> None:
        """Close every connection and the listening socket; join the thread. Idempotent."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        if loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
            try:
                future.result(timeout=STOP_TIMEOUT_S)
            except TimeoutError:
                logger.error("simulator shutdown timed out; stopping the loop anyway")
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=STOP_TIMEOUT_S)
        if thread.is_alive():
            raise SimulatorError("the realtime simulator thread did not stop")
        self._thread = None
        self._loop = None

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close(close_connections=True)
            await self._server.wait_closed()

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the loop thread and return its result."""
        loop = self._loop
        if loop is None or not loop.is_running():
            raise SimulatorError("the simulator is not running")

        async def wrapper() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(wrapper(), loop).result(timeout=STOP_TIMEOUT_S)

    def drop_all(self) -> int:
        """Abort every open connection (no close frame); returns how many."""

        def drop() -> int:
            live = [c for c in self._live.values() if not c.closed]
            for conn in live:
                conn.drop()
            return len(live)

        return int(self.call(drop))

    # -- handshake -------------------------------------------------------------------------
    @staticmethod
    def _select_subprotocol(conn: ServerConnection, offered: Any) -> Any:
        return "realtime" if "realtime" in offered else None

    def _reject(
        self, conn: ServerConnection, record: ConnectionRecord, status: int, body: str
    ) -> Response:
        response = conn.respond(status, body)
        response.headers = Headers(
            [(k, v) for k, v in response.headers.raw_items() if k.lower() != "content-type"]
            + [("Content-Type", "application/json")]
        )
        with self.changed:
            record.http_status = status
        logger.info("rejected upgrade %d with HTTP %d", record.index, status)
        return response

    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        split = urlsplit(request.path)
        query = dict(parse_qsl(split.query))
        scenario = self.scenario_getter()
        with self.changed:
            index = len(self.records)
            record = ConnectionRecord(
                index=index,
                path=split.path,
                query=query,
                headers=dict(request.headers.raw_items()),
            )
            self.records.append(record)
            self.changed.notify_all()
        faults = scenario.faults_for(index)
        if faults.handshake_status is not None:
            return self._reject(
                conn, record, faults.handshake_status,
                _error_body("Simulated handshake failure.", None, "server_error"),
            )
        if split.path.rstrip("/") != REALTIME_PATH:
            return self._reject(
                conn, record, 404, _error_body(f"Invalid URL (GET {split.path})", None)
            )
        key = _key_from(request)
        if key is None:
            return self._reject(conn, record, 401, _error_body(
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                None,
            ))
        if scenario.api_keys is not None and key not in scenario.api_keys:
            return self._reject(conn, record, 401, _error_body(
                f"Incorrect API key provided: {mask_key(key)}.", "invalid_api_key"
            ))
        beta = request.headers.get("OpenAI-Beta", "").replace(" ", "") == "realtime=v1"
        session_type = "transcription" if query.get("intent") == "transcription" else "realtime"
        self._pending[id(conn)] = {
            "record": record,
            "faults": faults,
            "beta": beta,
            "model": query.get("model") or scenario.model,
            "session_type": session_type,
        }
        return None

    async def _handler(self, ws: ServerConnection) -> None:
        info = self._pending.pop(id(ws))
        record: ConnectionRecord = info["record"]
        conn = RealtimeConnection(
            ws,
            record=record,
            scenario_getter=self.scenario_getter,
            faults=info["faults"],
            model=info["model"],
            session_type=info["session_type"],
            beta=info["beta"],
            records_lock=self.lock,
        )
        self._live[record.index] = conn
        with self.changed:
            record.open = True
            self.changed.notify_all()
        try:
            await conn.run()
        finally:
            self._live.pop(record.index, None)
            conn.closed = True
            if ws.close_code is None and not ws.transport.is_closing():
                await ws.close(1000)
            await ws.wait_closed()
            with self.changed:
                record.open = False
                record.close_code = _close_code(ws)
                self.changed.notify_all()
