"""``PipelineActor``: the supervised pykka actor that owns the runs of one voice pipeline."""

from __future__ import annotations

import itertools
import logging
from typing import Any

import attrs

from realtime_actors.errors import ConfigError
from realtime_actors.runtime.tell import tell_if_alive
from realtime_actors.supervision import Supervised, SupervisionLink
from voice_actors.config import VoicePipelineConfig
from voice_actors.errors import PipelineCrashedError, PipelineStoppedError, WorkflowError
from voice_actors.http_client import AudioHTTPClient
from voice_actors.input import AudioInput
from voice_actors.result import VoiceResult
from voice_actors.runner import RunWorker
from voice_actors.streamed_input import StreamedAudioInput
from voice_actors.worker_threads import WorkerTask, WorkerThreads
from voice_actors.workflow import VoiceWorkflowBase

logger = logging.getLogger(__name__)

_JOIN_S = 5.0


@attrs.define
class PipelineState:
    """What outlives one incarnation of a supervised :class:`PipelineActor`."""

    greeted: bool = False
    """The greeting turn was spoken (a restart does not greet again)."""
    incarnations: int = 0
    run_ids: itertools.count[int] = attrs.field(factory=itertools.count)


@attrs.frozen(kw_only=True)
class StartRun:
    """Ask a :class:`PipelineActor` to start a run; the answer is its :class:`VoiceResult`."""

    audio: AudioInput | StreamedAudioInput


@attrs.frozen
class _RunFinished:
    run_id: int
    error: Exception | None


class PipelineActor(Supervised):
    """Owns the runs of one pipeline. Each run works on a worker thread of the actor's
    :class:`~voice_actors.worker_threads.WorkerThreads` (reused by later runs and turns); the
    actor only starts runs, forgets finished ones and, when it stops or crashes, cancels and
    ends the rest.

    Every run's stream ends: when this actor stops or crashes (its ``teardown``) each unfinished
    run gets a :class:`PipelineStoppedError` event, then ``session_ended``. The workflow is
    closed on every exit and the HTTP client's kept-alive connections too; a restarted
    incarnation reuses both (they acquire resources again).
    """

    def __init__(
        self,
        *,
        workflow: VoiceWorkflowBase,
        config: VoicePipelineConfig,
        client: AudioHTTPClient,
        state: PipelineState | None = None,
        link: SupervisionLink | None = None,
    ) -> None:
        super().__init__(link=link)
        self._workflow = workflow
        self._config = config
        self._client = client
        self._state = state if state is not None else PipelineState()
        self._runs: dict[int, tuple[VoiceResult, WorkerTask]] = {}
        self._workers = WorkerThreads(name="voice-worker")
        self._crash: str | None = None

    def setup(self) -> None:
        """Count the incarnation; log a restart."""
        if self._state.incarnations:
            logger.warning("voice pipeline actor restarted (generation %d)", self.generation)
        self._state.incarnations += 1

    def run(self, audio: AudioInput | StreamedAudioInput) -> VoiceResult:
        """Start a run (one utterance, or multi-turn streamed input); returns its result at once.

        The first run of the pipeline starts with the workflow's greeting turn (if any).
        """
        if not isinstance(audio, AudioInput | StreamedAudioInput):
            raise ConfigError(
                f"run() needs an AudioInput or StreamedAudioInput, got {type(audio).__name__}"
            )
        ref = self.actor_ref
        result = VoiceResult(is_alive=ref.is_alive)
        run_id = next(self._state.run_ids)
        worker = RunWorker(
            client=self._client,
            workflow=self._workflow,
            config=self._config,
            result=result,
            workers=self._workers,
        )
        greet, self._state.greeted = not self._state.greeted, True

        def target() -> None:
            error: Exception | None = None
            try:
                if isinstance(audio, StreamedAudioInput):
                    error = worker.run_streamed(audio, greet=greet)
                else:
                    error = worker.run_single(audio, greet=greet)
            finally:
                result.mark_stopped()
                tell_if_alive(ref, _RunFinished(run_id, error), logger,
                              "voice run %d ended after its pipeline actor", run_id)

        self._runs[run_id] = (result, self._workers.start(target, name=f"voice-run-{run_id}"))
        return result

    def on_receive(self, message: Any) -> Any:
        """Start runs (:class:`StartRun`) and handle a run worker's end-of-run notice."""
        if isinstance(message, StartRun):
            return self.run(message.audio)
        if isinstance(message, _RunFinished):
            entry = self._runs.pop(message.run_id, None)
            if entry is not None:
                entry[1].join(timeout=_JOIN_S)
            self._after_run(message.error)
            return None
        logger.warning("PipelineActor: ignoring unknown message %s", type(message).__name__)
        return None

    def _after_run(self, error: Exception | None) -> None:
        if error is None:
            self.report_healthy()
        elif isinstance(error, WorkflowError) and self._config.crash_on_workflow_error:
            self._crash = f"the workflow failed ({error})"
            # Raised while handling a tell: pykka calls on_failure, the supervisor restarts us.
            raise PipelineCrashedError(f"crashing the pipeline actor: {self._crash}") from error

    def teardown(self) -> None:
        """End every unfinished run's stream with an error, then close the workflow, the worker
        threads and the HTTP client's connections."""
        if self._crash is not None:
            reason = f"the pipeline actor crashed: {self._crash}"
        else:
            reason = "the pipeline stopped before the run finished"
        runs, self._runs = list(self._runs.values()), {}
        if runs:
            logger.info("voice pipeline actor ending %d unfinished run(s)", len(runs))
        for result, _ in runs:
            result.finish(PipelineStoppedError(reason))
            result.token.cancel()
        for _, task in runs:
            if not task.join(timeout=_JOIN_S):
                logger.warning("voice run %s did not stop in time", task.name)
        try:
            self._workflow.close()
        except Exception:
            logger.exception("workflow.close() failed")
        self._workers.shutdown(timeout=_JOIN_S)
        self._client.close()
