"""parse_server_event: input kinds, malformed frames (always ProtocolError), unknown types, and a
seeded fuzz that feeds random and odd frames and accepts only a ServerEvent or a ProtocolError."""

from __future__ import annotations

import json
import logging
import random
from typing import Any

import attrs
import pytest

from realtime_actors.errors import ProtocolError
from realtime_actors.protocol import server_events as se
from realtime_actors.protocol.parser import SERVER_EVENT_TYPES, parse_server_event

TEXT_DELTA: dict[str, Any] = {
    "type": "response.output_text.delta",
    "event_id": "event_1",
    "response_id": "resp_1",
    "item_id": "item_1",
    "output_index": 0,
    "content_index": 0,
    "delta": "héllo ✓",
}


def test_registry_is_the_server_events_registry() -> None:
    assert SERVER_EVENT_TYPES is se.SERVER_EVENT_TYPES
    assert len(SERVER_EVENT_TYPES) == 46


@pytest.mark.parametrize("kind", ["str", "bytes", "bytearray", "dict"])
def test_accepts_text_bytes_and_dict(kind: str) -> None:
    text = json.dumps(TEXT_DELTA, ensure_ascii=False)
    frame: Any = {
        "str": text,
        "bytes": text.encode(),
        "bytearray": bytearray(text.encode()),
        "dict": dict(TEXT_DELTA),
    }[kind]
    event = parse_server_event(frame)
    assert isinstance(event, se.ResponseOutputTextDeltaEvent)
    assert event.delta == "héllo ✓"
    assert event.raw == TEXT_DELTA
    if kind == "dict":
        assert event.raw is frame


@pytest.mark.parametrize(
    "frame",
    [
        b"\xff",
        b'{"type": "error", "x": "\xc0\xaf"}',  # overlong encoding
        b'{"type": "\xed\xa0\x80"}',  # encoded surrogate
        b'{"type": "response.output_text.delta", "delta": "\xe2\x9c"}',  # truncated sequence
        json.dumps(TEXT_DELTA).encode("utf-16"),
    ],
)
def test_invalid_utf8_is_a_protocol_error(frame: bytes) -> None:
    with pytest.raises(ProtocolError, match="invalid UTF-8") as info:
        parse_server_event(frame)
    assert info.value.frame_excerpt == frame[:200]


@pytest.mark.parametrize(
    "frame",
    [
        "",
        "   ",
        "{",
        '{"type": "error"',
        "{'type': 'error'}",
        "NaN",
        '{"type": "rate_limits.updated", "x": Infinity}',
        '{"type": "input_audio_buffer.cleared"} trailing',
        "[" * 100_000 + "]" * 100_000,
        b"{not json}",
    ],
)
def test_not_json_is_a_protocol_error(frame: str | bytes) -> None:
    with pytest.raises(ProtocolError, match=r"^not JSON"):
        parse_server_event(frame)


@pytest.mark.parametrize("frame", ["[]", "1", '"error"', "null", "true", b"[1]", "3.5"])
def test_json_that_is_not_an_object_is_a_protocol_error(frame: str | bytes) -> None:
    with pytest.raises(ProtocolError, match=r"^not a JSON object"):
        parse_server_event(frame)


@pytest.mark.parametrize(
    "frame",
    ["{}", '{"type": 1}', '{"type": null}', '{"type": ["error"]}', {"event_id": "event_1"}],
)
def test_missing_or_non_string_type_is_a_protocol_error(frame: str | dict[str, Any]) -> None:
    with pytest.raises(ProtocolError, match=r"^no type"):
        parse_server_event(frame)


@pytest.mark.parametrize("frame", [None, 17, ["{}"], memoryview(b"{}")])
def test_unsupported_input_is_a_protocol_error(frame: Any) -> None:
    with pytest.raises(ProtocolError, match="unsupported frame type"):
        parse_server_event(frame)


def test_protocol_error_excerpt_is_bounded() -> None:
    frame = "x" * 10_000
    with pytest.raises(ProtocolError) as info:
        parse_server_event(frame)
    assert info.value.frame_excerpt == "x" * 200
    assert len(str(info.value)) < 400


@pytest.mark.parametrize(
    ("frame", "event_id"),
    [
        ({"type": "response.audio.delta", "event_id": "event_b", "delta": "AAAA"}, "event_b"),
        ({"type": "session.closed", "event_id": 12}, None),
        ({"type": ""}, None),
    ],
)
def test_unknown_type_gives_unknown_server_event(
    frame: dict[str, Any], event_id: str | None
) -> None:
    event = parse_server_event(json.dumps(frame))
    assert isinstance(event, se.UnknownServerEvent)
    assert isinstance(event, se.ServerEvent)
    assert event.type == frame["type"]
    assert event.event_id == event_id
    assert event.raw == frame


def test_unexpected_builder_failure_becomes_protocol_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # No real frame reaches the safety net (the fuzz below asserts that); simulate a faulty reader.
    def broken(value: Any, key: str) -> Any:
        raise ZeroDivisionError("boom")

    cls = se.ResponseOutputTextDeltaEvent
    monkeypatch.setattr(cls, "_READERS", (("delta", broken),))
    with caplog.at_level(logging.ERROR), pytest.raises(ProtocolError, match="could not build"):
        parse_server_event(json.dumps(TEXT_DELTA))
    assert any("ZeroDivisionError" in r.getMessage() for r in caplog.records)


# ----------------------------------------------------------------------------- fuzz

NESTED_KEYS = [
    "id", "type", "role", "status", "content", "call_id", "name", "arguments", "output", "text",
    "audio", "transcript", "status_details", "reason", "error", "code", "message", "param",
    "event_id", "output_modalities", "usage", "metadata", "total_tokens", "input_tokens",
    "output_tokens", "seconds", "limit", "remaining", "reset_seconds", "token", "logprob",
    "bytes", "object", "model", "instructions", "voice", "tools", "expires_at", "format",
    "input", "conversation_id", "code", "languages",
]  # fmt: skip


def random_scalar(rng: random.Random) -> Any:
    """A random JSON scalar, biased to edge cases."""
    return rng.choice(
        [
            lambda: None,
            lambda: rng.random() < 0.5,
            lambda: rng.randint(-(2**70), 2**70),
            lambda: rng.randint(-3, 3),
            lambda: rng.uniform(-1e6, 1e6),
            lambda: "".join(chr(rng.randint(0, 0x10FFFF)) for _ in range(rng.randint(0, 6))),
            lambda: rng.choice(["", "audio", "AAAA", "in_progress", "\ud800", "é"]),
        ]
    )()


def random_json(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON value; objects prefer keys that our nested types read."""
    roll = rng.random()
    if depth >= 4 or roll < 0.45:
        return random_scalar(rng)
    if roll < 0.7:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = [rng.choice(NESTED_KEYS) for _ in range(rng.randint(0, 6))]
    return {key: random_json(rng, depth + 1) for key in keys}


def plausible(rng: random.Random, annotation: str) -> Any:
    """A value that usually fits a top-level field's annotation, so builders get exercised."""
    if annotation.startswith("str"):
        return rng.choice(["x", "item_1", ""])
    if annotation.startswith("int"):
        return rng.randint(0, 5000)
    if annotation.startswith("float"):
        return rng.random() * 10
    if annotation.startswith("tuple"):
        return [random_json(rng, 1) for _ in range(rng.randint(0, 3))]
    return {key: random_json(rng, 1) for key in rng.sample(NESTED_KEYS, rng.randint(0, 8))}


def random_known_frame(rng: random.Random, cls: type[se.ServerEvent]) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": cls.TYPE}
    for field in attrs.fields(cls):
        if field.name == "raw" or rng.random() < 0.1:
            continue
        roll = rng.random()
        if roll < 0.7:
            frame[field.name] = plausible(rng, str(field.type))
        else:
            frame[field.name] = random_json(rng)
    if rng.random() < 0.3:
        frame[rng.choice(NESTED_KEYS)] = random_json(rng)
    return frame


def check(frame: Any) -> se.ServerEvent | None:
    """Parse and require a ServerEvent or a ProtocolError; any other exception fails the test."""
    try:
        event = parse_server_event(frame)
    except ProtocolError:
        return None
    assert isinstance(event, se.ServerEvent)
    assert attrs.evolve(event) == event
    hash(event)
    repr(event)
    return event


@pytest.fixture
def no_safety_net(caplog: pytest.LogCaptureFixture):  # type: ignore[no-untyped-def]
    """Fail if the parser's catch-all ever fired: builders must handle every shape themselves."""
    with caplog.at_level(logging.ERROR, logger="realtime_actors.protocol.parser"):
        yield
    fired = [r for r in caplog.records if r.name == "realtime_actors.protocol.parser"]
    assert not fired, fired[0].getMessage()


@pytest.mark.usefixtures("no_safety_net")
def test_fuzz_random_json_values() -> None:
    rng = random.Random(20240601)
    for _ in range(1500):
        value = random_json(rng)
        check(value if isinstance(value, dict) else json.dumps(value))
        if isinstance(value, dict):
            check({**value, "type": rng.choice(list(SERVER_EVENT_TYPES))})


@pytest.mark.usefixtures("no_safety_net")
def test_fuzz_known_types_with_odd_fields() -> None:
    rng = random.Random(7)
    parsed = 0
    for cls in SERVER_EVENT_TYPES.values():
        for _ in range(80):
            frame = random_known_frame(rng, cls)
            text = json.dumps(frame)
            event = check(rng.choice([frame, text, text.encode()]))
            parsed += event is not None
    assert parsed > 500  # the generator must reach the builders, not only the error paths


@pytest.mark.usefixtures("no_safety_net")
def test_fuzz_bytes_truncations_and_mutations() -> None:
    rng = random.Random(99)
    base = json.dumps(TEXT_DELTA).encode()
    for _ in range(600):
        check(bytes(rng.randrange(256) for _ in range(rng.randint(0, 40))))
        check(base[: rng.randint(0, len(base))])
        mutated = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        check(mutated)


def test_field_errors_name_the_event_and_keep_an_excerpt() -> None:
    frame = json.dumps({**TEXT_DELTA, "delta": None})
    with pytest.raises(ProtocolError) as info:
        parse_server_event(frame)
    assert info.value.reason == (
        "response.output_text.delta: field 'delta' must be a string, got null or missing"
    )
    assert info.value.frame_excerpt == frame[:200]


def test_unknown_server_event_from_dict_requires_a_string_type() -> None:
    with pytest.raises(ProtocolError, match="no type"):
        se.UnknownServerEvent.from_dict({"type": 3})
