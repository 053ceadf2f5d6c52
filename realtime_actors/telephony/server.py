"""A WebSocket server for carrier media streams on the ``websockets`` package: each
connection is bridged to a new session by a :class:`~realtime_actors.telephony.TelephonyBridge`.

``async with BridgeServer(agent, model_config=...) as server:`` serves on
``server.url`` until the block ends; then open calls are closed and waited for.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve

from ..agents.agent import RealtimeAgent
from ..session.run_config import ModelConfig
from .bridge import BridgeConfig, EventHook, TelephonyBridge
from .call_events import CallSummary
from .messages import TelephonyProtocolError

logger = logging.getLogger(__name__)

DEFAULT_PATH = "/media-stream"
MAX_SUMMARIES = 100


class BridgeServer:
    """Serves carrier media streams on ``host:port`` (0 picks a free port)."""

    def __init__(self, agent: RealtimeAgent, *, model_config: ModelConfig,
                 config: BridgeConfig | None = None, on_event: EventHook | None = None,
                 host: str = "127.0.0.1", port: int = 0, path: str = DEFAULT_PATH) -> None:
        self.agent = agent
        self.model_config = model_config
        self.config = config or BridgeConfig()
        self.on_event = on_event
        self.host, self.port, self.path = host, port, path
        self.summaries: collections.deque[CallSummary] = collections.deque(maxlen=MAX_SUMMARIES)
        """The most recent calls' summaries, oldest first."""
        self._server: Server | None = None
        self._calls_done = asyncio.Condition()

    @property
    def url(self) -> str:
        """The ``ws://`` URL a carrier dials."""
        if self._server is None:
            raise RuntimeError("the bridge server is not started")
        host, port = next(iter(self._server.sockets)).getsockname()[:2]
        return f"ws://{host}:{port}{self.path}"

    async def __aenter__(self) -> BridgeServer:
        self._server = await serve(self._handle, self.host, self.port)
        logger.info("telephony bridge listening on %s", self.url)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self._server is not None
        self._server.close()  # closes open calls' sockets: their bridges end as hang-ups
        await self._server.wait_closed()

    async def wait_calls(self, count: int, timeout: float) -> list[CallSummary]:
        """Wait until ``count`` calls have ended; their summaries (TimeoutError after
        ``timeout``)."""
        async with self._calls_done:
            await asyncio.wait_for(
                self._calls_done.wait_for(lambda: len(self.summaries) >= count), timeout)
            return list(self.summaries)

    async def _handle(self, connection: ServerConnection) -> None:
        path = connection.request.path if connection.request is not None else ""
        if path.split("?")[0] != self.path:
            await connection.close(1008, f"unknown path {path!r}; media streams go to "
                                         f"{self.path}")
            return
        bridge = TelephonyBridge(connection, self.agent, model_config=self.model_config,
                                 config=self.config, on_event=self.on_event)
        try:
            summary = await bridge.run()
        except TelephonyProtocolError as exc:
            logger.warning("call rejected: %s", exc)
            await connection.close(1002, str(exc)[:120])
            return
        async with self._calls_done:
            self.summaries.append(summary)
            self._calls_done.notify_all()
