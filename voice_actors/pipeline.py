"""``PipelineActor`` (pykka) and its handle ``Pipeline``: start runs, stop cleanly."""

from __future__ import annotations

import itertools
import logging
import threading
from typing import Any

import attrs
import pykka

from realtime_actors.auth import ApiKey, resolve_api_key
from realtime_actors.errors import ConfigError
from voice_actors.config import DEFAULT_BASE_URL, VoicePipelineConfig
from voice_actors.errors import PipelineStoppedError
from voice_actors.http_client import AudioHTTPClient
from voice_actors.input import AudioInput
from voice_actors.result import VoiceResult
from voice_actors.runner import RunWorker
from voice_actors.streamed_input import StreamedAudioInput
from voice_actors.workflow import VoiceWorkflowBase

logger = logging.getLogger(__name__)

_JOIN_S = 5.0


@attrs.frozen
class _RunFinished:
    run_id: int


class PipelineActor(pykka.ThreadingActor):
    """Owns the runs of one pipeline. Each run works in its own thread; the actor only starts
    runs, forgets finished ones and, when it stops or fails, cancels and ends the rest."""

    def __init__(
        self, *, workflow: VoiceWorkflowBase, config: VoicePipelineConfig, client: AudioHTTPClient
    ) -> None:
        super().__init__()
        self._workflow = workflow
        self._config = config
        self._client = client
        self._ids = itertools.count()
        self._runs: dict[int, tuple[VoiceResult, threading.Thread]] = {}
        self._greeted = False

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
        run_id = next(self._ids)
        worker = RunWorker(
            client=self._client, workflow=self._workflow, config=self._config, result=result
        )

        greet, self._greeted = not self._greeted, True

        def target() -> None:
            try:
                if isinstance(audio, StreamedAudioInput):
                    worker.run_streamed(audio, greet=greet)
                else:
                    worker.run_single(audio, greet=greet)
            finally:
                try:
                    ref.tell(_RunFinished(run_id))
                except pykka.ActorDeadError:
                    pass  # the actor is stopping and joins this thread itself

        thread = threading.Thread(target=target, name=f"voice-run-{run_id}", daemon=True)
        self._runs[run_id] = (result, thread)
        thread.start()
        return result

    def active_runs(self) -> int:
        """How many runs have not finished yet."""
        return len(self._runs)

    def on_receive(self, message: Any) -> Any:
        """Handle a run worker's end-of-run notice."""
        if isinstance(message, _RunFinished):
            entry = self._runs.pop(message.run_id, None)
            if entry is not None:
                entry[1].join(timeout=_JOIN_S)
            return None
        logger.warning("PipelineActor: ignoring unknown message %s", type(message).__name__)
        return None

    def _end_runs(self, reason: str) -> None:
        runs, self._runs = list(self._runs.values()), {}
        for result, _ in runs:
            result.finish(PipelineStoppedError(reason))
            result.token.cancel()
        for _, thread in runs:
            thread.join(timeout=_JOIN_S)
            if thread.is_alive():
                logger.warning("voice run thread %s did not stop in time", thread.name)
        try:
            self._workflow.close()
        except Exception:
            logger.exception("workflow.close() failed")

    def on_stop(self) -> None:
        """Cancel unfinished runs and end their streams."""
        self._end_runs("the pipeline was stopped before the run finished")

    def on_failure(self, *args: Any) -> None:
        """End every run's stream with an error when the actor crashes."""
        logger.error("PipelineActor failed; ending %d run(s)", len(self._runs))
        self._end_runs("the pipeline actor failed")


class Pipeline:
    """Handle of a running :class:`PipelineActor` (``Pipeline.start(...)``)."""

    def __init__(self, actor_ref: pykka.ActorRef[PipelineActor]) -> None:
        self.actor_ref = actor_ref

    @classmethod
    def start(
        cls,
        *,
        workflow: VoiceWorkflowBase,
        config: VoicePipelineConfig | None = None,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | ApiKey | None = None,
    ) -> Pipeline:
        """Start the actor. The API key is resolved now (``AuthError`` when none is found)."""
        if not isinstance(workflow, VoiceWorkflowBase):
            raise ConfigError(
                f"workflow must be a VoiceWorkflowBase, got {type(workflow).__name__}"
            )
        config = VoicePipelineConfig() if config is None else config
        if not isinstance(config, VoicePipelineConfig):
            raise ConfigError(f"config must be a VoicePipelineConfig, got {type(config).__name__}")
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"base_url must be an http(s) URL, got {base_url!r}")
        client = AudioHTTPClient(base_url=base_url, api_key=resolve_api_key(api_key), config=config)
        ref = PipelineActor.start(workflow=workflow, config=config, client=client)
        return cls(ref)

    @property
    def is_alive(self) -> bool:
        """True while the actor runs."""
        return self.actor_ref.is_alive()

    def run(self, audio: AudioInput | StreamedAudioInput, *, timeout: float = 10.0) -> VoiceResult:
        """Start a run; events come from ``result.stream()``."""
        try:
            return self.actor_ref.proxy().run(audio).get(timeout=timeout)
        except pykka.ActorDeadError as exc:
            raise PipelineStoppedError("the pipeline is not running") from exc

    def stop(self, *, timeout: float = 15.0) -> None:
        """Stop the actor: unfinished runs are cancelled; returns when its threads are gone."""
        try:
            self.actor_ref.stop(block=True, timeout=timeout)
        except pykka.ActorDeadError:
            logger.debug("pipeline already stopped")

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
