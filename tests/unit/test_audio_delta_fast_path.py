"""The inbound fast paths give exactly what the general paths give.

``ResponseOutputAudioDeltaEvent.from_dict`` (inline checks) against the generic field readers,
the parser's scanner-only JSON decoding against ``JSONDecoder.decode``, the mapper's direct
base64 decoding against ``audio_bytes()``, and its dispatch by event class against dispatch
by wire type: same events for valid input, same typed errors (same messages) for bad input.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

import realtime_actors as rt
from realtime_actors.errors import AudioFormatError, ProtocolError
from realtime_actors.protocol.items import decode_base64_audio
from realtime_actors.protocol.parser import _DECODER, _decode_json, parse_server_event
from realtime_actors.protocol.server_events_base import SERVER_EVENT_TYPES, ServerEvent
from realtime_actors.protocol.server_events_response import ResponseOutputAudioDeltaEvent
from realtime_actors.session import events as ev
from realtime_actors.session.core.effects import Emit
from realtime_actors.session.core.session_core import SessionCore

PCM = bytes(range(256)) * 8
DELTA = {
    "type": "response.output_audio.delta",
    "event_id": "event_1",
    "response_id": "resp_1",
    "item_id": "item_1",
    "output_index": 0,
    "content_index": 0,
    "delta": base64.b64encode(PCM).decode("ascii"),
}


class Str(str):
    """A str subclass (only a dict built in Python can hold one)."""


class Int(int):
    """An int subclass."""


WRONG_VALUES: list[Any] = [None, True, False, 0, 1, -3, 2**70, 1.0, "0", "", Str("s"), Int(1),
                           [], {}, ["a"]]
FIELDS = ["event_id", "response_id", "item_id", "output_index", "content_index", "delta"]


def outcome(build: Any, data: dict[str, Any]) -> tuple[str, Any]:
    """("event", the event's fields and raw) or ("error", the ProtocolError's text)."""
    try:
        event = build(data)
    except ProtocolError as exc:
        return "error", str(exc)
    assert event.raw is data
    return "event", (type(event), event, tuple(event.raw.items()))


def generic(data: dict[str, Any]) -> ResponseOutputAudioDeltaEvent:
    """The field-reader path every other event takes."""
    return ServerEvent.from_dict.__func__(ResponseOutputAudioDeltaEvent, data)  # type: ignore[attr-defined]


def delta_variants() -> list[dict[str, Any]]:
    """Valid deltas and every field missing or set to each of WRONG_VALUES."""
    variants: list[dict[str, Any]] = [dict(DELTA), {**DELTA, "obfuscation": "xyz", "extra": [1]}]
    for field in FIELDS:
        variants.append({k: v for k, v in DELTA.items() if k != field})
        variants.extend({**DELTA, field: value} for value in WRONG_VALUES)
    return variants


def test_the_fast_path_reads_every_field_the_event_has() -> None:
    # a field added to the event must be added to the fast path too (this test fails first)
    assert [key for key, _ in ResponseOutputAudioDeltaEvent._READERS] == FIELDS


@pytest.mark.parametrize("data", delta_variants())
def test_fast_from_dict_equals_the_generic_readers(data: dict[str, Any]) -> None:
    assert outcome(ResponseOutputAudioDeltaEvent.from_dict, data) == outcome(generic, data)


def test_fast_from_dict_accepts_and_refuses_what_the_generic_readers_do() -> None:
    # not tautological: both kinds of outcome occur among the variants
    kinds = {outcome(ResponseOutputAudioDeltaEvent.from_dict, d)[0] for d in delta_variants()}
    assert kinds == {"event", "error"}
    with pytest.raises(ProtocolError, match="'content_index' must be an integer, got bool"):
        ResponseOutputAudioDeltaEvent.from_dict({**DELTA, "content_index": True})


@pytest.mark.parametrize("data", [d for d in delta_variants()  # JSON carries no subclass
                                  if not any(isinstance(v, Str | Int) for v in d.values())])
def test_a_wire_frame_parses_as_its_decoded_dict_does(data: dict[str, Any]) -> None:
    frame = json.dumps(data, separators=(",", ":")).encode()
    try:
        from_frame: tuple[str, Any] = ("event", parse_server_event(frame))
    except ProtocolError as exc:
        from_frame = ("error", exc.reason)
        assert exc.frame_excerpt == frame[:200]
    try:
        from_dict: tuple[str, Any] = ("event", parse_server_event(dict(data)))
    except ProtocolError as exc:
        from_dict = ("error", exc.reason)
    assert from_frame == from_dict


# ----------------------------------------------------------------------------- JSON


def decode_reference(text: str) -> tuple[str, Any]:
    """What the parser did before its fast path: ``JSONDecoder.decode`` and its errors."""
    try:
        return "value", _DECODER.decode(text)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc) or "too deep"
        return "error", f"not JSON: {reason}"


def decode_fast(text: str) -> tuple[str, Any]:
    try:
        return "value", _decode_json(text, text)
    except ProtocolError as exc:
        return "error", exc.reason


@pytest.mark.parametrize("text", [
    '{"type":"x","n":1}', ' {"type":"x"}', '{"type":"x"}\n', '\t{"a":[1,2,{"b":null}]} ',
    '{"a":1}{"b":2}', '{"a":1} x', '{"a":1', "", " ", "[]", "[1, 2]", '"text"', "12", "1e5",
    "true", "null", '{"a":NaN}', '{"a":Infinity}', '{"a":-Infinity}', "NaN", "{'a': 1}",
    '{"a":"\\ud800"}', '{"a":"\x01"}', '{"a":1,}', "[" * 100_000 + "]" * 100_000,
], ids=lambda t: repr(t[:20]))
def test_scanner_only_decoding_equals_decode(text: str) -> None:
    assert decode_fast(text) == decode_reference(text)


# ----------------------------------------------------------------------------- mapper


@pytest.fixture
def core() -> SessionCore:
    return SessionCore(rt.agent("Speaker"), rt.RunConfig(), clock=lambda: 0.0)


def expected_effects(event: ResponseOutputAudioDeltaEvent) -> tuple[str, Any]:
    """What the mapper gave before its fast path, from ``decode_base64_audio``."""
    try:
        data = decode_base64_audio(event.delta)
    except AudioFormatError as exc:
        return "error", f"invalid audio delta: {exc}"
    return "audio", data


def mapped(core: SessionCore, event: Any) -> tuple[str, Any]:
    (effect,) = core.on_server_event(event)
    assert isinstance(effect, Emit)
    if isinstance(effect.event, ev.ErrorEvent):
        assert (effect.event.source, effect.event.code) == ("protocol", "invalid_audio")
        assert effect.event.response_id == "resp_1"
        return "error", effect.event.message
    assert isinstance(effect.event, ev.AudioEvent)
    assert (effect.event.item_id, effect.event.content_index, effect.event.response_id) == (
        "item_1", 0, "resp_1")
    return "audio", effect.event.data


@pytest.mark.parametrize("delta", [
    DELTA["delta"], "", "AAAA", "AAA=", "AA==", "abc", "@@@@", "AAAA AAAA", "ÄÄÄÄ", "AA=A",
    "AAAA\n", "QUJDRA=", "QUJD RA==", "AAAA====", "=", "A", "AAAAA", "AA==AA==", "AB==",
    "%%% not base64 %%%", "\x00AAA",
], ids=repr)
def test_mapped_audio_delta_equals_decoding_with_audio_bytes(core: SessionCore,
                                                             delta: str) -> None:
    event = ResponseOutputAudioDeltaEvent.from_dict({**DELTA, "delta": delta})
    assert mapped(core, event) == expected_effects(event)


def test_a_non_string_delta_built_in_code_is_an_invalid_audio_error(core: SessionCore) -> None:
    event = ResponseOutputAudioDeltaEvent(response_id="resp_1", item_id="item_1",
                                          output_index=0, content_index=0,
                                          delta=b"AAAA")  # type: ignore[arg-type]
    assert mapped(core, event) == (
        "error", "invalid audio delta: base64 audio must be a str, got bytes")


def test_dispatch_by_class_uses_the_handler_of_the_wire_type(core: SessionCore) -> None:
    mapper = core._mapper
    assert mapper.by_class == {
        SERVER_EVENT_TYPES[name]: handler for name, handler in mapper.handlers.items()
        if name in SERVER_EVENT_TYPES}
    assert {cls.TYPE for cls in mapper.by_class} == set(mapper.handlers)
