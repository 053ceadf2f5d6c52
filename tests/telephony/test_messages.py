"""Media Streams messages: parse what Twilio sends, build what it takes, refuse bad input."""

from __future__ import annotations

import json

import pytest

from realtime_actors import ProtocolError
from realtime_actors.telephony import (
    Clear,
    Connected,
    Dtmf,
    Mark,
    Media,
    OutboundMedia,
    Start,
    Stop,
    TelephonyProtocolError,
    encode,
    parse_bridge_message,
    parse_carrier_message,
)

SID = "MZ18ad3ab5a668481ce02b83e7395059f0"

# shapes as the carrier documents them (counters as strings)
TWILIO_START = {
    "event": "start", "sequenceNumber": "1", "streamSid": SID,
    "start": {"accountSid": "AC123", "streamSid": SID, "callSid": "CA123",
              "tracks": ["inbound"], "customParameters": {"caller": "alice"},
              "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}},
}
TWILIO_MEDIA = {"event": "media", "sequenceNumber": "3", "streamSid": SID,
                "media": {"track": "inbound", "chunk": "1", "timestamp": "5",
                          "payload": "/////w=="}}


def test_twilio_shapes_parse_into_typed_messages() -> None:
    assert parse_carrier_message('{"event":"connected","protocol":"Call","version":"1.0.0"}') \
        == Connected()
    start = parse_carrier_message(json.dumps(TWILIO_START))
    assert start == Start(stream_sid=SID, call_sid="CA123", account_sid="AC123",
                          custom_parameters={"caller": "alice"}, sequence_number=1)
    media = parse_carrier_message(json.dumps(TWILIO_MEDIA).encode())
    assert isinstance(media, Media)
    assert (media.payload, media.chunk, media.timestamp) == (b"\xff" * 4, 1, 5)
    mark = parse_carrier_message(json.dumps(
        {"event": "mark", "sequenceNumber": "4", "streamSid": SID, "mark": {"name": "m1"}}))
    assert mark == Mark(stream_sid=SID, name="m1", sequence_number=4)
    dtmf = parse_carrier_message(json.dumps(
        {"event": "dtmf", "streamSid": SID, "sequenceNumber": "5",
         "dtmf": {"track": "inbound_track", "digit": "#"}}))
    assert dtmf == Dtmf(stream_sid=SID, digit="#", sequence_number=5)
    stop = parse_carrier_message(json.dumps(
        {"event": "stop", "sequenceNumber": "6", "streamSid": SID,
         "stop": {"accountSid": "AC123", "callSid": "CA123"}}))
    assert stop == Stop(stream_sid=SID, call_sid="CA123", account_sid="AC123",
                        sequence_number=6)


@pytest.mark.parametrize("message", [
    Connected(), Start(stream_sid=SID, call_sid="CA1", custom_parameters={"a": "b"}),
    Media(stream_sid=SID, payload=b"\x00\x7f\xff", chunk=2, timestamp=40),
    Mark(stream_sid=SID, name="m9"), Dtmf(stream_sid=SID, digit="5"), Stop(stream_sid=SID),
])
def test_carrier_messages_round_trip(message: object) -> None:
    assert parse_carrier_message(encode(message)) == message  # type: ignore[arg-type]


def test_bridge_messages_build_the_documented_shapes_and_round_trip() -> None:
    media = OutboundMedia(stream_sid=SID, payload=b"\xff\xff")
    assert json.loads(encode(media)) == {"event": "media", "streamSid": SID,
                                         "media": {"payload": "//8="}}
    assert json.loads(encode(Mark(stream_sid=SID, name="m1")))["mark"] == {"name": "m1"}
    assert json.loads(encode(Clear(stream_sid=SID))) == {"event": "clear", "streamSid": SID}
    for message in (media, Mark(stream_sid=SID, name="m1"), Clear(stream_sid=SID)):
        assert parse_bridge_message(encode(message)) == message


@pytest.mark.parametrize(("frame", "match"), [
    ("not json", "not JSON"),
    ("[1, 2]", "JSON object"),
    (b"\xff\xfe", "UTF-8"),
    ('{"event": "ring"}', "unknown carrier event 'ring'"),
    ('{"event": "media", "streamSid": "MZ1"}', "'media' must be an object"),
    ('{"event": "media", "streamSid": "MZ1", "media": {"payload": "%%%"}}', "base64"),
    ('{"event": "media", "media": {"payload": ""}}', "'streamSid' must be a non-empty"),
    ('{"event": "mark", "streamSid": "MZ1", "mark": {}}', "'name'"),
    ('{"event": "dtmf", "streamSid": "MZ1", "dtmf": {"digit": "x"}}', "0-9"),
    ('{"event": "media", "streamSid": "MZ1", "sequenceNumber": "-1",'
     ' "media": {"payload": ""}}', "sequenceNumber"),
    ('{"event": "start", "streamSid": "MZ1", "start": {}}', "mediaFormat"),
])
def test_malformed_carrier_input_raises_a_typed_error_naming_the_problem(
        frame: str | bytes, match: str) -> None:
    with pytest.raises(TelephonyProtocolError, match=match) as info:
        parse_carrier_message(frame)
    assert isinstance(info.value, ProtocolError)


def test_an_unknown_bridge_event_is_refused() -> None:
    with pytest.raises(TelephonyProtocolError, match="expected media, mark or clear"):
        parse_bridge_message('{"event": "play", "streamSid": "MZ1"}')


def test_payload_bytes_are_not_in_the_repr() -> None:
    assert "payload=<3 bytes>" in repr(Media(stream_sid=SID, payload=b"abc"))
