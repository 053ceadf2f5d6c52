"""Sans-I/O core of the Realtime protocol (GA): server and client events, session configuration."""

from __future__ import annotations

from ..audio import pcm as audio
from ..audio.pcm import (
    SAMPLE_RATE,
    WavAudio,
    b64decode_audio,
    b64encode_audio,
    duration_ms,
    read_wav,
    resample,
    to_pcm16_bytes,
    write_wav,
)
from . import client_events, server_events
from .client_events import CLIENT_EVENT_TYPES, ResponseParams
from .items import (
    ContentPart,
    ConversationItem,
    ErrorDetail,
    RateLimit,
    RealtimeResponse,
    ResponseStatusDetails,
    SessionInfo,
    Usage,
)
from .parser import SERVER_EVENT_TYPES, parse_server_event
from .server_events import ServerEvent, UnknownServerEvent
from .session_config import (
    UNSET,
    AudioFormat,
    NoiseReductionConfig,
    SessionModelSettings,
    ToolDefinition,
    TracingConfig,
    TranscriptionConfig,
    TurnDetectionConfig,
)

__all__ = [
    "CLIENT_EVENT_TYPES",
    "SAMPLE_RATE",
    "SERVER_EVENT_TYPES",
    "UNSET",
    "AudioFormat",
    "ContentPart",
    "ConversationItem",
    "ErrorDetail",
    "NoiseReductionConfig",
    "RateLimit",
    "RealtimeResponse",
    "ResponseParams",
    "ResponseStatusDetails",
    "ServerEvent",
    "SessionInfo",
    "SessionModelSettings",
    "ToolDefinition",
    "TracingConfig",
    "TranscriptionConfig",
    "TurnDetectionConfig",
    "UnknownServerEvent",
    "Usage",
    "WavAudio",
    "audio",
    "b64decode_audio",
    "b64encode_audio",
    "client_events",
    "duration_ms",
    "parse_server_event",
    "read_wav",
    "resample",
    "server_events",
    "to_pcm16_bytes",
    "write_wav",
]
