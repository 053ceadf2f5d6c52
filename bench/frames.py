"""GA server frames of the bench server: one response whose audio deltas carry send stamps.

The session objects and validation come from the embedded simulator
(:mod:`realtime_actors.simulator.session_state`) and the audio is the simulator's synthetic
speech, so a client sees exactly the frames a Realtime session streaming audio would get.
Each delta is built from a fixed template: only the event id and the first base64 group of
the audio (the send stamp, see :mod:`common`) change from one delta to the next.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from common import BYTES_PER_MS, STAMP_BYTES, now_ns, stamp_b64

from realtime_actors.simulator.ids import IdFactory
from realtime_actors.simulator.session_state import default_session
from realtime_actors.simulator.speech_codec import synthesize

SPEECH_TEXT = "The quick brown fox jumps over the lazy dog while the band plays on. " * 3
_SPEECH_CACHE: dict[int, bytes] = {}


def speech_pcm(ms: int) -> bytes:
    """``ms`` of the simulator's synthetic speech (24 kHz PCM16), repeated as needed."""
    cached = _SPEECH_CACHE.get(ms)
    if cached is not None:
        return cached
    speech = synthesize(SPEECH_TEXT).astype("<i2").tobytes()
    need = ms * BYTES_PER_MS
    data = (speech * (need // len(speech) + 1))[:need]
    _SPEECH_CACHE[ms] = data
    return data


def new_session(ids: IdFactory, model: str = "gpt-realtime") -> dict[str, Any]:
    """The ``session`` object of ``session.created`` (the simulator's defaults)."""
    return default_session(session_id=ids.new("sess"), model=model,
                           expires_at=int(time.time()) + 3600)


class ResponseFrames:
    """The frames of one audio response: preamble, stamped deltas, postamble."""

    def __init__(self, ids: IdFactory, delta_ms: int, conversation_id: str) -> None:
        self.ids = ids
        self.response_id = ids.new("resp")
        self.item_id = ids.new("item")
        self.conversation_id = conversation_id
        self.delta_ms = delta_ms
        pcm = speech_pcm(delta_ms)
        if len(pcm) <= STAMP_BYTES:
            raise ValueError(f"a delta of {delta_ms} ms is too short to carry a stamp")
        tail = base64.b64encode(pcm[STAMP_BYTES:]).decode("ascii")
        self._head = '{"type":"response.output_audio.delta","event_id":"event_'
        self._mid = (f'","response_id":"{self.response_id}","item_id":"{self.item_id}",'
                     f'"output_index":0,"content_index":0,"delta":"')
        self._tail = tail + '","obfuscation":"'
        self._obfuscations = [ids.obfuscation() for _ in range(16)]
        self.deltas_sent = 0

    # -- the stamped deltas ---------------------------------------------------------------
    def delta(self, seq: int) -> str:
        """Delta number ``seq``, stamped now (call right before sending it)."""
        self.deltas_sent += 1
        return (f"{self._head}D{seq:020d}{self._mid}{stamp_b64(now_ns())}{self._tail}"
                f'{self._obfuscations[seq & 15]}"}}')

    # -- preamble and postamble -----------------------------------------------------------
    def _event(self, event: dict[str, Any]) -> str:
        return json.dumps({"type": event.pop("type"), "event_id": self.ids.event(), **event},
                          separators=(",", ":"))

    def _response(self, *, final: bool) -> dict[str, Any]:
        usage = None
        if final:
            audio_tokens = self.deltas_sent * self.delta_ms // 50
            usage = {
                "total_tokens": audio_tokens + 10, "input_tokens": 10,
                "output_tokens": audio_tokens,
                "input_token_details": {"text_tokens": 10, "audio_tokens": 0, "image_tokens": 0,
                                        "cached_tokens": 0,
                                        "cached_tokens_details": {"text_tokens": 0,
                                                                  "audio_tokens": 0,
                                                                  "image_tokens": 0}},
                "output_token_details": {"text_tokens": 0, "audio_tokens": audio_tokens},
            }
        return {
            "object": "realtime.response", "id": self.response_id,
            "status": "completed" if final else "in_progress", "status_details": None,
            "output": [self._item(final)] if final else [],
            "conversation_id": self.conversation_id, "output_modalities": ["audio"],
            "max_output_tokens": "inf",
            "audio": {"output": {"format": {"type": "audio/pcm", "rate": 24000},
                                 "voice": "alloy"}},
            "usage": usage, "metadata": None,
        }

    def _item(self, done: bool) -> dict[str, Any]:
        return {"id": self.item_id, "type": "message", "object": "realtime.item",
                "status": "completed" if done else "in_progress", "role": "assistant",
                "content": [{"type": "output_audio", "transcript": ""}] if done else []}

    def _base(self) -> dict[str, Any]:
        return {"response_id": self.response_id, "item_id": self.item_id, "output_index": 0,
                "content_index": 0}

    def preamble(self, previous_item_id: str | None) -> list[str]:
        """``response.created`` up to ``response.content_part.added``."""
        return [self._event(e) for e in (
            {"type": "response.created", "response": self._response(final=False)},
            {"type": "response.output_item.added", "response_id": self.response_id,
             "output_index": 0, "item": self._item(False)},
            {"type": "conversation.item.added", "previous_item_id": previous_item_id,
             "item": self._item(False)},
            {"type": "response.content_part.added", **self._base(),
             "part": {"type": "audio", "transcript": ""}},
        )]

    def postamble(self, previous_item_id: str | None) -> list[str]:
        """``response.output_audio.done`` up to ``response.done``."""
        return [self._event(e) for e in (
            {"type": "response.output_audio.done", **self._base()},
            {"type": "response.output_audio_transcript.done", **self._base(), "transcript": ""},
            {"type": "response.content_part.done", **self._base(),
             "part": {"type": "audio", "transcript": ""}},
            {"type": "response.output_item.done", "response_id": self.response_id,
             "output_index": 0, "item": self._item(True)},
            {"type": "conversation.item.done", "previous_item_id": previous_item_id,
             "item": self._item(True)},
            {"type": "response.done", "response": self._response(final=True)},
        )]


def sample_frames() -> list[dict[str, Any]]:
    """One of every frame the bench server sends, parsed (for shape validation)."""
    ids = IdFactory(1)
    frames = ResponseFrames(ids, 40, ids.new("conv"))
    texts = [json.dumps({"type": "session.created", "event_id": ids.event(),
                         "session": new_session(ids)})]
    texts += [*frames.preamble(None), frames.delta(0), *frames.postamble(None)]
    texts.append(json.dumps({"type": "input_audio_buffer.committed", "event_id": "event_n0",
                             "previous_item_id": None, "item_id": ids.new("item")}))
    return [json.loads(t) for t in texts]


def validate_frames() -> dict[str, Any]:
    """Check every frame shape against the ``openai`` package's GA server event types and
    against this project's parser; returns a summary (raises ValueError on a mismatch)."""
    from openai.types.realtime import RealtimeServerEvent
    from pydantic import TypeAdapter

    from realtime_actors.protocol.parser import parse_server_event

    adapter: TypeAdapter[Any] = TypeAdapter(RealtimeServerEvent)
    checked = []
    for frame in sample_frames():
        try:
            adapter.validate_python(frame)
        except Exception as exc:
            raise ValueError(f"{frame['type']} does not validate as a GA event: {exc}") from exc
        parsed = parse_server_event(json.dumps(frame).encode())
        if type(parsed).__name__ == "UnknownServerEvent":
            raise ValueError(f"{frame['type']} is unknown to realtime_actors' parser")
        checked.append(frame["type"])
    import openai

    return {"validated_types": checked, "openai_version": openai.__version__}
