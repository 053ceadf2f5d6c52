"""realtime-actors: an actor-model (pykka) framework for the OpenAI Realtime API.

Start a session with :func:`run`; see the README for a tour.
"""

from __future__ import annotations

from .agents.agent import Handoff, RealtimeAgent, RunContext, agent, handoff, handoff_tool_name
from .agents.guardrails import GuardrailInput, GuardrailResult, OutputGuardrail
from .aio import AsyncSession, arun
from .audio.playback import PlaybackState, PlaybackTracker
from .diagnostics import (
    DiagnosticsInputError,
    ProbeError,
    ProbeProof,
    format_probe_failure,
    probe_text_turn,
    skip_reason_for_error,
)
from .durable import (
    CheckpointPolicy,
    FileStore,
    MemoryStore,
    SessionSnapshot,
    SessionStore,
    SnapshotError,
    SnapshotVersionError,
    StaleEpochError,
    StoreError,
)
from .errors import (
    AudioFormatError,
    AuthError,
    ConfigError,
    ProtocolError,
    RealtimeError,
)
from .protocol.session_config import (
    UNSET,
    NoiseReductionConfig,
    SessionModelSettings,
    ToolDefinition,
    TracingConfig,
    TranscriptionConfig,
    TurnDetectionConfig,
)
from .reactor import Reactor, reactor
from .runtime.actor_pool import ActorPool, PoolStats, default_pool
from .runtime.pooled_actor import PooledActor, tell_and_run
from .session.actor import QueueFullError
from .session.core.history import HistoryItem
from .session.events import (
    AgentEndEvent,
    AgentStartEvent,
    AudioEndEvent,
    AudioEvent,
    AudioInterruptedEvent,
    ConnectionEvent,
    ErrorEvent,
    EventsDroppedEvent,
    GuardrailTrippedEvent,
    HandoffEvent,
    HistoryAddedEvent,
    HistoryUpdatedEvent,
    InputAudioTimeoutTriggeredEvent,
    RawModelEvent,
    SessionEndedEvent,
    SessionEvent,
    TextDeltaEvent,
    ToolEndEvent,
    ToolStartEvent,
    TranscriptCompletedEvent,
    TranscriptDeltaEvent,
)
from .session.handle import Session, SessionClosedError, run
from .session.run_config import ModelConfig, RunConfig
from .tools.function_tool import (
    AnyFunctionTool,
    FunctionTool,
    ToolArgumentsError,
    ToolContext,
    ToolError,
    ToolTimeoutError,
    UnknownToolError,
    function_tool,
)
from .transport.auth import ApiKey, resolve_api_key
from .transport.reconnect import DisconnectKind, ReconnectPolicy, classify_disconnect
from .transport.websocket_actor import (
    ConnectionSendError,
    FrameEncodeError,
    NotConnectedError,
    SendError,
    SendResult,
    WebSocketActor,
)
from .version import __version__

__all__ = [
    "UNSET",
    "ActorPool",
    "AgentEndEvent",
    "AgentStartEvent",
    "AnyFunctionTool",
    "ApiKey",
    "AsyncSession",
    "AudioEndEvent",
    "AudioEvent",
    "AudioFormatError",
    "AudioInterruptedEvent",
    "AuthError",
    "CheckpointPolicy",
    "ConfigError",
    "ConnectionEvent",
    "ConnectionSendError",
    "DiagnosticsInputError",
    "DisconnectKind",
    "ErrorEvent",
    "EventsDroppedEvent",
    "FileStore",
    "FrameEncodeError",
    "FunctionTool",
    "GuardrailInput",
    "GuardrailResult",
    "GuardrailTrippedEvent",
    "Handoff",
    "HandoffEvent",
    "HistoryAddedEvent",
    "HistoryItem",
    "HistoryUpdatedEvent",
    "InputAudioTimeoutTriggeredEvent",
    "MemoryStore",
    "ModelConfig",
    "NoiseReductionConfig",
    "NotConnectedError",
    "OutputGuardrail",
    "PlaybackState",
    "PlaybackTracker",
    "PoolStats",
    "PooledActor",
    "ProbeError",
    "ProbeProof",
    "ProtocolError",
    "QueueFullError",
    "RawModelEvent",
    "Reactor",
    "RealtimeAgent",
    "RealtimeError",
    "ReconnectPolicy",
    "RunConfig",
    "RunContext",
    "SendError",
    "SendResult",
    "Session",
    "SessionClosedError",
    "SessionEndedEvent",
    "SessionEvent",
    "SessionModelSettings",
    "SessionSnapshot",
    "SessionStore",
    "SnapshotError",
    "SnapshotVersionError",
    "StaleEpochError",
    "StoreError",
    "TextDeltaEvent",
    "ToolArgumentsError",
    "ToolContext",
    "ToolDefinition",
    "ToolEndEvent",
    "ToolError",
    "ToolStartEvent",
    "ToolTimeoutError",
    "TracingConfig",
    "TranscriptCompletedEvent",
    "TranscriptDeltaEvent",
    "TranscriptionConfig",
    "TurnDetectionConfig",
    "UnknownToolError",
    "WebSocketActor",
    "__version__",
    "agent",
    "arun",
    "classify_disconnect",
    "default_pool",
    "format_probe_failure",
    "function_tool",
    "handoff",
    "handoff_tool_name",
    "probe_text_turn",
    "reactor",
    "resolve_api_key",
    "run",
    "skip_reason_for_error",
    "tell_and_run",
]


def __getattr__(name: str) -> object:
    """``rt.cluster``: the Ray extra, imported on first use (it needs ``ray``)."""
    if name == "cluster":
        import importlib

        return importlib.import_module(".cluster", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
