"""``TurnSpeech``: synthesises the sentences of one turn and plays their audio in text order.

Sentences start in text order, at most ``limit`` at a time, each on a worker thread of the
pipeline (which then takes the turn's next waiting sentence). The turn's first sentence runs
alone until its first audio arrives: the other requests would compete with it, on the client
(threads sharing the GIL) and possibly on the server, on the way to the turn's first audio,
while their own audio is needed only once the first sentence has been played.

The thread synthesising the sentence being played emits its audio itself (no hand-off to
another thread); a later sentence keeps its audio until its turn comes, and the thread that
ends the sentence being played emits what the next one has kept.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator

from voice_actors.cancel import POLL_S, CancelToken
from voice_actors.errors import PipelineStoppedError, VoiceError
from voice_actors.worker_threads import WorkerShutdownError, WorkerThreads

logger = logging.getLogger(__name__)

Synthesise = Callable[[str], Iterator[bytes]]
"""Streams the audio of one sentence (raises a ``VoiceError`` when the request fails)."""


class _Sentence:
    """One sentence of the turn: its text, then the audio not emitted yet and how it ended."""

    def __init__(self, text: str, index: int) -> None:
        self.text = text
        self.index = index
        self.kept: list[bytes] = []
        self.done = False
        self.error: Exception | None = None


class TurnSpeech:
    """The spoken reply of one turn (see the module docstring).

    The producer calls :meth:`add` per sentence and then :meth:`end`; the run's thread calls
    :meth:`wait`, then :meth:`close`.
    """

    def __init__(
        self,
        *,
        workers: WorkerThreads,
        limit: int,
        synthesise: Synthesise,
        emit: Callable[[bytes], object],
    ) -> None:
        self._workers = workers
        self._full_limit = limit
        self._limit = 1  # until the first sentence's audio arrives
        self._synthesise = synthesise
        self._emit = emit
        self._cond = threading.Condition()
        self._sentences: list[_Sentence] = []
        self._head = 0
        self._waiting: deque[_Sentence] = deque()
        self._running = 0
        self._ended = False
        self._closed = False

    def add(self, text: str) -> None:
        """Synthesise one more sentence (now, or once a running one is done)."""
        with self._cond:
            if self._closed or self._ended:
                return
            sentence = _Sentence(text, len(self._sentences))
            self._sentences.append(sentence)
            if self._running >= self._limit:
                self._waiting.append(sentence)
                return
            self._running += 1
        self._start(sentence)

    def end(self, error: Exception | None = None) -> None:
        """No more sentences; ``error`` (when given) fails the turn once the sentences before
        it are played."""
        with self._cond:
            if self._ended:
                return
            self._ended = True
            if error is not None:
                failed = _Sentence("", len(self._sentences))
                failed.done, failed.error = True, error
                self._sentences.append(failed)
            self._advance()
            self._wake_waiter()

    def wait(self, token: CancelToken) -> None:
        """Block until every sentence is played; raise the first error met in text order,
        or ``VoiceCancelledError`` once ``token`` is cancelled."""
        with self._cond:
            while not self._settled():
                self._cond.wait(POLL_S)
                token.check()
            if self._head < len(self._sentences):
                error = self._sentences[self._head].error
                assert error is not None
                raise error

    def close(self, timeout: float) -> bool:
        """Drop the sentences not started yet and wait for the running ones to end; False
        when some still run after ``timeout`` seconds."""
        with self._cond:
            self._closed = True
            self._waiting.clear()
            return self._cond.wait_for(lambda: self._running == 0, timeout=timeout)

    # -- worker side ------------------------------------------------------------------------

    def _start(self, sentence: _Sentence) -> None:
        try:
            self._workers.start(lambda: self._run(sentence), name="voice-tts")
        except WorkerShutdownError as exc:
            error = PipelineStoppedError("the pipeline stopped before the speech was made")
            error.__cause__ = exc
            failed: _Sentence | None = sentence
            while failed is not None:
                self._finish(failed, error)
                failed = self._next()

    def _run(self, sentence: _Sentence | None) -> None:
        while sentence is not None:
            try:
                self._speak(sentence)
            finally:
                sentence = self._next()

    def _speak(self, sentence: _Sentence) -> None:
        error: Exception | None = None
        try:
            for chunk in self._synthesise(sentence.text):
                self._chunk(sentence, chunk)
        except Exception as exc:
            error = exc
        except BaseException as exc:  # never leave the turn waiting for this sentence
            logger.warning("voice TTS request raised %s", type(exc).__name__)
            error = VoiceError(f"speech synthesis raised {type(exc).__name__}")
            error.__cause__ = exc
        self._finish(sentence, error)

    def _chunk(self, sentence: _Sentence, chunk: bytes) -> None:
        with self._cond:
            if sentence.index == self._head:
                self._emit(chunk)
            else:
                sentence.kept.append(chunk)
        if self._limit < self._full_limit:
            self._open_up()

    def _finish(self, sentence: _Sentence, error: Exception | None) -> None:
        with self._cond:
            sentence.done, sentence.error = True, error
            self._advance()
            self._wake_waiter()
        if self._limit < self._full_limit:
            self._open_up()

    def _advance(self) -> None:
        """Emit what the sentence now being played has kept; move past finished ones.
        Called with the lock held."""
        while self._head < len(self._sentences):
            sentence = self._sentences[self._head]
            kept, sentence.kept = sentence.kept, []
            for chunk in kept:
                self._emit(chunk)
            if sentence.error is not None or not sentence.done:
                return
            self._head += 1

    def _settled(self) -> bool:
        """Every sentence is played, or the one to play next failed. Lock held."""
        if self._head < len(self._sentences):
            return self._sentences[self._head].error is not None
        return self._ended

    def _wake_waiter(self) -> None:
        """Wake :meth:`wait` only when it can return (each needless wake-up is a thread
        switch competing with the audio's way to the consumer). Lock held."""
        if self._settled():
            self._cond.notify_all()

    def _open_up(self) -> None:
        """The first sentence has audio (or ended): start waiting sentences up to the limit."""
        with self._cond:
            if self._limit >= self._full_limit:
                return
            self._limit = self._full_limit
            starting: list[_Sentence] = []
            while self._waiting and not self._closed and self._running < self._limit:
                starting.append(self._waiting.popleft())
                self._running += 1
        for sentence in starting:
            self._start(sentence)

    def _next(self) -> _Sentence | None:
        with self._cond:
            if self._waiting and not self._closed:
                return self._waiting.popleft()
            self._running -= 1
            if self._running == 0 and self._closed:
                self._cond.notify_all()  # close() waits for this
            return None
