"""The body of one pipeline run, executed in a worker thread (never in the actor's loop).

STT -> workflow -> TTS: the workflow's text is split into sentences by a producer task and
each sentence is synthesised and played in order by :class:`~voice_actors.turn_speech.
TurnSpeech` while the run's thread waits for the turn to end. Every task runs on the pipeline's
reused :class:`~voice_actors.worker_threads.WorkerThreads`, so a turn starts no thread.
"""

from __future__ import annotations

import functools
import logging
import queue
from collections.abc import Callable, Iterable, Iterator

from voice_actors.cancel import POLL_S
from voice_actors.config import VoicePipelineConfig
from voice_actors.errors import VoiceCancelledError, VoiceError, WorkflowError
from voice_actors.http_client import AudioHTTPClient
from voice_actors.input import AudioInput
from voice_actors.result import VoiceResult
from voice_actors.streamed_input import EnergyVAD, StreamedAudioInput
from voice_actors.text_split import SentenceSplitter
from voice_actors.turn_speech import TurnSpeech
from voice_actors.worker_threads import WorkerThreads
from voice_actors.workflow import VoiceWorkflowBase

logger = logging.getLogger(__name__)

_DONE = object()
_JOIN_S = 5.0

Reply = Callable[[], Iterable[str]]
"""Produces a turn's reply text (called in the workflow producer thread)."""


class RunWorker:
    """Runs the turns of one run and reports into its :class:`VoiceResult`."""

    def __init__(
        self,
        *,
        client: AudioHTTPClient,
        workflow: VoiceWorkflowBase,
        config: VoicePipelineConfig,
        result: VoiceResult,
        workers: WorkerThreads,
    ) -> None:
        self._client = client
        self._workflow = workflow
        self._config = config
        self._result = result
        self._token = result.token
        self._workers = workers

    def run_single(self, audio: AudioInput, *, greet: bool = False) -> Exception | None:
        """Task for one utterance: (greeting turn,) transcribe, answer, speak.

        Always finishes the result (with the error when one happened) and returns that error.
        """
        error: Exception | None = None
        try:
            if greet:
                self.greeting_turn()
            transcript = self._transcribe(audio)
            logger.info("voice run: transcript of %d chars", len(transcript))
            self.turn(lambda: self._workflow.run(transcript), transcript=transcript)
        except Exception as exc:
            error = self._error(exc)
        self._result.finish(error)
        return error

    def run_streamed(self, audio: StreamedAudioInput, *, greet: bool = False) -> Exception | None:
        """Task for multi-turn input: (greeting turn,) then one turn per utterance.

        A capture task cuts the input into utterances and transcribes them while this thread
        speaks the replies, so the next turn is captured while the previous one is answered.
        Always finishes the result and returns the error that ended the run, if any.
        """
        transcripts: queue.Queue[object] = queue.Queue()
        capture = self._workers.start(
            lambda: self._capture(audio, transcripts), name="voice-capture"
        )
        error: Exception | None = None
        try:
            if greet:
                self.greeting_turn()
            while True:
                item = self._get(transcripts)
                if item is _DONE:
                    break
                if isinstance(item, Exception):
                    raise item
                assert isinstance(item, str)
                self.turn(functools.partial(self._workflow.run, item), transcript=item)
        except Exception as exc:
            error = self._error(exc)
            self._token.cancel()  # stops the capture thread and its request
        finally:
            if not capture.join(timeout=_JOIN_S):
                logger.warning("voice capture task still running after the run ended")
        self._result.finish(error)
        return error

    def _capture(self, audio: StreamedAudioInput, transcripts: queue.Queue[object]) -> None:
        """Read the input, cut utterances with the VAD, queue their non-empty transcripts."""
        try:
            vad = EnergyVAD(audio.vad)
            while True:
                self._token.check()
                chunk = audio.get(timeout=POLL_S)
                if chunk is None:
                    break
                for utterance in vad.feed(chunk):
                    self._queue_transcript(AudioInput(pcm=utterance), transcripts)
            rest = vad.flush()
            if rest is not None:
                self._queue_transcript(AudioInput(pcm=rest), transcripts)
        except Exception as exc:
            transcripts.put(exc)
        finally:
            transcripts.put(_DONE)

    def _queue_transcript(self, utterance: AudioInput, transcripts: queue.Queue[object]) -> None:
        transcript = self._transcribe(utterance)
        if not transcript.strip():
            logger.info("voice run: empty transcript of %.0f ms; no turn", utterance.duration_ms)
            return
        transcripts.put(transcript)

    def _transcribe(self, utterance: AudioInput) -> str:
        on_delta = None
        if self._config.emit_transcripts:

            def on_delta(delta: str) -> None:
                self._result.transcript(delta, final=False)

        return self._client.transcribe(
            utterance, self._config.stt_settings, self._token, on_delta=on_delta
        )

    @staticmethod
    def _error(exc: Exception) -> Exception:
        """Log how a run failed; return the error for the stream."""
        if isinstance(exc, VoiceCancelledError):
            return exc
        if isinstance(exc, VoiceError):
            logger.warning("voice run ended with %s: %s", type(exc).__name__, exc)
        else:
            logger.exception("voice run failed unexpectedly")
        return exc

    def greeting_turn(self) -> None:
        """Speak ``workflow.on_start()`` as its own turn, unless it yields no text."""
        try:
            greeting = list(self._workflow.on_start())
        except Exception as exc:
            raise WorkflowError(f"workflow.on_start() raised {type(exc).__name__}: {exc}") from exc
        if any(isinstance(t, str) and t.strip() for t in greeting):
            self.turn(lambda: greeting)

    def turn(self, reply: Reply, *, transcript: str | None = None) -> None:
        """One turn: ``turn_started``, (the final transcript,) the spoken reply, ``turn_ended``.

        ``reply`` is a zero-argument callable returning the workflow's iterable of strings
        (called in the producer task, so a slow workflow does not delay playback).
        """
        self._token.check()
        self._result.lifecycle("turn_started")
        if transcript is not None and self._config.emit_transcripts:
            self._result.transcript(transcript, final=True)
        self._speak(reply)
        self._token.check()
        self._result.lifecycle("turn_ended")

    def _speak(self, reply: Reply) -> None:
        speech = TurnSpeech(
            workers=self._workers,
            limit=self._config.tts_concurrency,
            synthesise=self._synthesise,
            emit=self._result.audio,
        )
        producer = self._workers.start(lambda: self._produce(reply, speech), name="voice-workflow")
        try:
            speech.wait(self._token)
        except BaseException:
            self._token.cancel()
            raise
        finally:
            if not producer.join(timeout=_JOIN_S):
                logger.warning("voice workflow task still running after the turn ended")
            # Requests still running end at once when the turn failed (the token is
            # cancelled), else within the read timeout.
            if not speech.close(timeout=self._config.read_timeout_s + _JOIN_S):
                logger.warning("voice TTS requests still running after the turn ended")

    def _produce(self, reply: Reply, speech: TurnSpeech) -> None:
        splitter = SentenceSplitter(self._config.tts_settings.min_sentence_chars)
        failure: Exception | None = None
        try:
            texts = reply()
            if isinstance(texts, str) or not isinstance(texts, Iterable):
                raise WorkflowError(
                    f"a workflow must return an iterable of strings, got {type(texts).__name__}"
                )
            for fragment in texts:
                if self._token.cancelled:
                    return
                if not isinstance(fragment, str):
                    raise WorkflowError(
                        f"a workflow yielded a {type(fragment).__name__}, not a str"
                    )
                for sentence in splitter.feed(fragment):
                    speech.add(sentence)
            rest = splitter.flush()
            if rest is not None:
                speech.add(rest)
        except BaseException as exc:  # SystemExit & co. from a workflow must not end the turn
            if isinstance(exc, VoiceError):
                failure = exc
            else:
                logger.warning("voice workflow raised %s", type(exc).__name__)
                failure = WorkflowError(f"the workflow raised {type(exc).__name__}: {exc}")
                failure.__cause__ = exc
        finally:
            speech.end(failure)

    def _synthesise(self, text: str) -> Iterator[bytes]:
        return self._client.speech(text, self._config.tts_settings, self._token)

    def _get(self, q: queue.Queue[object]) -> object:
        while True:
            try:
                return q.get(timeout=POLL_S)
            except queue.Empty:
                self._token.check()
