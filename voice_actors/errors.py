"""Typed exceptions of the voice pipeline; all derive from realtime_actors' RealtimeError."""

from __future__ import annotations

from realtime_actors.errors import AuthError, RealtimeError


class VoiceError(RealtimeError):
    """Base class of every voice pipeline error."""


class VoiceHTTPError(VoiceError):
    """An audio REST request failed (error status, timeout or broken connection).

    ``status`` is the HTTP status (None when no answer arrived), ``code`` the OpenAI
    ``error.code`` and ``endpoint`` ``"transcriptions"`` or ``"speech"``.
    """

    def __init__(
        self,
        message: str,
        *,
        endpoint: str,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.status = status
        self.code = code
        super().__init__(message)


class VoiceAuthError(VoiceHTTPError, AuthError):
    """The server rejected the API key (HTTP 401)."""


class QuotaExceededError(VoiceHTTPError):
    """HTTP 429 ``insufficient_quota`` (or another billing code): never retried."""


class RateLimitError(VoiceHTTPError):
    """HTTP 429 ``rate_limit_exceeded`` still failing after the bounded retries."""


class VoiceServerError(VoiceHTTPError):
    """HTTP 5xx still failing after the bounded retries."""


class VoiceRequestError(VoiceHTTPError):
    """Another 4xx answer (invalid request)."""


class VoiceTimeoutError(VoiceHTTPError):
    """The request timed out (connect or read)."""


class VoiceConnectionError(VoiceHTTPError):
    """The connection failed or was dropped before the answer was complete."""


class VoiceCancelledError(VoiceError):
    """The run was cancelled with ``result.cancel()``."""


class PipelineStoppedError(VoiceError):
    """The pipeline actor stopped or died before the run finished."""


class PipelineUnavailableError(VoiceError):
    """The pipeline actor did not accept a run in time (restarting for too long, or stuck)."""


class PipelineCrashedError(VoiceError):
    """Raised inside the pipeline actor to crash it (``crash_on_workflow_error``); its
    supervisor then restarts it. Users see it as the cause of a ``PipelineStoppedError``."""


class StreamTimeoutError(VoiceError):
    """``result.stream(timeout=...)`` ran out of time before the run finished."""


class WorkflowError(VoiceError):
    """The workflow raised while producing the reply.

    ``code`` is the OpenAI error code behind it when there is one (e.g. an
    :class:`~voice_actors.AgentWorkflow` whose realtime response failed with
    ``insufficient_quota``).
    """

    def __init__(self, message: str, *, code: str | None = None) -> None:
        self.code = code
        super().__init__(message)
