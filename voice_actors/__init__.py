"""voice_actors: speech-to-text -> workflow -> text-to-speech pipelines on pykka actors."""

from __future__ import annotations

from voice_actors.agent_workflow import AgentWorkflow
from voice_actors.cancel import CancelToken
from voice_actors.config import STTSettings, TTSSettings, VoicePipelineConfig
from voice_actors.errors import (
    PipelineCrashedError,
    PipelineStoppedError,
    PipelineUnavailableError,
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
    VoiceStreamEventTranscript,
)
from voice_actors.input import AudioInput
from voice_actors.pipeline import Pipeline, pipeline_child_spec
from voice_actors.pipeline_actor import PipelineActor, PipelineState, StartRun
from voice_actors.result import VoiceResult
from voice_actors.streamed_input import EnergyVAD, StreamedAudioInput, VADSettings
from voice_actors.text_split import SentenceSplitter
from voice_actors.workflow import SimpleWorkflow, VoiceWorkflowBase

__all__ = [
    "AgentWorkflow",
    "AudioInput",
    "CancelToken",
    "EnergyVAD",
    "Pipeline",
    "PipelineActor",
    "PipelineCrashedError",
    "PipelineState",
    "PipelineStoppedError",
    "PipelineUnavailableError",
    "QuotaExceededError",
    "RateLimitError",
    "STTSettings",
    "SentenceSplitter",
    "SimpleWorkflow",
    "StartRun",
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
    "VoiceStreamEventTranscript",
    "VoiceTimeoutError",
    "VoiceWorkflowBase",
    "WorkflowError",
    "pipeline_child_spec",
]
