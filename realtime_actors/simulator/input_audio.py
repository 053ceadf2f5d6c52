"""The input audio buffer of a simulated connection: append, commit, clear and server VAD."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..audio.vad import EnergyVad, Vad, VadEvent
from .audio import duration_ms, g711_decode, to_pcm24k
from .conversation import StoredItem
from .errors import ClientEventError, invalid_type, missing_parameter
from .model import transcribe

if TYPE_CHECKING:
    from .connection import RealtimeConnection

logger = logging.getLogger(__name__)

MIN_COMMIT_MS = 100.0
SPEECH_RMS_SCALE = 0.1
"""A ``server_vad`` threshold of 0.5 is an RMS of 0.05 of full scale (about -26 dBFS)."""
SEMANTIC_SILENCE_MS = {"low": 800, "medium": 500, "auto": 500, "high": 250}
"""Silence that ends a turn under ``semantic_vad``, by eagerness."""


def vad_for(turn_detection: dict[str, Any], *, rate: int, start_ms: int = 0) -> EnergyVad:
    """The VAD a session's ``audio.input.turn_detection`` asks for (10 ms frames, a turn
    starts after 20 ms of speech)."""
    if turn_detection.get("type") == "semantic_vad":
        silence = SEMANTIC_SILENCE_MS.get(str(turn_detection.get("eagerness")), 500)
        return EnergyVad(rate=rate, silence_duration_ms=silence, start_ms=start_ms)
    threshold = float(turn_detection.get("threshold", 0.5))
    return EnergyVad(
        rate=rate,
        start_ms=start_ms,
        level=max(threshold, 0.001) * SPEECH_RMS_SCALE,
        prefix_padding_ms=int(turn_detection.get("prefix_padding_ms", 300)),
        silence_duration_ms=int(turn_detection.get("silence_duration_ms", 200)),
    )


class InputAudio:
    """Buffer and VAD state; sends the ``input_audio_buffer.*`` events of one connection."""

    def __init__(self, conn: RealtimeConnection) -> None:
        self.conn = conn
        self.buffer = bytearray()
        self.position_ms = 0.0
        """Milliseconds of input audio received since the session started."""
        self.speech_item_id: str | None = None
        self._turns = 0
        self._turn_detection: Any = None
        self.vad: Vad | None = None
        self._idle_task: asyncio.Task[None] | None = None
        self._idle_start_ms = 0.0
        self.reconfigure()

    @property
    def format_type(self) -> str:
        """The session's input audio format type."""
        return str(self.conn.session["audio"]["input"]["format"]["type"])

    def next_turn_index(self) -> int:
        """0-based index of the next audio turn (passed to ``scenario.transcript``)."""
        index = self._turns
        self._turns += 1
        return index

    def reconfigure(self) -> None:
        """Follow the session's turn detection (after ``session.update``)."""
        td = self.conn.session["audio"]["input"]["turn_detection"]
        if td == self._turn_detection:
            return
        self._turn_detection = td
        self.vad = None if td is None else vad_for(td, rate=24000, start_ms=int(self.position_ms))
        self.arm_idle()

    async def append(self, audio: Any) -> None:
        """Handle ``input_audio_buffer.append`` (no acknowledgement)."""
        if audio is None:
            raise missing_parameter("audio")
        if not isinstance(audio, str):
            raise invalid_type("audio", audio, "a string")
        try:
            data = base64.b64decode(audio, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ClientEventError(
                "invalid_value",
                "Invalid 'audio'. Expected base64-encoded audio bytes.",
                param="audio",
            ) from exc
        fmt = self.format_type
        self.buffer += data
        self.position_ms += duration_ms(len(data), fmt)
        if self.vad is None:
            return
        if fmt == "audio/pcm":
            samples = np.frombuffer(data[: len(data) - len(data) % 2], dtype="<i2")
        else:
            samples = np.repeat(g711_decode(data, fmt), 3)
        for event in self.vad.feed(samples):
            await self._on_vad(event)

    async def _on_vad(self, event: VadEvent) -> None:
        conn = self.conn
        td = self._turn_detection or {}
        if event.kind == "started":
            self.speech_item_id = conn.ids.new("item")
            await conn.send({"type": "input_audio_buffer.speech_started",
                             "audio_start_ms": event.audio_ms, "item_id": self.speech_item_id})
            self.disarm_idle()
            if td.get("interrupt_response", True):
                conn.responses.cancel_active("turn_detected")
            return
        item_id = self.speech_item_id or conn.ids.new("item")
        await conn.send({"type": "input_audio_buffer.speech_stopped",
                         "audio_end_ms": event.audio_ms, "item_id": item_id})
        await self.commit(item_id)
        if td.get("create_response", True) and conn.session["type"] == "realtime":
            await conn.responses.create_automatic()
        if conn.responses.active is None:
            self.arm_idle()

    # -- idle timeout (server_vad ``idle_timeout_ms``) -------------------------------------
    def arm_idle(self, extra_s: float = 0.0) -> None:
        """(Re)start the idle timer: after ``idle_timeout_ms`` (times the scenario's
        ``idle_timeout_scale``) plus ``extra_s`` (output audio still playing) without speech
        or a response, the turn times out. No-op without a server VAD idle timeout."""
        self.disarm_idle()
        td = self._turn_detection
        conn = self.conn
        if not td or td.get("type") != "server_vad" or td.get("idle_timeout_ms") is None:
            return
        if conn.session["type"] != "realtime" or conn.closed or conn.responses.active:
            return
        scale = conn.scenario_getter().idle_timeout_scale
        self._idle_start_ms = self.position_ms
        self._idle_task = conn.spawn(self._idle_after(td["idle_timeout_ms"] / 1000 * scale
                                                      + extra_s))

    def disarm_idle(self) -> None:
        """Stop the idle timer (speech started, a response started)."""
        if self._idle_task is not None:
            self._idle_task.cancel()
            self._idle_task = None

    async def _idle_after(self, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        self._idle_task = None
        conn = self.conn
        if (self.vad is not None and self.vad.in_speech) or conn.responses.active is not None:
            return
        item_id = conn.ids.new("item")
        await conn.send({"type": "input_audio_buffer.timeout_triggered",
                         "audio_start_ms": int(self._idle_start_ms),
                         "audio_end_ms": int(self.position_ms), "item_id": item_id})
        await self.commit(item_id)
        await conn.responses.create_automatic()

    async def commit_from_client(self) -> None:
        """Handle ``input_audio_buffer.commit``."""
        have = duration_ms(len(self.buffer), self.format_type)
        if have < MIN_COMMIT_MS:
            raise ClientEventError(
                "input_audio_buffer_commit_empty",
                "Error committing input audio buffer: buffer too small. Expected at least "
                f"100ms of audio, but buffer only has {have:.2f}ms of audio.",
            )
        if self.vad is not None:
            self.vad.reset()
        await self.commit(self.speech_item_id or self.conn.ids.new("item"))

    async def clear(self) -> None:
        """Handle ``input_audio_buffer.clear``."""
        self.buffer.clear()
        self.speech_item_id = None
        if self.vad is not None:
            self.vad.reset()
        await self.conn.send({"type": "input_audio_buffer.cleared"})

    async def commit(self, item_id: str) -> None:
        """Turn the buffer into a user audio item (and transcribe it when configured)."""
        conn = self.conn
        fmt = self.format_type
        data = bytes(self.buffer)
        self.buffer.clear()
        self.speech_item_id = None
        pcm = to_pcm24k(data, fmt)
        text = transcribe(conn.scenario_getter(), pcm, self.next_turn_index())
        stored = StoredItem(
            item={"id": item_id, "type": "message", "object": "realtime.item",
                  "status": "completed", "role": "user",
                  "content": [{"type": "input_audio", "transcript": None}]},
            text=text,
            audio=data,
            audio_format=fmt,
        )
        previous = conn.conversation.insert(stored)
        await conn.send({"type": "input_audio_buffer.committed", "previous_item_id": previous,
                         "item_id": item_id})
        for kind in ("conversation.item.added", "conversation.item.done"):
            await conn.send({"type": kind, "previous_item_id": previous, "item": stored.wire()})
        if conn.session["audio"]["input"].get("transcription") is not None:
            await self._transcribe_events(stored, text, pcm.size / 24000)

    async def _transcribe_events(self, stored: StoredItem, text: str, seconds: float) -> None:
        conn = self.conn
        base = {"item_id": stored.id, "content_index": 0}
        words = text.split(" ")
        for i, word in enumerate(words):
            delta = word if i == len(words) - 1 else word + " "
            await conn.send({"type": "conversation.item.input_audio_transcription.delta", **base,
                             "delta": delta, "logprobs": None,
                             "obfuscation": conn.ids.obfuscation()})
        audio_tokens = math.ceil(seconds * 10)
        out_tokens = math.ceil(len(text) / 4)
        usage: dict[str, Any] = {
            "type": "tokens",
            "input_tokens": audio_tokens,
            "input_token_details": {"text_tokens": 0, "audio_tokens": audio_tokens},
            "output_tokens": out_tokens,
            "total_tokens": audio_tokens + out_tokens,
        }
        if conn.session["type"] == "transcription":
            usage = {"type": "duration", "seconds": math.ceil(seconds)}
        stored.item["content"][0]["transcript"] = text
        await conn.send({"type": "conversation.item.input_audio_transcription.completed", **base,
                         "transcript": text, "logprobs": None, "usage": usage})
