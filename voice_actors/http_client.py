"""Blocking HTTP calls of the voice pipeline (run in worker threads, never in an actor).

``AudioHTTPClient.transcribe`` posts a WAV to ``/audio/transcriptions``;
``AudioHTTPClient.speech`` streams PCM from ``/audio/speech``. Errors become typed
:class:`~voice_actors.errors.VoiceHTTPError` subclasses; rate limits and 5xx answers are retried
a bounded number of times (honouring ``Retry-After``), quota and auth errors never are.

The client keeps one keep-alive session (:func:`~voice_actors.cancel.pooled_session`), so
requests after the first reuse open connections instead of paying DNS, TCP (and TLS) again.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import requests

from realtime_actors.supervision.backoff import backoff_delay
from realtime_actors.transport.auth import ApiKey, auth_headers
from realtime_actors.transport.tls import requests_verify
from voice_actors.cancel import CancelToken, pooled_session
from voice_actors.config import STTSettings, TTSSettings, VoicePipelineConfig
from voice_actors.errors import (
    QuotaExceededError,
    RateLimitError,
    VoiceAuthError,
    VoiceConnectionError,
    VoiceHTTPError,
    VoiceRequestError,
    VoiceServerError,
    VoiceTimeoutError,
)
from voice_actors.input import AudioInput
from voice_actors.sse import SSEParser

logger = logging.getLogger(__name__)

_QUOTA_CODES = frozenset(
    {
        "insufficient_quota",
        "credit_balance_exhausted",
        "organization_spend_limit_exceeded",
        "project_spend_limit_exceeded",
        "organization_usage_limit_exceeded",
    }
)
_CHUNK_BYTES = 4800
_RETRY_BASE_S = 0.5
"""First wait between attempts without ``Retry-After``; it doubles with each attempt."""

Send = Callable[[requests.Session], requests.Response]
"""Sends one attempt of a request on the given session."""


def _error_body(response: requests.Response) -> tuple[str | None, str]:
    """(error code, message) of an OpenAI error answer, tolerating non-JSON bodies."""
    try:
        text = response.content.decode("utf-8", "replace")[:2000]
    except requests.RequestException as exc:
        return None, f"(unreadable error body: {type(exc).__name__})"
    try:
        error = json.loads(text).get("error") or {}
    except (ValueError, AttributeError):
        return None, text[:300]
    if not isinstance(error, dict):
        return None, text[:300]
    code = error.get("code") if isinstance(error.get("code"), str) else None
    if code is None and isinstance(error.get("type"), str) and error["type"] in _QUOTA_CODES:
        code = error["type"]
    return code, str(error.get("message") or "")[:500]


def _retry_after(response: requests.Response) -> float | None:
    ms = response.headers.get("retry-after-ms")
    seconds = response.headers.get("Retry-After")
    try:
        if ms is not None:
            return max(0.0, float(ms) / 1000.0)
        if seconds is not None:
            return max(0.0, float(seconds))
    except ValueError:
        logger.warning("ignoring an unparsable Retry-After header")
    return None


def http_error(response: requests.Response, endpoint: str) -> VoiceHTTPError:
    """The typed error of a non-2xx answer."""
    status = response.status_code
    code, message = _error_body(response)
    text = f"{endpoint} request failed with HTTP {status} ({code}): {message}"
    kwargs: dict[str, Any] = {"endpoint": endpoint, "status": status, "code": code}
    if status == 401:
        return VoiceAuthError(text, **kwargs)
    if status == 429 and code in _QUOTA_CODES:
        return QuotaExceededError(text, **kwargs)
    if status == 429:
        return RateLimitError(text, **kwargs)
    if status >= 500:
        return VoiceServerError(text, **kwargs)
    return VoiceRequestError(text, **kwargs)


class AudioHTTPClient:
    """Calls the audio REST endpoints of ``base_url`` with one API key.

    Thread-safe: the pipeline's workers share it. Its connections are kept alive between
    requests (up to ``config.tts_concurrency + 1`` idle ones) until :meth:`close`; a request
    after ``close`` opens a new session.
    """

    def __init__(self, *, base_url: str, api_key: ApiKey, config: VoicePipelineConfig) -> None:
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._config = config
        self._lock = threading.Lock()
        self._session: requests.Session | None = None

    def __repr__(self) -> str:
        return f"AudioHTTPClient(base_url={self._base_url!r}, api_key={self._api_key!r})"

    def close(self) -> None:
        """Close the kept-alive connections (those still in use close when given back)."""
        with self._lock:
            session, self._session = self._session, None
        if session is not None:
            session.close()

    def __enter__(self) -> AudioHTTPClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _pooled(self) -> requests.Session:
        with self._lock:
            if self._session is None:
                self._session = pooled_session(maxsize=self._config.tts_concurrency + 1)
            return self._session

    def _request(
        self, endpoint: str, send: Send, token: CancelToken
    ) -> requests.Response:
        """Send with bounded retries; returns a 2xx response (streamed, tracked by ``token``).

        Each attempt's connection belongs to ``token`` while the request holds it, so
        cancelling interrupts it even while it waits for the answer's headers.
        """
        attempt = 0
        while True:
            attempt += 1
            token.check()
            try:
                with token.bind():
                    response = send(self._pooled())
            except requests.Timeout as exc:
                token.check()
                raise VoiceTimeoutError(
                    f"{endpoint} request timed out: {type(exc).__name__}", endpoint=endpoint
                ) from exc
            except requests.RequestException as exc:
                token.check()
                raise VoiceConnectionError(
                    f"{endpoint} request failed: {type(exc).__name__}", endpoint=endpoint
                ) from exc
            if response.ok:
                token.track(response)
                return response
            try:
                error = http_error(response, endpoint)
                wait = _retry_after(response)
            finally:
                response.close()
            retryable = isinstance(error, RateLimitError | VoiceServerError)
            if not retryable or attempt >= self._config.max_attempts:
                raise error
            cap = self._config.max_retry_wait_s
            delay = min(wait, cap) if wait is not None else backoff_delay(
                attempt, base_s=_RETRY_BASE_S, cap_s=cap, jitter=1.0)
            logger.warning(
                "%s: HTTP %s (%s), retrying in %.2fs (attempt %d of %d)",
                endpoint, error.status, error.code, delay, attempt + 1, self._config.max_attempts,
            )  # fmt: skip
            if token.wait(delay):
                token.check()

    def _timeouts(self) -> tuple[float, float]:
        return (self._config.connect_timeout_s, self._config.read_timeout_s)

    def transcribe(
        self,
        audio: AudioInput,
        settings: STTSettings,
        token: CancelToken,
        on_delta: Callable[[str], None] | None = None,
    ) -> str:
        """Transcribe one utterance; returns the text.

        With ``settings.stream`` the answer is read as server-sent events and ``on_delta`` is
        called with each transcript delta as it arrives.
        """
        endpoint = "transcriptions"
        data: dict[str, str] = {"model": settings.model}
        if settings.language is not None:
            data["language"] = settings.language
        if settings.prompt is not None:
            data["prompt"] = settings.prompt
        if settings.temperature is not None:
            data["temperature"] = repr(float(settings.temperature))
        if settings.stream:
            data["stream"] = "true"
        wav = audio.to_wav()

        def send(session: requests.Session) -> requests.Response:
            return session.post(
                f"{self._base_url}/audio/transcriptions",
                headers=auth_headers(self._api_key),
                data=data,
                files={"file": ("audio.wav", wav, "audio/wav")},
                timeout=self._timeouts(),
                verify=requests_verify(),
                stream=True,
            )

        response = self._request(endpoint, send, token)
        content_type = response.headers.get("Content-Type", "")
        if settings.stream and content_type.startswith("text/event-stream"):
            return self._read_transcript_events(response, token, on_delta)
        try:
            body = b"".join(self._chunks(response, endpoint, token))
        finally:
            token.untrack(response)
            response.close()
        try:
            text = json.loads(body)["text"]
        except (ValueError, KeyError, TypeError) as exc:
            raise VoiceConnectionError(
                f"transcription answer is not a JSON object with a text ({len(body)} bytes)",
                endpoint=endpoint,
                status=response.status_code,
            ) from exc
        if not isinstance(text, str):
            raise VoiceConnectionError("transcription text is not a string", endpoint=endpoint)
        return text

    def _read_transcript_events(
        self,
        response: requests.Response,
        token: CancelToken,
        on_delta: Callable[[str], None] | None,
    ) -> str:
        """Read a streamed transcription: deltas, then ``transcript.text.done``."""
        endpoint = "transcriptions"
        parser = SSEParser()
        try:
            for chunk in self._chunks(response, endpoint, token):
                for event in parser.feed(chunk):
                    kind = event.get("type")
                    if kind == "transcript.text.delta":
                        delta = event.get("delta")
                        if isinstance(delta, str) and delta and on_delta is not None:
                            on_delta(delta)
                    elif kind == "transcript.text.done":
                        text = event.get("text")
                        if not isinstance(text, str):
                            break
                        return text
                    elif kind == "error":
                        detail = event.get("error")
                        error = detail if isinstance(detail, dict) else {}
                        raise VoiceServerError(
                            f"transcription stream failed: {str(error.get('message'))[:300]}",
                            endpoint=endpoint,
                            status=response.status_code,
                            code=error.get("code") if isinstance(error.get("code"), str) else None,
                        )
                    else:
                        logger.debug("transcription stream: ignoring event type %r", kind)
        finally:
            token.untrack(response)
            response.close()
        raise VoiceConnectionError(
            "transcription stream ended without a transcript.text.done event with a text",
            endpoint=endpoint,
            status=response.status_code,
        )

    def speech(self, text: str, settings: TTSSettings, token: CancelToken) -> Iterator[bytes]:
        """Synthesise ``text``; yields 24 kHz mono PCM16 chunks as they arrive."""
        endpoint = "speech"
        body: dict[str, Any] = {
            "model": settings.model,
            "input": text,
            "voice": settings.voice,
            "response_format": "pcm",
        }
        if settings.instructions is not None:
            body["instructions"] = settings.instructions
        if settings.speed is not None:
            body["speed"] = settings.speed

        def send(session: requests.Session) -> requests.Response:
            return session.post(
                f"{self._base_url}/audio/speech",
                headers=auth_headers(self._api_key),
                json=body,
                timeout=self._timeouts(),
                verify=requests_verify(),
                stream=True,
            )

        response = self._request(endpoint, send, token)
        try:
            carry = b""
            for piece in self._chunks(response, endpoint, token):
                joined = carry + piece
                cut = len(joined) - (len(joined) % 2)
                carry = joined[cut:]
                if cut:
                    yield joined[:cut]
            if carry:
                logger.warning("speech answer had an odd length; dropping its last byte")
        finally:
            token.untrack(response)
            response.close()

    @staticmethod
    def _chunks(
        response: requests.Response, endpoint: str, token: CancelToken
    ) -> Iterator[bytes]:
        try:
            for chunk in response.iter_content(chunk_size=_CHUNK_BYTES):
                token.check()
                if chunk:
                    yield chunk
        except requests.Timeout as exc:
            token.check()
            raise VoiceTimeoutError(f"{endpoint} answer timed out", endpoint=endpoint) from exc
        except (requests.RequestException, OSError, AttributeError, ValueError) as exc:
            # A response closed by cancel() surfaces as one of these in the reading thread.
            token.check()
            raise VoiceConnectionError(
                f"{endpoint} answer was cut off: {type(exc).__name__}",
                endpoint=endpoint,
                status=response.status_code,
            ) from exc
        token.check()
