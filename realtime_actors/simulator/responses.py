"""The GA event sequence of one simulated response (sans-I/O).

:class:`ResponseBuilder` yields ``(event, audio_ms)`` pairs: the server event dict (without
``event_id``, added by the sender) and the playback duration of the audio it carries, which
the connection uses for pacing. :meth:`ResponseBuilder.cancel` may be called between two
steps; the generator then ends the open item, part and response as ``cancelled``.
"""

from __future__ import annotations

import base64
import json
import math
import random
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import numpy as np

from .audio import bytes_per_ms, from_pcm24k
from .conversation import Conversation, StoredItem
from .ids import IdFactory

Step = tuple[dict[str, Any], float]
FAILURES = {
    "insufficient_quota": (
        "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details.",
    ),
    "rate_limit_exceeded": (
        "tokens",
        "Rate limit reached for the simulated model on tokens per min (TPM): Limit 40000, "
        "Used 40000, Requested 1000. Please try again in 1.5s.",
    ),
    "server_error": (
        "server_error",
        "The server had an error while processing your request. Sorry about that!",
    ),
}
AUDIO_TOKENS_PER_S = 20
CHARS_PER_TOKEN = 4


def text_tokens(text: str) -> int:
    """A rough token count of a text."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@attrs.frozen(kw_only=True)
class ResponseSettings:
    """Effective settings of one response: the session, overridden by ``response.create``."""

    output_modalities: tuple[str, ...]
    voice: Any
    output_format: dict[str, Any]
    max_output_tokens: int | str
    metadata: dict[str, str] | None
    conversation_id: str | None
    """``None`` for an out-of-band response."""


@attrs.frozen(kw_only=True)
class ModelOutput:
    """What the scripted model decided: a reply text, or a function call."""

    text: str = ""
    call_name: str | None = None
    call_arguments: str = "{}"


@attrs.frozen(kw_only=True)
class InputUsage:
    """Input token counts of a response."""

    text_tokens: int = 0
    audio_tokens: int = 0


class ResponseBuilder:
    """Builds the event sequence of one response."""

    def __init__(
        self,
        *,
        response_id: str,
        ids: IdFactory,
        rng: random.Random,
        settings: ResponseSettings,
        output: ModelOutput,
        conversation: Conversation | None,
        synthesize: Callable[[str], np.ndarray],
        usage_in: InputUsage,
        audio_delta_ms: tuple[int, int] = (20, 200),
        text_delta_chars: tuple[int, int] = (3, 12),
        fail: str | None = None,
    ) -> None:
        self.id = response_id
        self.ids = ids
        self.rng = rng
        self.settings = settings
        self.output = output
        self.conversation = conversation
        self.synthesize = synthesize
        self.usage_in = usage_in
        self.audio_delta_ms = audio_delta_ms
        self.text_delta_chars = text_delta_chars
        self.fail = fail
        self.cancel_reason: str | None = None
        self.status = "in_progress"
        self.produced_audio = False
        self.done = False
        self._output_items: list[dict[str, Any]] = []
        self._out_text_tokens = 0
        self._out_audio_ms = 0.0
        self._stored: StoredItem | None = None

    # -- public ---------------------------------------------------------------------------
    @property
    def output_audio_ms(self) -> float:
        """Milliseconds of output audio sent so far."""
        return self._out_audio_ms

    def cancel(self, reason: str) -> bool:
        """Ask the response to stop; False when it has already finished."""
        if self.done:
            return False
        if self.cancel_reason is None:
            self.cancel_reason = reason
        return True

    def response_object(self, *, final: bool) -> dict[str, Any]:
        """The ``response`` object of ``response.created`` / ``response.done``."""
        s = self.settings
        details: dict[str, Any] | None = None
        if final and self.status == "cancelled":
            details = {"type": "cancelled", "reason": self.cancel_reason}
        elif final and self.status == "incomplete":
            details = {"type": "incomplete", "reason": "max_output_tokens"}
        elif final and self.status == "failed" and self.fail is not None:
            err_type, message = FAILURES[self.fail]
            details = {
                "type": "failed",
                "error": {"type": err_type, "code": self.fail, "message": message},
            }
        return {
            "object": "realtime.response",
            "id": self.id,
            "status": self.status,
            "status_details": details,
            "output": [dict(i) for i in self._output_items] if final else [],
            "conversation_id": s.conversation_id,
            "output_modalities": list(s.output_modalities),
            "max_output_tokens": s.max_output_tokens,
            "audio": {"output": {"format": dict(s.output_format), "voice": s.voice}},
            "usage": self._usage() if final and self.status != "failed" else None,
            "metadata": s.metadata,
        }

    def events(self) -> Iterator[Step]:
        """The whole event sequence, ending with ``response.done``."""
        yield {"type": "response.created", "response": self.response_object(final=False)}, 0.0
        if self.fail is not None:
            self.status = "failed"
        elif self.cancel_reason is None:
            if self.output.call_name is not None:
                yield from self._function_call(0)
            else:
                yield from self._message(0)
        if self.status == "in_progress":
            self.status = "cancelled" if self.cancel_reason is not None else "completed"
        self.done = True
        yield {"type": "response.done", "response": self.response_object(final=True)}, 0.0

    # -- helpers --------------------------------------------------------------------------
    def _usage(self) -> dict[str, Any]:
        out_audio = math.ceil(self._out_audio_ms / 1000 * AUDIO_TOKENS_PER_S)
        inp = self.usage_in
        total_in = inp.text_tokens + inp.audio_tokens
        total_out = self._out_text_tokens + out_audio
        return {
            "total_tokens": total_in + total_out,
            "input_tokens": total_in,
            "output_tokens": total_out,
            "input_token_details": {
                "text_tokens": inp.text_tokens,
                "audio_tokens": inp.audio_tokens,
                "image_tokens": 0,
                "cached_tokens": 0,
                "cached_tokens_details": {"text_tokens": 0, "audio_tokens": 0, "image_tokens": 0},
            },
            "output_token_details": {"text_tokens": self._out_text_tokens,
                                     "audio_tokens": out_audio},
        }

    def _split_text(self, text: str) -> list[str]:
        lo, hi = self.text_delta_chars
        pieces, i = [], 0
        while i < len(text):
            n = self.rng.randint(max(1, lo), max(1, lo, hi))
            pieces.append(text[i : i + n])
            i += n
        return pieces

    def _split_audio(self, data: bytes) -> list[bytes]:
        lo, hi = self.audio_delta_ms
        per_ms = bytes_per_ms(self.settings.output_format["type"])
        align = 2 if self.settings.output_format["type"] == "audio/pcm" else 1
        chunks, i = [], 0
        while i < len(data):
            n = int(self.rng.randint(max(1, lo), max(1, lo, hi)) * per_ms)
            n = max(align, n - n % align)
            chunks.append(data[i : i + n])
            i += n
        return chunks

    def _item_added(self, item: dict[str, Any], index: int) -> Iterator[Step]:
        self._output_items.append(item)
        yield {"type": "response.output_item.added", "response_id": self.id,
               "output_index": index, "item": json.loads(json.dumps(item))}, 0.0
        if self.conversation is not None:
            self._stored = StoredItem(
                item=json.loads(json.dumps(item)),
                audio_format=self.settings.output_format["type"],
            )
            previous = self.conversation.insert(self._stored)
            yield {"type": "conversation.item.added", "previous_item_id": previous,
                   "item": json.loads(json.dumps(item))}, 0.0

    def _progress(self, content: dict[str, Any] | None, text: str, audio: bytes) -> None:
        """Keep the conversation's copy of the item current while it streams, so a client
        may truncate it before it is done."""
        stored = self._stored
        if stored is None or stored.truncated:
            return
        if content is not None:
            stored.item["content"] = [dict(content)]
        stored.text, stored.audio = text, audio

    def _item_done(self, item: dict[str, Any], index: int) -> Iterator[Step]:
        item["status"] = "incomplete" if self.cancel_reason is not None else "completed"
        self._output_items[index] = item
        yield {"type": "response.output_item.done", "response_id": self.id,
               "output_index": index, "item": json.loads(json.dumps(item))}, 0.0
        if self.conversation is not None and self._stored is not None:
            stored = self._stored
            stored.item["status"] = item["status"]
            if not stored.truncated:
                stored.item = json.loads(json.dumps(item))
            previous = None
            for existing in self.conversation.history():
                if existing is stored:
                    break
                previous = existing.id
            yield {"type": "conversation.item.done", "previous_item_id": previous,
                   "item": json.loads(json.dumps(item))}, 0.0

    def _limit_text(self, text: str) -> str:
        limit = self.settings.max_output_tokens
        if isinstance(limit, int) and text_tokens(text) > limit:
            self.status = "incomplete"
            return text[: limit * CHARS_PER_TOKEN]
        return text

    def _message(self, index: int) -> Iterator[Step]:
        item_id = self.ids.new("item")
        item: dict[str, Any] = {
            "id": item_id,
            "type": "message",
            "object": "realtime.item",
            "status": "in_progress",
            "role": "assistant",
            "content": [],
        }
        yield from self._item_added(item, index)
        text = self._limit_text(self.output.text)
        audio_mode = "audio" in self.settings.output_modalities
        base = {"response_id": self.id, "item_id": item_id, "output_index": index,
                "content_index": 0}
        empty_part: dict[str, Any] = (
            {"type": "audio", "transcript": ""} if audio_mode else {"type": "text", "text": ""}
        )
        yield {"type": "response.content_part.added", **base, "part": empty_part}, 0.0
        sent_text = ""
        audio_sent = b""
        fmt = self.settings.output_format["type"]
        if audio_mode:
            audio = from_pcm24k(self.synthesize(text), fmt) if text else b""
            pieces = self._split_text(text)
            chunks = self._split_audio(audio)
            for chunk in chunks:
                if self.cancel_reason is not None:
                    break
                target = (len(audio_sent) + len(chunk)) / len(audio) * len(text)
                while pieces and len(sent_text) < target and self.cancel_reason is None:
                    piece = pieces.pop(0)
                    sent_text += piece
                    yield {"type": "response.output_audio_transcript.delta", **base,
                           "delta": piece, "obfuscation": self.ids.obfuscation()}, 0.0
                if self.cancel_reason is not None:
                    break
                audio_sent += chunk
                self.produced_audio = True
                self._progress({"type": "output_audio", "transcript": sent_text}, sent_text,
                               audio_sent)
                ms = len(chunk) / bytes_per_ms(fmt)
                self._out_audio_ms += ms
                yield {"type": "response.output_audio.delta", **base,
                       "delta": base64.b64encode(chunk).decode("ascii"),
                       "obfuscation": self.ids.obfuscation()}, ms
            while pieces and self.cancel_reason is None:
                piece = pieces.pop(0)
                sent_text += piece
                yield {"type": "response.output_audio_transcript.delta", **base,
                       "delta": piece, "obfuscation": self.ids.obfuscation()}, 0.0
            self._progress({"type": "output_audio", "transcript": sent_text}, sent_text,
                           audio_sent)
            yield {"type": "response.output_audio.done", **base}, 0.0
            yield {"type": "response.output_audio_transcript.done", **base,
                   "transcript": sent_text}, 0.0
            final_part = {"type": "audio", "transcript": sent_text}
            content = {"type": "output_audio", "transcript": sent_text}
        else:
            for piece in self._split_text(text):
                if self.cancel_reason is not None:
                    break
                sent_text += piece
                yield {"type": "response.output_text.delta", **base, "delta": piece,
                       "obfuscation": self.ids.obfuscation()}, 0.0
            self._progress({"type": "output_text", "text": sent_text}, sent_text, b"")
            yield {"type": "response.output_text.done", **base, "text": sent_text}, 0.0
            final_part = {"type": "text", "text": sent_text}
            content = {"type": "output_text", "text": sent_text}
        self._out_text_tokens += text_tokens(sent_text)
        yield {"type": "response.content_part.done", **base, "part": final_part}, 0.0
        item["content"] = [content]
        yield from self._item_done(item, index)

    def _function_call(self, index: int) -> Iterator[Step]:
        item_id = self.ids.new("item")
        call_id = self.ids.new("call")
        name = self.output.call_name
        item: dict[str, Any] = {"id": item_id, "type": "function_call", "object": "realtime.item",
                                "status": "in_progress", "call_id": call_id, "name": name,
                                "arguments": ""}
        yield from self._item_added(item, index)
        sent = ""
        for piece in self._split_text(self.output.call_arguments):
            if self.cancel_reason is not None:
                break
            sent += piece
            yield {"type": "response.function_call_arguments.delta", "response_id": self.id,
                   "item_id": item_id, "output_index": index, "call_id": call_id,
                   "delta": piece, "obfuscation": self.ids.obfuscation()}, 0.0
        yield {"type": "response.function_call_arguments.done", "response_id": self.id,
               "item_id": item_id, "output_index": index, "call_id": call_id, "name": name,
               "arguments": sent}, 0.0
        self._out_text_tokens += text_tokens(sent)
        item["arguments"] = sent
        yield from self._item_done(item, index)
