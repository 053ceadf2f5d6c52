"""protocol.encoding: client events as the compact JSON the server reads."""

from __future__ import annotations

import json
import math

import pytest

from realtime_actors.protocol.encoding import encode_event


def test_events_are_compact_json_and_refuse_what_json_cannot_carry() -> None:
    event = {"type": "conversation.item.create", "item": {"text": "héllo ✓"}}
    text = encode_event(event)
    assert json.loads(text.decode("utf-8")) == event
    assert text == json.dumps(event, separators=(",", ":")).encode("ascii")
    with pytest.raises(ValueError):
        encode_event({"type": "x", "value": math.nan})
    with pytest.raises(TypeError):
        encode_event({"type": "x", "value": object()})


@pytest.mark.parametrize("audio", ["QUJD", "AAAA" * 500 + "AA==", "", 'AB"}', "AB\\u", "é==",
                                   "AB\nCD", 123, None])
def test_the_append_fast_path_gives_what_the_encoder_gives(audio: object) -> None:
    event = {"type": "input_audio_buffer.append", "audio": audio}
    assert encode_event(event) == json.dumps(event, separators=(",", ":")).encode("ascii")
    assert json.loads(encode_event(event)) == event
