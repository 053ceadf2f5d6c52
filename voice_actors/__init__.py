"""voice_actors: speech-to-text -> workflow -> text-to-speech pipelines on pykka actors."""

from __future__ import annotations

from voice_actors.agent_workflow import AgentWorkflow
from voice_actors.config import STTSettings, TTSSettings, VoicePipelineConfig
from voice_actors.errors import (
    PipelineStoppedError,
    QuotaExceededError,
    RateLimitError,
    StreamTimeoutError,
    VoiceAuthError,
    VoiceCancelledError,
    VoiceConnectionError,
    VoiceError,
    VoiceHTTPError,
    VoiceRequestError,
    VoiceServerError,
    VoiceTimeoutError,
    WorkflowError,
)
from voice_actors.events import (
    VoiceStreamEvent,
    VoiceStreamEventAudio,
    VoiceStreamEventError,
    VoiceStreamEventLifecycle,
)
from voice_actors.input import AudioInput
from voice_actors.pipeline import Pipeline, PipelineActor
from voice_actors.result import VoiceResult
from voice_actors.streamed_input import EnergyVAD, StreamedAudioInput, VADSettings
from voice_actors.text_split import SentenceSplitter
from voice_actors.workflow import SimpleWorkflow, VoiceWorkflowBase

__all__ = [
    "AgentWorkflow",
    "AudioInput",
    "EnergyVAD",
    "Pipeline",
    "PipelineActor",
    "PipelineStoppedError",
    "QuotaExceededError",
    "RateLimitError",
    "STTSettings",
    "SentenceSplitter",
    "SimpleWorkflow",
    "StreamTimeoutError",
    "StreamedAudioInput",
    "TTSSettings",
    "VADSettings",
    "VoiceAuthError",
    "VoiceCancelledError",
    "VoiceConnectionError",
    "VoiceError",
    "VoiceHTTPError",
    "VoicePipelineConfig",
    "VoiceRequestError",
    "VoiceResult",
    "VoiceServerError",
    "VoiceStreamEvent",
    "VoiceStreamEventAudio",
    "VoiceStreamEventError",
    "VoiceStreamEventLifecycle",
    "VoiceTimeoutError",
    "VoiceWorkflowBase",
    "WorkflowError",
]
