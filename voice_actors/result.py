"""``VoiceResult``: the consumer side of one pipeline run."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Literal

from voice_actors.cancel import POLL_S, CancelToken
from voice_actors.errors import PipelineStoppedError, StreamTimeoutError, VoiceCancelledError
from voice_actors.events import (
    VoiceStreamEvent,
    VoiceStreamEventAudio,
    VoiceStreamEventError,
    VoiceStreamEventLifecycle,
    VoiceStreamEventTranscript,
)

logger = logging.getLogger(__name__)



class VoiceResult:
    """Events of one run, in order. Producers are the run's worker threads and the actor.

    The stream always ends: after ``session_ended`` (an error event comes just before it when
    the run failed), including when the pipeline actor stops or dies.
    """

    def __init__(self, *, is_alive: Callable[[], bool]) -> None:
        self._queue: queue.Queue[VoiceStreamEvent | None] = queue.Queue()  # None: the end
        self._lock = threading.Lock()
        self._closed = False
        self._is_alive = is_alive
        self._stopped = threading.Event()
        self.token = CancelToken()
        """Cancellation of the run's HTTP requests (used by the pipeline's workers)."""

    @property
    def finished(self) -> bool:
        """True once the run produced its last event."""
        with self._lock:
            return self._closed

    def emit(self, event: VoiceStreamEvent) -> bool:
        """Queue an event; returns False (and drops it) when the run already finished."""
        with self._lock:
            if self._closed:
                logger.debug("voice run already finished; dropping %s", type(event).__name__)
                return False
            self._queue.put(event)
            return True

    def audio(self, data: bytes) -> bool:
        """Queue an audio chunk."""
        return self.emit(VoiceStreamEventAudio(data=data))

    def lifecycle(self, name: Literal["turn_started", "turn_ended"]) -> bool:
        """Queue ``turn_started`` or ``turn_ended``."""
        return self.emit(VoiceStreamEventLifecycle(event=name))

    def transcript(self, text: str, *, final: bool) -> bool:
        """Queue a transcript (a delta, or a turn's final text)."""
        return self.emit(VoiceStreamEventTranscript(text=text, final=final))

    def mark_stopped(self) -> None:
        """Called by the pipeline when the run's worker thread has returned."""
        self._stopped.set()

    def wait_stopped(self, timeout: float) -> bool:
        """Wait until the run's worker has stopped: no request of the run is still open.

        The stream can end before that (``cancel()``, a timeout or a stopped pipeline end it at
        once). Returns False when the worker is still running after ``timeout`` seconds.
        """
        return self._stopped.wait(timeout)

    def finish(self, error: Exception | None = None) -> bool:
        """End the run: the error event (if any), then ``session_ended``. Later calls do nothing.

        Returns True when this call ended the run.
        """
        with self._lock:
            if self._closed:
                return False
            self._closed = True
            if error is not None:
                self._queue.put(VoiceStreamEventError(error=error))
            self._queue.put(VoiceStreamEventLifecycle(event="session_ended"))
            self._queue.put(None)
        return True

    def cancel(self) -> None:
        """Stop the run: end the stream with a :class:`VoiceCancelledError` event (then
        ``session_ended``) and interrupt its HTTP requests, including one still waiting for
        its answer's headers (see :meth:`wait_stopped`)."""
        self.token.cancel()
        self.finish(VoiceCancelledError("the run was cancelled"))

    def stream(self, timeout: float | None = None) -> Iterator[VoiceStreamEvent]:
        """Yield the events in order until ``session_ended``.

        ``timeout`` bounds the whole stream: when it runs out the run is cancelled and the
        stream ends with a :class:`StreamTimeoutError` event. When the pipeline actor is found
        dead the stream ends with a :class:`PipelineStoppedError` event.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = POLL_S
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.finish(StreamTimeoutError(f"no end of the voice run after {timeout}s"))
                    self.token.cancel()
                    wait = POLL_S
                else:
                    wait = min(wait, remaining)
            try:
                item = self._queue.get(timeout=wait)
            except queue.Empty:
                if not self._is_alive():
                    self.finish(PipelineStoppedError("the pipeline actor is not running"))
                continue
            if item is None:
                return
            yield item
