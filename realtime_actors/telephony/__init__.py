"""Telephony: a bridge between carrier media streams (Twilio Media Streams) and sessions."""

from __future__ import annotations

from .bridge import BridgeConfig, CarrierSocket, EventHook, TelephonyBridge
from .call_events import (
    AnswerPlayedEvent,
    CallClearedEvent,
    CallEvent,
    CallStartedEvent,
    CallSummary,
    DtmfEvent,
)
from .codec import InboundConverter, OutboundConverter, SessionAudio
from .messages import (
    BridgeMessage,
    CarrierMessage,
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
from .playout import FrameOut, Heard, MarkOut, Playout
from .server import BridgeServer
from .sim_carrier import SimulatedCarrier

__all__ = [
    "AnswerPlayedEvent",
    "BridgeConfig",
    "BridgeMessage",
    "BridgeServer",
    "CallClearedEvent",
    "CallEvent",
    "CallStartedEvent",
    "CallSummary",
    "CarrierMessage",
    "CarrierSocket",
    "Clear",
    "Connected",
    "Dtmf",
    "DtmfEvent",
    "EventHook",
    "FrameOut",
    "Heard",
    "InboundConverter",
    "Mark",
    "MarkOut",
    "Media",
    "OutboundConverter",
    "OutboundMedia",
    "Playout",
    "SessionAudio",
    "SimulatedCarrier",
    "Start",
    "Stop",
    "TelephonyBridge",
    "TelephonyProtocolError",
    "encode",
    "parse_bridge_message",
    "parse_carrier_message",
]
