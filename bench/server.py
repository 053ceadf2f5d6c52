"""The bench server: a small GA Realtime WebSocket server for the flood and stream workloads.

Run as its own process (``python bench/server.py --port 0``); it prints ``ready <url>`` once
it listens and serves until SIGTERM/SIGINT. The workload of a connection is chosen by the
URL query (the same server serves every client and every run):

- ``mode=flood&n=N&ms=40``: after the client's first ``session.update``, one response with
  ``N`` output-audio deltas of ``ms`` milliseconds, sent as fast as the socket takes them;
- ``mode=stream&rate=50&ms=40&secs=T``: one response with ``rate`` deltas per second for
  ``T`` seconds (``secs=0``: until the client leaves), on an absolute schedule starting at a
  random phase;
- any mode: ``input_audio_buffer.append`` is accepted (its audio counted) and
  ``input_audio_buffer.commit`` is answered with ``input_audio_buffer.committed`` whose
  ``event_id`` is ``event_n<bytes appended since the last commit>``.

Connection set-up follows the GA order: ``session.created`` first; each ``session.update`` is
validated by the simulator's own rules and answered with ``session.updated`` or ``error``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import logging
import random
import signal
import sys
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from frames import ResponseFrames, new_session
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from realtime_actors.simulator.errors import ClientEventError
from realtime_actors.simulator.ids import IdFactory
from realtime_actors.simulator.session_state import apply_session_update

logger = logging.getLogger("bench.server")

APPEND_TYPE = '"input_audio_buffer.append"'
AUDIO_KEY = '"audio"'


class WorkloadError(ValueError):
    """The URL query does not describe a valid workload."""


class Workload:
    """The workload of one connection, read from its URL query."""

    def __init__(self, query: dict[str, str]) -> None:
        try:
            self.mode = query.get("mode", "stream")
            self.model = query.get("model", "gpt-realtime")
            self.n = int(query.get("n", "1000"))
            self.ms = int(query.get("ms", "40"))
            self.rate = float(query.get("rate", "50"))
            self.secs = float(query.get("secs", "0"))
        except ValueError as exc:
            raise WorkloadError(f"bad workload query {query!r}: {exc}") from exc
        if self.mode not in ("flood", "stream", "sink"):
            raise WorkloadError(f"unknown mode {self.mode!r}")
        if self.ms < 1 or self.n < 0 or self.rate <= 0 or self.secs < 0:
            raise WorkloadError(f"bad workload values {query!r}")


def _audio_length(message: str) -> int:
    """Decoded length of the ``audio`` field of an append, read without parsing the JSON."""
    key = message.find(AUDIO_KEY)
    if key < 0:
        raise ClientEventError("missing_required_parameter", "Missing 'audio'.", param="audio")
    start = message.find('"', key + len(AUDIO_KEY)) + 1
    end = message.find('"', start)
    if start <= 0 or end < 0:
        raise ClientEventError("invalid_value", "Invalid 'audio'.", param="audio")
    b64_len = end - start
    padding = (message[end - 1] == "=") + (message[end - 2] == "=") if b64_len >= 2 else 0
    return b64_len * 3 // 4 - padding


class BenchConnection:
    """One client connection: set-up, the workload task and the input audio sink."""

    def __init__(self, ws: ServerConnection, workload: Workload, index: int) -> None:
        self.ws = ws
        self.workload = workload
        self.ids = IdFactory(index)
        self.session = new_session(self.ids, workload.model)
        self.conversation_id = self.ids.new("conv")
        self.appended = 0
        self.validated_append = False
        self.last_item: str | None = None
        self.task: asyncio.Task[None] | None = None
        self.ignored: Counter[str] = Counter()

    async def send_event(self, event: dict[str, Any]) -> None:
        """Send one event with a fresh server event id."""
        body = {"type": event.pop("type"), "event_id": self.ids.event(), **event}
        await self.ws.send(json.dumps(body, separators=(",", ":")))

    async def serve(self) -> None:
        """Handle the connection until the client leaves."""
        await self.send_event({"type": "session.created", "session": self.session})
        try:
            async for message in self.ws:
                if isinstance(message, bytes):
                    await self.error(ClientEventError("invalid_event",
                                                      "Binary frames are not supported."), None)
                    continue
                await self.on_message(message)
        except ConnectionClosed:
            pass
        finally:
            if self.task is not None:
                self.task.cancel()
            if self.ignored:
                logger.info("connection ignored client events: %s", dict(self.ignored))

    async def on_message(self, message: str) -> None:
        """Dispatch one client frame (appends take a fast path: they are only counted)."""
        if APPEND_TYPE in message and self.validated_append:
            try:
                self.appended += _audio_length(message)
            except ClientEventError as exc:
                await self.error(exc, None)
            return
        try:
            event = json.loads(message)
        except ValueError:
            await self.error(ClientEventError("invalid_json", "The frame is not JSON."), None)
            return
        kind = event.get("type") if isinstance(event, dict) else None
        if kind == "input_audio_buffer.append":
            await self.first_append(event)
        elif kind == "input_audio_buffer.commit":
            item_id = self.ids.new("item")
            await self.ws.send(json.dumps({
                "type": "input_audio_buffer.committed", "event_id": f"event_n{self.appended}",
                "previous_item_id": self.last_item, "item_id": item_id}))
            self.last_item = item_id
            self.appended = 0
        elif kind == "session.update":
            await self.session_update(event)
        else:
            self.ignored[str(kind)] += 1

    async def first_append(self, event: dict[str, Any]) -> None:
        """Validate the first append fully (later ones are only measured)."""
        try:
            audio = base64.b64decode(event["audio"], validate=True)
        except (KeyError, TypeError, ValueError):
            await self.error(ClientEventError("invalid_value", "Invalid 'audio'.",
                                              param="audio"), event.get("event_id"))
            return
        if len(audio) % 2:
            await self.error(ClientEventError("invalid_value", "Odd-length PCM16 audio.",
                                              param="audio"), event.get("event_id"))
            return
        self.appended += len(audio)
        self.validated_append = True

    async def session_update(self, event: dict[str, Any]) -> None:
        """Apply a ``session.update`` with the simulator's rules; start the workload once."""
        try:
            self.session = apply_session_update(self.session, event.get("session"))
        except ClientEventError as exc:
            await self.error(exc, event.get("event_id"))
        else:
            await self.send_event({"type": "session.updated", "session": self.session})
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self.run_workload())

    async def error(self, error: ClientEventError, client_event_id: Any) -> None:
        """Send an ``error`` event (the client event id echoed when it was a string)."""
        event_id = client_event_id if isinstance(client_event_id, str) else None
        logger.info("client error %s: %s", error.code, error.message)
        await self.send_event({"type": "error", "error": error.to_wire(event_id)})

    async def run_workload(self) -> None:
        """Send the connection's response (flood or stream); sinks send nothing."""
        w = self.workload
        if w.mode == "sink":
            return
        frames = ResponseFrames(self.ids, w.ms, self.conversation_id)
        try:
            for text in frames.preamble(self.last_item):
                await self.ws.send(text)
            if w.mode == "flood":
                for seq in range(w.n):
                    await self.ws.send(frames.delta(seq))
            else:
                await self.stream(frames)
            for text in frames.postamble(self.last_item):
                await self.ws.send(text)
            self.last_item = frames.item_id
        except ConnectionClosed:
            logger.debug("client left during the workload")

    async def stream(self, frames: ResponseFrames) -> None:
        """``rate`` deltas per second on an absolute schedule (no drift), random phase."""
        w = self.workload
        loop = asyncio.get_running_loop()
        period = 1.0 / w.rate
        start = loop.time() + random.random() * period
        count = int(w.secs * w.rate) if w.secs > 0 else sys.maxsize
        for seq in range(count):
            delay = start + seq * period - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.ws.send(frames.delta(seq))


class BenchServer:
    """Accepts ``/v1/realtime`` connections with a bearer key and serves their workload."""

    def __init__(self) -> None:
        self.connections = 0

    def check(self, connection: ServerConnection, request: Request) -> Response | None:
        """Reject upgrades without a bearer key or with a bad workload (HTTP 401/400)."""
        auth = request.headers.get("Authorization", "")
        if not auth.lower().startswith("bearer ") or not auth[7:].strip():
            return Response(401, "Unauthorized", Headers(), b"missing bearer key\n")
        parts = urlsplit(request.path)
        if parts.path != "/v1/realtime":
            return Response(404, "Not Found", Headers(), b"unknown path\n")
        try:
            Workload(dict(parse_qsl(parts.query)))
        except WorkloadError as exc:
            return Response(400, "Bad Request", Headers(), f"{exc}\n".encode())
        return None

    async def handle(self, ws: ServerConnection) -> None:
        """Serve one connection."""
        query = dict(parse_qsl(urlsplit(ws.request.path).query)) if ws.request else {}
        self.connections += 1
        await BenchConnection(ws, Workload(query), self.connections).serve()


async def main_async(host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT."""
    server = BenchServer()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with serve(server.handle, host, port, process_request=server.check,
                     compression=None, ping_interval=None, max_size=2**24,
                     backlog=2048) as ws_server:
        bound = next(iter(ws_server.sockets)).getsockname()
        print(f"ready ws://{bound[0]}:{bound[1]}/v1/realtime", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper())
    asyncio.run(main_async(args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
