"""Runs the responses of one simulated connection as asyncio tasks (create, cancel, pacing)."""

from __future__ import annotations

import asyncio
import logging
import math
import random
from typing import TYPE_CHECKING, Any

import attrs

from . import speech_codec
from .audio import PCM_RATE
from .conversation import StoredItem, item_not_found, normalize_client_item
from .errors import ClientEventError, invalid_type, invalid_value
from .errors import unknown_parameter as unknown
from .model import decide
from .responses import InputUsage, ModelOutput, ResponseBuilder, ResponseSettings, text_tokens
from .session_state import (
    validate_format,
    validate_max_tokens,
    validate_modalities,
    validate_tool_choice,
    validate_tools,
    validate_voice,
)

if TYPE_CHECKING:
    from .connection import RealtimeConnection

logger = logging.getLogger(__name__)

RESPONSE_KEYS = frozenset({
    "output_modalities", "instructions", "audio", "tools", "tool_choice", "parallel_tool_calls",
    "reasoning", "max_output_tokens", "conversation", "metadata", "prompt", "input",
})
REQUEST_LIMIT = 5000
TOKEN_LIMIT = 40000
INPUT_AUDIO_TOKENS_PER_S = 10


@attrs.define(kw_only=True, eq=False)
class ResponseRun:
    """A response being streamed."""

    builder: ResponseBuilder
    in_band: bool
    number: int
    wake: asyncio.Event = attrs.field(factory=asyncio.Event)
    finished: asyncio.Event = attrs.field(factory=asyncio.Event)
    """Set once the run has sent its last event (or stopped)."""


class ResponseManager:
    """Creates, runs and cancels responses; enforces one active in-band response."""

    def __init__(self, conn: RealtimeConnection) -> None:
        self.conn = conn
        self.active: ResponseRun | None = None
        self.runs: dict[str, ResponseRun] = {}
        self._count = 0
        self._failed = 0
        self._requests_left = REQUEST_LIMIT
        self._tokens_left = TOKEN_LIMIT

    # -- cancel ----------------------------------------------------------------------------
    def cancel_active(self, reason: str) -> bool:
        """Cancel the in-band response (barge-in); False when none is running."""
        run = self.active
        if run is None or not run.builder.cancel(reason):
            return False
        run.wake.set()
        return True

    def cancel_from_client(self, response_id: Any) -> None:
        """Handle ``response.cancel`` (optionally naming an out-of-band response)."""
        run = self.runs.get(response_id) if response_id is not None else self.active
        if run is None or not run.builder.cancel("client_cancelled"):
            raise ClientEventError(
                "response_cancel_not_active", "Cancellation failed: no active response found"
            )
        run.wake.set()

    # -- create ----------------------------------------------------------------------------
    async def create_automatic(self) -> None:
        """A response started by turn detection.

        A response still finishing after a barge-in cancelled it is waited for first (on a
        task of the connection, so frames keep being read); one that was not cancelled
        (``interrupt_response: false``) keeps running and the turn gets no new response.
        """
        run = self.active
        if run is not None and run.builder.cancel_reason is not None:
            self.conn.spawn(self._create_after(run))
            return
        await self._create_unless_busy()

    async def _create_after(self, run: ResponseRun) -> None:
        await run.finished.wait()
        await self._create_unless_busy()

    async def _create_unless_busy(self) -> None:
        if self.active is not None:
            logger.info(
                "connection %d: VAD turn ended while %s is active; no new response",
                self.conn.record.index,
                self.active.builder.id,
            )
            return
        await self.create(None)

    async def create(self, params: Any) -> None:
        """Handle ``response.create``: validate, let the scripted model decide, stream."""
        conn = self.conn
        session = conn.session
        if session["type"] != "realtime":
            raise ClientEventError(
                "invalid_value", "Responses are not supported in transcription sessions.",
                param="type",
            )
        params = {} if params is None else params
        if not isinstance(params, dict):
            raise invalid_type("response", params, "an object")
        for key in params:
            if key not in RESPONSE_KEYS:
                raise unknown(f"response.{key}")
        conversation = params.get("conversation", "auto")
        if conversation not in ("auto", "none"):
            raise invalid_value("response.conversation", conversation, ("auto", "none"))
        in_band = conversation == "auto"
        if in_band and self.active is not None:
            raise ClientEventError(
                "conversation_already_has_active_response",
                "Conversation already has an active response in progress: "
                f"{self.active.builder.id}. Wait until the response is finished before "
                "creating a new one.",
            )
        settings, instructions, tools, tool_choice = self._settings(params, in_band)
        items = self._context(params)
        scenario = conn.scenario_getter()
        fail = self._fail_code()
        try:
            output = decide(scenario, items, instructions=instructions, tools=tools,
                            tool_choice=tool_choice)
        except Exception:
            logger.exception("connection %d: the scenario failed", conn.record.index)
            output, fail = ModelOutput(), "server_error"
        self._count += 1
        seed = (scenario.seed + conn.record.index) * 1_000_003 + self._count
        builder = ResponseBuilder(
            response_id=conn.ids.new("resp"),
            ids=conn.ids,
            rng=random.Random(seed),
            settings=settings,
            output=output,
            conversation=conn.conversation if in_band else None,
            synthesize=lambda text: speech_codec.synthesize(text, PCM_RATE),
            usage_in=self._usage_in(items, instructions),
            audio_delta_ms=scenario.audio_delta_ms,
            text_delta_chars=scenario.text_delta_chars,
            fail=fail,
        )
        run = ResponseRun(builder=builder, in_band=in_band, number=self._count)
        if in_band:
            self.active = run
            conn.input.disarm_idle()
        self.runs[builder.id] = run
        conn.spawn(self._run(run, scenario.output_pacing))

    def _settings(
        self, params: dict[str, Any], in_band: bool
    ) -> tuple[ResponseSettings, str, list[dict[str, Any]], Any]:
        session = self.conn.session
        out = session["audio"]["output"]
        voice, fmt = out["voice"], out["format"]
        if "audio" in params:
            audio = params["audio"]
            if not isinstance(audio, dict) or any(k != "output" for k in audio):
                raise unknown("response.audio." + next(iter(audio or {"?": 0})))
            ao = audio.get("output") or {}
            for key in ao:
                if key not in ("format", "voice"):
                    raise unknown(f"response.audio.output.{key}")
            if "voice" in ao:
                voice = validate_voice(ao["voice"], "response.audio.output.voice")
            if "format" in ao:
                fmt = validate_format(ao["format"], "response.audio.output.format")
        metadata = params.get("metadata")
        if metadata is not None and (
            not isinstance(metadata, dict)
            or len(metadata) > 16
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
        ):
            raise invalid_value("response.metadata", metadata)
        modalities = session["output_modalities"]
        if "output_modalities" in params:
            modalities = validate_modalities(
                params["output_modalities"], "response.output_modalities"
            )
        max_tokens = session["max_output_tokens"]
        if "max_output_tokens" in params:
            max_tokens = validate_max_tokens(
                params["max_output_tokens"], "response.max_output_tokens"
            )
        instructions = params.get("instructions", session["instructions"])
        if not isinstance(instructions, str):
            raise invalid_type("response.instructions", instructions, "a string")
        tools = session["tools"]
        if "tools" in params:
            tools = validate_tools(params["tools"], "response.tools")
        tool_choice = session["tool_choice"]
        if "tool_choice" in params:
            tool_choice = validate_tool_choice(params["tool_choice"], "response.tool_choice")
        settings = ResponseSettings(
            output_modalities=tuple(modalities),
            voice=voice,
            output_format=fmt,
            max_output_tokens=max_tokens,
            metadata=metadata,
            conversation_id=self.conn.conversation.id if in_band else None,
        )
        return settings, instructions, tools, tool_choice

    def _context(self, params: dict[str, Any]) -> list[StoredItem]:
        conv = self.conn.conversation
        if "input" not in params:
            return conv.history()
        entries = params["input"]
        if not isinstance(entries, list):
            raise invalid_type("response.input", entries, "an array")
        items = []
        for i, entry in enumerate(entries):
            if isinstance(entry, dict) and entry.get("type") == "item_reference":
                try:
                    items.append(conv.get(entry.get("id")))
                except ClientEventError as exc:
                    raise item_not_found(entry.get("id"), f"response.input[{i}].id") from exc
            else:
                items.append(normalize_client_item(entry, self.conn.ids))
        return items

    def _fail_code(self) -> str | None:
        f = self.conn.faults
        if f.fail_responses is None:
            return None
        if f.fail_response_count is not None and self._failed >= f.fail_response_count:
            return None
        self._failed += 1
        return f.fail_responses

    @staticmethod
    def _usage_in(items: list[StoredItem], instructions: str) -> InputUsage:
        text = text_tokens(instructions)
        audio = 0
        for stored in items:
            if stored.audio and stored.item.get("role") == "user":
                seconds = len(stored.audio) / (48 if stored.audio_format == "audio/pcm" else 8)
                audio += math.ceil(seconds / 1000 * INPUT_AUDIO_TOKENS_PER_S)
            elif stored.text:
                text += text_tokens(stored.text)
        return InputUsage(text_tokens=text, audio_tokens=audio)

    # -- streaming -------------------------------------------------------------------------
    def _finish(self, run: ResponseRun) -> None:
        if self.active is run:
            self.active = None
        self.runs.pop(run.builder.id, None)
        run.finished.set()

    async def _run(self, run: ResponseRun, pacing: float) -> None:
        conn = self.conn
        builder = run.builder
        try:
            for event, audio_ms in builder.events():
                if event["type"] == "response.done":
                    self._finish(run)
                if not await conn.send(event):
                    return
                if builder.produced_audio:
                    conn.voice_locked = True
                if (
                    conn.faults.drop_mid_response
                    and run.number == 1
                    and event["type"].endswith(".delta")
                ):
                    conn.drop()
                    return
                if audio_ms and pacing > 0 and builder.cancel_reason is None:
                    try:
                        await asyncio.wait_for(run.wake.wait(), audio_ms / 1000 * pacing)
                    except TimeoutError:
                        pass
                else:
                    await asyncio.sleep(0)
            await conn.send({"type": "rate_limits.updated",
                             "rate_limits": self._rate_limits(builder)})
        finally:
            self._finish(run)
            if run.in_band and not conn.closed:
                unplayed_ms = builder.output_audio_ms * max(0.0, 1.0 - pacing)
                conn.input.arm_idle(unplayed_ms / 1000)

    def _rate_limits(self, builder: ResponseBuilder) -> list[dict[str, Any]]:
        self._requests_left = max(0, self._requests_left - 1)
        usage = builder.response_object(final=True)["usage"] or {}
        self._tokens_left = max(0, self._tokens_left - int(usage.get("total_tokens", 0)))
        return [
            {"name": "requests", "limit": REQUEST_LIMIT, "remaining": self._requests_left,
             "reset_seconds": 0.012},
            {"name": "tokens", "limit": TOKEN_LIMIT, "remaining": self._tokens_left,
             "reset_seconds": round((TOKEN_LIMIT - self._tokens_left) * 60 / TOKEN_LIMIT, 3)},
        ]
