"""Twilio Media Streams messages as sans-I/O code: typed frozen classes, parse and build.

From the carrier: ``connected``, ``start``, ``media``, ``mark``, ``dtmf``, ``stop``
(:func:`parse_carrier_message`). To the carrier: ``media``, ``mark``, ``clear``
(:func:`parse_bridge_message`, used by the simulated carrier). Every class has ``to_wire()``
(a JSON-ready dict) and :func:`encode` makes the text frame. Malformed input raises
:class:`TelephonyProtocolError` naming the message and the field.

Audio payloads are decoded from base64 into bytes (μ-law 8 kHz on Twilio) at parse time.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

import attrs

from ..errors import ProtocolError

MAX_MESSAGE_CHARS = 1_000_000
"""Longest text frame accepted (a 20 ms media frame is about 300 characters)."""


class TelephonyProtocolError(ProtocolError):
    """A carrier or bridge message that is not valid JSON or lacks a required field."""


def _load(frame: str | bytes) -> dict[str, Any]:
    if isinstance(frame, bytes | bytearray):
        try:
            frame = bytes(frame).decode("utf-8")
        except UnicodeDecodeError:
            raise TelephonyProtocolError("message is not UTF-8 text") from None
    if not isinstance(frame, str):
        raise TelephonyProtocolError(f"message must be str or bytes, not {type(frame).__name__}")
    if len(frame) > MAX_MESSAGE_CHARS:
        raise TelephonyProtocolError(f"message of {len(frame)} characters is too long "
                                     f"(limit {MAX_MESSAGE_CHARS})")
    try:
        data = json.loads(frame)
    except json.JSONDecodeError as exc:
        raise TelephonyProtocolError(f"message is not JSON: {exc.msg} at {exc.pos}") from None
    if not isinstance(data, dict):
        raise TelephonyProtocolError(f"message must be a JSON object, not {type(data).__name__}")
    return data


def _str(data: Mapping[str, Any], key: str, where: str, *, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or (default is None and not value):
        raise TelephonyProtocolError(f"{where}: {key!r} must be a non-empty string, "
                                     f"got {value!r}")
    return value


def _obj(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise TelephonyProtocolError(f"{where}: {key!r} must be an object, got {value!r}")
    return value


def _int(data: Mapping[str, Any], key: str, where: str, default: int = 0) -> int:
    """Twilio sends counters as decimal strings ("12"); numbers are accepted too."""
    value = data.get(key, default)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise TelephonyProtocolError(f"{where}: {key!r} must be a non-negative integer, "
                                 f"got {value!r}")


def _payload(media: Mapping[str, Any], where: str) -> bytes:
    text = _str(media, "payload", where, default="")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise TelephonyProtocolError(f"{where}: 'payload' is not valid base64") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# ---------------------------------------------------------------- from the carrier
@attrs.frozen(kw_only=True)
class Connected:
    """The first message of a stream: the carrier's protocol and version."""

    protocol: str = "Call"
    version: str = "1.0.0"

    def to_wire(self) -> dict[str, Any]:
        """The JSON object of this message."""
        return {"event": "connected", "protocol": self.protocol, "version": self.version}


@attrs.frozen(kw_only=True)
class Start:
    """The call's metadata: stream and call ids, tracks and the media format."""

    stream_sid: str
    call_sid: str = ""
    account_sid: str = ""
    tracks: tuple[str, ...] = ("inbound",)
    encoding: str = "audio/x-mulaw"
    sample_rate: int = 8000
    channels: int = 1
    custom_parameters: Mapping[str, str] = attrs.field(factory=dict)
    sequence_number: int = 0

    def to_wire(self) -> dict[str, Any]:
        """The JSON object of this message."""
        return {"event": "start", "sequenceNumber": str(self.sequence_number),
                "streamSid": self.stream_sid,
                "start": {"streamSid": self.stream_sid, "callSid": self.call_sid,
                          "accountSid": self.account_sid, "tracks": list(self.tracks),
                          "customParameters": dict(self.custom_parameters),
                          "mediaFormat": {"encoding": self.encoding,
                                          "sampleRate": self.sample_rate,
                                          "channels": self.channels}}}


@attrs.frozen(kw_only=True)
class Media:
    """Audio from the caller (``payload``: μ-law 8 kHz bytes); ``timestamp`` in ms."""

    stream_sid: str
    payload: bytes = attrs.field(repr=lambda p: f"<{len(p)} bytes>")
    track: str = "inbound"
    chunk: int = 0
    timestamp: int = 0
    sequence_number: int = 0

    def to_wire(self) -> dict[str, Any]:
        """The JSON object of this message."""
        return {"event": "media", "sequenceNumber": str(self.sequence_number),
                "streamSid": self.stream_sid,
                "media": {"track": self.track, "chunk": str(self.chunk),
                          "timestamp": str(self.timestamp), "payload": _b64(self.payload)}}


@attrs.frozen(kw_only=True)
class Mark:
    """A mark: from the bridge, placed after audio; from the carrier, that audio was played."""

    stream_sid: str
    name: str
    sequence_number: int = 0

    def to_wire(self) -> dict[str, Any]:
        """The JSON object of this message."""
        return {"event": "mark", "sequenceNumber": str(self.sequence_number),
                "streamSid": self.stream_sid, "mark": {"name": self.name}}


@attrs.frozen(kw_only=True)
class Dtmf:
    """A key the caller pressed (``0``-``9``, ``*``, ``#``, ``A``-``D``)."""

    stream_sid: str
    digit: str
    track: str = "inbound_track"
    sequence_number: int = 0

    def to_wire(self) -> dict[str, Any]:
        """The JSON object of this message."""
        return {"event": "dtmf", "sequenceNumber": str(self.sequence_number),
                "streamSid": self.stream_sid, "dtmf": {"track": self.track, "digit": self.digit}}


@attrs.frozen(kw_only=True)
class Stop:
    """The call ended (the last message of a stream)."""

    stream_sid: str
    call_sid: str = ""
    account_sid: str = ""
    sequence_number: int = 0

    def to_wire(self) -> dict[str, Any]:
        """The JSON object of this message."""
        return {"event": "stop", "sequenceNumber": str(self.sequence_number),
                "streamSid": self.stream_sid,
                "stop": {"callSid": self.call_sid, "accountSid": self.account_sid}}


CarrierMessage = Connected | Start | Media | Mark | Dtmf | Stop
"""Any message a carrier sends."""

DTMF_DIGITS = frozenset("0123456789*#ABCD")


def _parse_start(data: Mapping[str, Any]) -> Start:
    start = _obj(data, "start", "start")
    fmt = _obj(start, "mediaFormat", "start")
    tracks = start.get("tracks", ["inbound"])
    if not isinstance(tracks, list) or not all(isinstance(t, str) for t in tracks):
        raise TelephonyProtocolError(f"start: 'tracks' must be a list of strings, got {tracks!r}")
    params = start.get("customParameters", {})
    if not isinstance(params, Mapping):
        raise TelephonyProtocolError(f"start: 'customParameters' must be an object, "
                                     f"got {params!r}")
    sid_source = data if "streamSid" in data else start
    return Start(stream_sid=_str(sid_source, "streamSid", "start"),
                 call_sid=_str(start, "callSid", "start", default=""),
                 account_sid=_str(start, "accountSid", "start", default=""),
                 tracks=tuple(tracks), encoding=_str(fmt, "encoding", "start.mediaFormat"),
                 sample_rate=_int(fmt, "sampleRate", "start.mediaFormat", 8000),
                 channels=_int(fmt, "channels", "start.mediaFormat", 1),
                 custom_parameters={str(k): str(v) for k, v in params.items()},
                 sequence_number=_int(data, "sequenceNumber", "start"))


def _parse_dtmf(data: Mapping[str, Any]) -> Dtmf:
    dtmf = _obj(data, "dtmf", "dtmf")
    digit = _str(dtmf, "digit", "dtmf")
    if digit not in DTMF_DIGITS:
        raise TelephonyProtocolError(f"dtmf: 'digit' must be one of 0-9 * # A-D, got {digit!r}")
    return Dtmf(stream_sid=_str(data, "streamSid", "dtmf"), digit=digit,
                track=_str(dtmf, "track", "dtmf", default="inbound_track"),
                sequence_number=_int(data, "sequenceNumber", "dtmf"))


def parse_carrier_message(frame: str | bytes) -> CarrierMessage:
    """Parse one text frame from the carrier; raises :class:`TelephonyProtocolError`."""
    data = _load(frame)
    event = data.get("event")
    if event == "connected":
        return Connected(protocol=_str(data, "protocol", "connected", default="Call"),
                         version=_str(data, "version", "connected", default="1.0.0"))
    if event == "start":
        return _parse_start(data)
    if event == "media":
        media = _obj(data, "media", "media")
        return Media(stream_sid=_str(data, "streamSid", "media"),
                     payload=_payload(media, "media"),
                     track=_str(media, "track", "media", default="inbound"),
                     chunk=_int(media, "chunk", "media"),
                     timestamp=_int(media, "timestamp", "media"),
                     sequence_number=_int(data, "sequenceNumber", "media"))
    if event == "mark":
        return Mark(stream_sid=_str(data, "streamSid", "mark"),
                    name=_str(_obj(data, "mark", "mark"), "name", "mark"),
                    sequence_number=_int(data, "sequenceNumber", "mark"))
    if event == "dtmf":
        return _parse_dtmf(data)
    if event == "stop":
        stop = data.get("stop", {})
        if not isinstance(stop, Mapping):
            raise TelephonyProtocolError(f"stop: 'stop' must be an object, got {stop!r}")
        return Stop(stream_sid=_str(data, "streamSid", "stop"),
                    call_sid=_str(stop, "callSid", "stop", default=""),
                    account_sid=_str(stop, "accountSid", "stop", default=""),
                    sequence_number=_int(data, "sequenceNumber", "stop"))
    raise TelephonyProtocolError(f"unknown carrier event {event!r}; expected connected, "
                                 "start, media, mark, dtmf or stop")


# ---------------------------------------------------------------- to the carrier
@attrs.frozen(kw_only=True)
class OutboundMedia:
    """Audio for the caller (μ-law 8 kHz bytes), queued by the carrier for playback."""

    stream_sid: str
    payload: bytes = attrs.field(repr=lambda p: f"<{len(p)} bytes>")

    def to_wire(self) -> dict[str, Any]:
        """The JSON object of this message."""
        return {"event": "media", "streamSid": self.stream_sid,
                "media": {"payload": _b64(self.payload)}}


@attrs.frozen(kw_only=True)
class Clear:
    """Drop the audio queued at the carrier (the caller barged in)."""

    stream_sid: str

    def to_wire(self) -> dict[str, Any]:
        """The JSON object of this message."""
        return {"event": "clear", "streamSid": self.stream_sid}


BridgeMessage = OutboundMedia | Mark | Clear
"""Any message a bridge sends to the carrier."""


def parse_bridge_message(frame: str | bytes) -> BridgeMessage:
    """Parse one text frame a bridge sent (the carrier's side); raises
    :class:`TelephonyProtocolError`."""
    data = _load(frame)
    event = data.get("event")
    sid = _str(data, "streamSid", str(event))
    if event == "media":
        return OutboundMedia(stream_sid=sid, payload=_payload(_obj(data, "media", "media"),
                                                              "media"))
    if event == "mark":
        return Mark(stream_sid=sid, name=_str(_obj(data, "mark", "mark"), "name", "mark"))
    if event == "clear":
        return Clear(stream_sid=sid)
    raise TelephonyProtocolError(f"unknown bridge event {event!r}; expected media, mark "
                                 "or clear")


def encode(message: CarrierMessage | BridgeMessage) -> str:
    """The text frame of a message."""
    return json.dumps(message.to_wire(), separators=(",", ":"))
