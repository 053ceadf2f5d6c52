"""Helpers of the bad-input tests: a tampering WebSocket proxy in front of a simulator, a
slow subscriber actor, a log waiter, tools and small turn/frame helpers.

The proxy is a real WebSocket server on 127.0.0.1 (websockets' threaded server). Each client
connection gets its own upstream connection to the simulator: client frames pass through
unchanged, and every server frame goes through a ``rewrite`` function that may replace it with
other frames, including ones the simulator can never produce (invalid base64 audio, events with
missing or mistyped fields, arbitrary bytes in a text frame).
"""

from __future__ import annotations

import base64
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import pykka
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.sync.server import Server, ServerConnection, serve

import realtime_actors as rt
from realtime_actors.simulator import Scenario, Simulator
from tests.realtime.support import (
    API_KEY,
    WAIT_S,
    Harness,
    Listener,
    frames_of,
    of_type,
    text_settings,
    until,
)

logger = logging.getLogger(__name__)

Frame = str | bytes | dict[str, Any]
"""A frame the proxy sends: text, raw bytes sent as a *text* frame (UTF-8 not checked), or a
dict sent as JSON."""

Rewrite = Callable[[dict[str, Any]], Sequence[Frame] | None]
"""Given one server event, the frames to send instead (``None``: the event unchanged)."""


def inject_after_first(kind: str, frames: Sequence[Frame]) -> Rewrite:
    """A rewrite sending ``frames`` right after the first server event of type ``kind``."""
    done = threading.Event()

    def rewrite(event: dict[str, Any]) -> Sequence[Frame] | None:
        if event.get("type") != kind or done.is_set():
            return None
        done.set()
        return [event, *frames]

    return rewrite


def corrupt_first(kind: str, corrupt: Callable[[dict[str, Any]], Frame],
                  when: Callable[[dict[str, Any]], bool] | None = None) -> Rewrite:
    """A rewrite sending ``corrupt(event)`` just before the first event of type ``kind`` (that
    also satisfies ``when``, if given); the event itself is then sent unchanged."""
    done = threading.Event()

    def rewrite(event: dict[str, Any]) -> Sequence[Frame] | None:
        if event.get("type") != kind or done.is_set() or (when is not None and not when(event)):
            return None
        done.set()
        return [corrupt(dict(event)), event]

    return rewrite


class TamperProxy:
    """A WebSocket proxy on 127.0.0.1 whose server-to-client frames go through ``rewrite``."""

    def __init__(self, upstream_ws_url: str, rewrite: Rewrite) -> None:
        parts = urlsplit(upstream_ws_url)
        self._upstream = f"{parts.scheme}://{parts.netloc}"
        self._rewrite = rewrite
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self.injected = 0
        """How many frames the rewrite replaced so far."""

    @property
    def ws_url(self) -> str:
        """``ws://127.0.0.1:PORT/v1/realtime`` of the proxy."""
        if self._server is None:
            raise RuntimeError("proxy not started")
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/v1/realtime"

    def start(self) -> TamperProxy:
        """Listen on an ephemeral port and serve in a background thread."""
        self._server = serve(self._handle, "127.0.0.1", 0, compression=None, ping_interval=None,
                             max_size=None)
        self._thread = threading.Thread(target=self._server.serve_forever, name="tamper-proxy")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close every connection, wait for their handlers and stop serving (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
        if self._thread is not None:
            self._thread.join(WAIT_S)
            self._thread = None

    # ------------------------------------------------------------------ connections
    def _handle(self, client: ServerConnection) -> None:
        request = client.request
        assert request is not None
        headers = {}
        if "Authorization" in request.headers:
            headers["Authorization"] = request.headers["Authorization"]
        try:
            upstream = connect(self._upstream + request.path, additional_headers=headers,
                               compression=None, max_size=None, open_timeout=WAIT_S)
        except Exception as exc:  # the test sees the failed handshake on its side
            logger.warning("proxy could not reach the simulator: %s", exc)
            client.close(1011, "upstream unreachable")
            return
        with upstream:
            relay = threading.Thread(target=self._downstream, args=(upstream, client),
                                     name="tamper-proxy-relay")
            relay.start()
            try:
                for message in client:
                    upstream.send(message)
            except ConnectionClosed:
                logger.info("proxy: a side closed while relaying client frames")
            finally:
                upstream.close()
                relay.join(WAIT_S)

    def _downstream(self, upstream: ClientConnection, client: ServerConnection) -> None:
        try:
            for message in upstream:
                for frame in self._frames_for(message):
                    if isinstance(frame, bytes):
                        client.send(frame, text=True)
                    elif isinstance(frame, dict):
                        client.send(json.dumps(frame))
                    else:
                        client.send(frame)
        except ConnectionClosed:
            logger.info("proxy: a side closed while relaying server frames")
        finally:
            client.close()

    def _frames_for(self, message: str | bytes) -> Sequence[Frame]:
        if not isinstance(message, str):
            return [message]
        event = json.loads(message)
        replaced = self._rewrite(event)
        if replaced is None:
            return [message]
        self.injected += 1
        return replaced


class SlowCollector(pykka.ThreadingActor):
    """A subscriber that is slow: it holds its first message until ``gate`` is set, then
    spends ``per_event_s`` on every message before recording it in ``inbox``."""

    def __init__(self, inbox: queue.Queue[Any], gate: threading.Event, per_event_s: float,
                 holding: threading.Event) -> None:
        super().__init__()
        self.inbox = inbox
        self.gate = gate
        self.per_event_s = per_event_s
        self.holding = holding

    def on_receive(self, message: Any) -> None:
        """Block on the gate (first message only), work a little, then record the message."""
        if not self.holding.is_set():
            self.holding.set()
            if not self.gate.wait(WAIT_S):
                logger.error("slow subscriber: gate never opened")
        time.sleep(self.per_event_s)  # the work of a slow consumer, not a wait for something
        self.inbox.put(message)


def run_through(
    harness: Harness,
    proxy: TamperProxy,
    agent: rt.RealtimeAgent,
    *,
    model_settings: rt.SessionModelSettings | None = None,
    raw_events: bool = False,
) -> rt.Session:
    """``rt.run(agent)`` connected through ``proxy``; the harness closes the session. Returns
    once the socket is connected."""
    config = rt.RunConfig(model_settings=model_settings or rt.SessionModelSettings(),
                          raw_events=raw_events)
    session = rt.run(agent, config=config,
                     model_config=rt.ModelConfig(url=proxy.ws_url, api_key=API_KEY))
    harness.sessions.append(session)
    session.wait_for(lambda e: isinstance(e, rt.ConnectionEvent) and e.status == "connected",
                     WAIT_S)
    return session


class LogWaiter(logging.Handler):
    """A logging handler that sets ``seen`` when a record containing ``text`` is emitted (from
    any thread), so a test can wait for a log line instead of sleeping."""

    def __init__(self, text: str) -> None:
        super().__init__(logging.DEBUG)
        self.text = text
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        """Set ``seen`` on a matching record."""
        if self.text in record.getMessage():
            self.seen.set()


# ---------------------------------------------------------------------- turns and frames


def answered(session: rt.Session, text: str) -> list[rt.SessionEvent]:
    """A text turn that completes with the simulator's echo of ``text`` and reports no
    error; returns its events."""
    session.send_message(text)
    events = until(session, rt.AgentEndEvent)
    assert events[-1].status == "completed"
    assert of_type(events, rt.TranscriptCompletedEvent)[-1].transcript == f"You said: {text}"
    assert not of_type(events, rt.ErrorEvent)
    return events


def settled(session: rt.Session, listener: Listener) -> list[Any]:
    """Everything the session told ``listener`` so far (an answered call on the session means
    the events emitted before it were told; the marker then follows them)."""
    session.history()
    return listener.drain_until_marker()


def appended_pcm(sim: Simulator) -> list[bytes]:
    """The audio of every ``input_audio_buffer.append`` the simulator received, decoded."""
    return [base64.b64decode(f["audio"]) for f in frames_of(sim, "input_audio_buffer.append")]


def tool_outputs(sim: Simulator, call_id: str) -> list[str]:
    """Every ``function_call_output`` the simulator received for ``call_id``."""
    return [f["item"]["output"] for f in frames_of(sim, "conversation.item.create")
            if f["item"]["type"] == "function_call_output" and f["item"]["call_id"] == call_id]


# ---------------------------------------------------------------------- tools


def paris(_tool: str, _text: str) -> dict[str, Any]:
    """Scenario ``tool_arguments``: every scripted call asks about Paris."""
    return {"city": "Paris"}


def tool_session(harness: Harness, tools: list[rt.FunctionTool], **config: Any) -> rt.Session:
    """A text session whose agent has ``tools``, on a simulator calling them for Paris."""
    return harness.run(rt.agent("Tools", tools=tools), scenario=Scenario(tool_arguments=paris),
                       model_settings=text_settings(), **config)


@rt.function_tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"Sunny in {city}"


def raising_tool(error: BaseException) -> rt.FunctionTool:
    """A ``broken_lookup`` tool that raises ``error``."""

    @rt.function_tool
    def broken_lookup(city: str) -> str:
        """A lookup that always fails."""
        raise error

    return broken_lookup
