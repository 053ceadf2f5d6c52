"""One simulated Realtime WebSocket connection: sending, faults, event dispatch, items."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from .audio import to_pcm24k
from .conversation import Conversation, normalize_client_item
from .errors import ClientEventError, invalid_value, missing_parameter
from .errors import unknown_parameter as unknown
from .ids import IdFactory
from .input_audio import InputAudio
from .model import transcribe
from .records import ConnectionRecord
from .response_manager import ResponseManager
from .scenario import FaultPlan, Scenario
from .session_state import apply_session_update, default_session

logger = logging.getLogger(__name__)

SESSION_EXPIRED = "Your session hit the maximum duration of 60 minutes."
BETA_MESSAGE = (
    "The Realtime Beta API is no longer supported. Please use /v1/realtime for the GA API."
)
CLIENT_EVENT_KEYS: dict[str, frozenset[str]] = {
    "session.update": frozenset({"session"}),
    "input_audio_buffer.append": frozenset({"audio"}),
    "input_audio_buffer.commit": frozenset(),
    "input_audio_buffer.clear": frozenset(),
    "output_audio_buffer.clear": frozenset({"response_id"}),
    "conversation.item.create": frozenset({"item", "previous_item_id"}),
    "conversation.item.delete": frozenset({"item_id"}),
    "conversation.item.retrieve": frozenset({"item_id"}),
    "conversation.item.truncate": frozenset({"item_id", "content_index", "audio_end_ms"}),
    "response.create": frozenset({"response"}),
    "response.cancel": frozenset({"response_id"}),
}


class RealtimeConnection:
    """Protocol state and handlers of one accepted connection (runs on the loop thread)."""

    def __init__(
        self,
        ws: ServerConnection,
        *,
        record: ConnectionRecord,
        scenario_getter: Callable[[], Scenario],
        faults: FaultPlan,
        model: str,
        session_type: str,
        beta: bool,
        records_lock: threading.Lock,
    ) -> None:
        self.ws = ws
        self.record = record
        self.scenario_getter = scenario_getter
        self.scenario = scenario_getter()
        self.faults = faults
        self.beta = beta
        self.lock = records_lock
        self.ids = IdFactory(self.scenario.seed + record.index)
        self.session = default_session(
            session_id=self.ids.new("sess"),
            model=model,
            expires_at=int(time.time() + self.scenario.session_seconds),
            session_type=session_type,
        )
        self.conversation = Conversation(self.ids.new("conv"))
        self.input = InputAudio(self)
        self.responses = ResponseManager(self)
        self.voice_locked = False
        self.closed = False
        self._sent = 0
        self._send_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- lifecycle -------------------------------------------------------------------------
    async def run(self) -> None:
        """Serve the connection until it closes."""
        try:
            if self.beta:
                await self.send_error(
                    ClientEventError("beta_api_shape_disabled", BETA_MESSAGE), None
                )
                await self.close(4000, "invalid_request_error.beta_api_shape_disabled")
                return
            await self.send({"type": "session.created", "session": self.session})
            self.spawn(self._expire_later())
            async for message in self.ws:
                await self._on_frame(message)
        except ConnectionClosed:
            logger.debug("connection %d closed", self.record.index)
        finally:
            self.closed = True
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """Run a coroutine as a task owned by this connection (cancelled when it closes)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "simulator task failed on connection %d",
                self.record.index,
                exc_info=task.exception(),
            )

    async def _expire_later(self) -> None:
        await asyncio.sleep(float(self.scenario.session_seconds))
        await self.expire()

    async def expire(self) -> None:
        """End the session as the service does at its maximum duration."""
        async with self._send_lock:
            if not self.closed:
                await self._expire_locked()

    async def _expire_locked(self) -> None:
        error = ClientEventError("session_expired", SESSION_EXPIRED)
        await self._send_locked({"type": "error", "error": error.to_wire(None)}, False)
        await self.close(1001, SESSION_EXPIRED)

    async def close(self, code: int, reason: str) -> None:
        """Close with a close frame."""
        self.closed = True
        await self.ws.close(code, reason)

    def drop(self) -> None:
        """Abort the TCP connection without a close frame."""
        self.closed = True
        logger.info("dropping connection %d", self.record.index)
        self.ws.transport.abort()

    # -- sending ---------------------------------------------------------------------------
    async def send(self, event: dict[str, Any], *, apply_faults: bool = True) -> bool:
        """Send one server event (adds ``event_id``); False when the connection is gone."""
        async with self._send_lock:
            if self.closed:
                return False
            await self._send_locked(event, apply_faults)
            return not self.closed

    async def _send_locked(self, event: dict[str, Any], apply_faults: bool) -> None:
        if self.faults.event_delay_s:
            await asyncio.sleep(self.faults.event_delay_s)
        full = {"type": event["type"], "event_id": self.ids.event(), **event}
        # recorded before it goes out: a client that has the event can always find it here
        with self.lock:
            self.record.server_events.append(full)
        try:
            await self.ws.send(json.dumps(full))
        except ConnectionClosed:
            with self.lock:
                self.record.server_events.remove(full)
            self.closed = True
            return
        self._sent += 1
        if apply_faults:
            await self._after_event(self._sent)

    async def _after_event(self, n: int) -> None:
        f = self.faults
        if f.malformed_after_events == n:
            await self.ws.send("this is {not json")
        if f.non_utf8_after_events == n:
            await self.ws.send(b'{"type": "\xff\xfe"}', text=True)
        if f.unknown_event_after_events == n:
            extra = {"type": "simulator.unknown_event", "event_id": self.ids.event()}
            with self.lock:
                self.record.server_events.append(extra)
            await self.ws.send(json.dumps(extra))
        if f.drop_after_events == n:
            self.drop()
        elif f.expire_after_events == n:
            await self._expire_locked()
        elif f.close_code is not None and f.close_after_events == n:
            await self.close(f.close_code, "simulated close")

    async def send_error(
        self, error: ClientEventError, client_event_id: Any, *, apply_faults: bool = True
    ) -> None:
        """Send an ``error`` event; ``client_event_id`` is echoed in ``error.event_id``."""
        event_id = client_event_id if isinstance(client_event_id, str) else None
        logger.info("connection %d: error %s (%s)", self.record.index, error.code, error.message)
        await self.send({"type": "error", "error": error.to_wire(event_id)},
                        apply_faults=apply_faults)

    # -- dispatch --------------------------------------------------------------------------
    async def _on_frame(self, message: str | bytes) -> None:
        if isinstance(message, bytes):
            await self.send_error(
                ClientEventError("invalid_event", "Binary frames are not supported."), None
            )
            return
        try:
            event = json.loads(message)
        except ValueError:
            await self.send_error(
                ClientEventError("invalid_event", "The event could not be parsed as JSON."), None
            )
            return
        if not isinstance(event, dict):
            await self.send_error(
                ClientEventError("invalid_event", "The event must be a JSON object."), None
            )
            return
        with self.lock:
            self.record.client_frames.append(event)
        try:
            await self._dispatch(event)
        except ClientEventError as exc:
            await self.send_error(exc, event.get("event_id"))
        except ConnectionClosed:
            raise
        except Exception:
            logger.exception(
                "connection %d: failed to handle %r", self.record.index, event.get("type")
            )
            await self.send_error(
                ClientEventError(
                    None,
                    "The server had an error while processing your request. Sorry about that!",
                    error_type="server_error",
                ),
                event.get("event_id"),
            )

    async def _dispatch(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind is None:
            raise ClientEventError("invalid_event", "The 'type' field is missing.")
        if kind not in CLIENT_EVENT_KEYS:
            raise invalid_value("type", kind, tuple(CLIENT_EVENT_KEYS))
        for key in event:
            if key not in CLIENT_EVENT_KEYS[kind] and key not in ("type", "event_id"):
                raise unknown(key)
        handler = getattr(self, "_on_" + kind.replace(".", "_"))
        await handler(event)

    async def _on_session_update(self, event: dict[str, Any]) -> None:
        if "session" not in event:
            raise missing_parameter("session")
        new = apply_session_update(self.session, event["session"], voice_locked=self.voice_locked)
        self.session = new
        self.input.reconfigure()
        await self.send({"type": "session.updated", "session": new})

    async def _on_input_audio_buffer_append(self, event: dict[str, Any]) -> None:
        await self.input.append(event.get("audio"))

    async def _on_input_audio_buffer_commit(self, event: dict[str, Any]) -> None:
        await self.input.commit_from_client()

    async def _on_input_audio_buffer_clear(self, event: dict[str, Any]) -> None:
        await self.input.clear()

    async def _on_output_audio_buffer_clear(self, event: dict[str, Any]) -> None:
        raise ClientEventError(
            "invalid_value",
            "output_audio_buffer.clear is only supported for WebRTC and SIP connections.",
            param="type",
        )

    async def _on_response_create(self, event: dict[str, Any]) -> None:
        await self.responses.create(event.get("response"))

    async def _on_response_cancel(self, event: dict[str, Any]) -> None:
        self.responses.cancel_from_client(event.get("response_id"))

    async def _on_conversation_item_create(self, event: dict[str, Any]) -> None:
        if "item" not in event:
            raise missing_parameter("item")
        stored = normalize_client_item(event["item"], self.ids)
        content = stored.item.get("content", [])
        if stored.audio and not any(p.get("transcript") for p in content):
            fmt = self.session["audio"]["input"]["format"]["type"]
            pcm = to_pcm24k(stored.audio, fmt)
            stored.audio_format = fmt
            stored.text = transcribe(self.scenario_getter(), pcm, self.input.next_turn_index())
        previous = self.conversation.insert(stored, event.get("previous_item_id"))
        for kind in ("conversation.item.added", "conversation.item.done"):
            await self.send({"type": kind, "previous_item_id": previous, "item": stored.wire()})

    async def _on_conversation_item_delete(self, event: dict[str, Any]) -> None:
        if "item_id" not in event:
            raise missing_parameter("item_id")
        self.conversation.delete(event["item_id"])
        await self.send({"type": "conversation.item.deleted", "item_id": event["item_id"]})

    async def _on_conversation_item_retrieve(self, event: dict[str, Any]) -> None:
        if "item_id" not in event:
            raise missing_parameter("item_id")
        stored = self.conversation.get(event["item_id"])
        await self.send({"type": "conversation.item.retrieved",
                         "item": stored.wire(with_audio=True)})

    async def _on_conversation_item_truncate(self, event: dict[str, Any]) -> None:
        for key in ("item_id", "content_index", "audio_end_ms"):
            if key not in event:
                raise missing_parameter(key)
        self.conversation.truncate(event["item_id"], event["content_index"], event["audio_end_ms"])
        await self.send({"type": "conversation.item.truncated", "item_id": event["item_id"],
                         "content_index": event["content_index"],
                         "audio_end_ms": event["audio_end_ms"]})

