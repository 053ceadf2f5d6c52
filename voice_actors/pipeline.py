"""``Pipeline``: the user's handle of a supervised :class:`PipelineActor`.

``Pipeline.start(...)`` starts a small supervisor with the pipeline actor as its only child, so
a crashed actor is restarted; the handle talks to the child through its stable
:class:`~realtime_actors.supervision.Address` and keeps working across restarts.
:func:`pipeline_child_spec` and :meth:`Pipeline.attach` put a pipeline into a supervision tree
of your own.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pykka

from realtime_actors.errors import ConfigError
from realtime_actors.supervision import (
    Address,
    BackoffPolicy,
    ChildSpec,
    ChildState,
    ChildStoppedError,
    Restart,
    RestartName,
    SupervisorHandle,
)
from realtime_actors.transport.auth import ApiKey, resolve_api_key
from voice_actors.config import DEFAULT_BASE_URL, VoicePipelineConfig
from voice_actors.errors import PipelineStoppedError, PipelineUnavailableError
from voice_actors.http_client import AudioHTTPClient
from voice_actors.input import AudioInput
from voice_actors.pipeline_actor import PipelineActor, PipelineState, StartRun
from voice_actors.result import VoiceResult
from voice_actors.streamed_input import StreamedAudioInput
from voice_actors.workflow import VoiceWorkflowBase

logger = logging.getLogger(__name__)

DEFAULT_CHILD_ID = "voice_pipeline"
_SHUTDOWN_S = 20.0
"""Time a stopping pipeline actor gets (it joins its run threads, 5 s each at most)."""


def pipeline_child_spec(
    child_id: str = DEFAULT_CHILD_ID,
    *,
    workflow: VoiceWorkflowBase,
    config: VoicePipelineConfig | None = None,
    base_url: str = DEFAULT_BASE_URL,
    api_key: str | ApiKey | None = None,
    restart: Restart | RestartName = Restart.PERMANENT,
) -> ChildSpec:
    """A :class:`~realtime_actors.supervision.ChildSpec` that runs a :class:`PipelineActor`.

    Checks the arguments and resolves the API key now (``AuthError`` when none is found).
    Every incarnation shares the workflow, the HTTP client and the "greeted" flag.
    """
    if not isinstance(workflow, VoiceWorkflowBase):
        raise ConfigError(f"workflow must be a VoiceWorkflowBase, got {type(workflow).__name__}")
    config = VoicePipelineConfig() if config is None else config
    if not isinstance(config, VoicePipelineConfig):
        raise ConfigError(f"config must be a VoicePipelineConfig, got {type(config).__name__}")
    if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"base_url must be an http(s) URL, got {base_url!r}")
    client = AudioHTTPClient(base_url=base_url, api_key=resolve_api_key(api_key), config=config)
    return ChildSpec(
        id=child_id,
        actor_class=PipelineActor,
        kwargs={"workflow": workflow, "config": config, "client": client, "state": PipelineState()},
        restart=restart,
        shutdown_timeout_s=_SHUTDOWN_S,
    )


class Pipeline:
    """Handle of a supervised :class:`PipelineActor`; survives the actor's restarts."""

    def __init__(self, address: Address, *, supervisor: SupervisorHandle | None = None) -> None:
        self._address = address
        self._supervisor = supervisor

    @classmethod
    def start(
        cls,
        *,
        workflow: VoiceWorkflowBase,
        config: VoicePipelineConfig | None = None,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | ApiKey | None = None,
        max_restarts: int = 3,
        max_seconds: float = 5.0,
        backoff: BackoffPolicy | None = None,
    ) -> Pipeline:
        """Start the pipeline actor under its own supervisor.

        A crash restarts the actor; more than ``max_restarts`` crashes within ``max_seconds``
        stop the pipeline for good (later runs raise :class:`PipelineStoppedError`). The API
        key is resolved now (``AuthError`` when none is found).
        """
        spec = pipeline_child_spec(
            workflow=workflow, config=config, base_url=base_url, api_key=api_key
        )
        supervisor = SupervisorHandle.start(
            [spec],
            max_restarts=max_restarts,
            max_seconds=max_seconds,
            backoff=backoff,
            name="voice-pipeline-supervisor",
        )
        return cls(supervisor.address(spec.id), supervisor=supervisor)

    @classmethod
    def attach(cls, address: Address) -> Pipeline:
        """A handle on a pipeline child of your own supervisor (see :func:`pipeline_child_spec`).

        Such a handle cannot :meth:`stop` the pipeline: stop your supervisor instead.
        """
        if not isinstance(address, Address):
            raise ConfigError(f"attach() needs an Address, got {type(address).__name__}")
        return cls(address)

    @property
    def address(self) -> Address:
        """The stable address of the pipeline actor."""
        return self._address

    @property
    def actor_ref(self) -> pykka.ActorRef[Any]:
        """The current incarnation's ref (``ChildUnavailableError`` while there is none)."""
        return self._address.current()

    @property
    def generation(self) -> int:
        """Incarnation number of the pipeline actor: 1, then one more per restart."""
        return self._address.generation

    @property
    def is_alive(self) -> bool:
        """True until the pipeline is stopped for good (also while its actor restarts)."""
        return self._address.state is not ChildState.STOPPED

    def run(self, audio: AudioInput | StreamedAudioInput, *, timeout: float = 10.0) -> VoiceResult:
        """Start a run; events come from ``result.stream()``.

        While the actor restarts, waits (at most ``timeout`` seconds) for the next incarnation.
        Raises :class:`PipelineStoppedError` once the pipeline is stopped for good and
        :class:`PipelineUnavailableError` when no incarnation accepted the run in time.
        """
        if not isinstance(audio, AudioInput | StreamedAudioInput):
            raise ConfigError(
                f"run() needs an AudioInput or StreamedAudioInput, got {type(audio).__name__}"
            )
        deadline = time.monotonic() + timeout
        while True:
            generation = self._address.generation
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise pykka.Timeout(f"{timeout} seconds")
                try:
                    result: VoiceResult = self._address.ask(StartRun(audio=audio),
                                                            timeout=remaining)
                    return result
                except ChildStoppedError:
                    raise
                except pykka.ActorDeadError:
                    # Restarting, or died before answering: wait for a newer incarnation.
                    self._address.wait_running(
                        timeout=max(0.0, deadline - time.monotonic()),
                        after_generation=generation,
                    )
            except ChildStoppedError as exc:
                raise PipelineStoppedError("the pipeline is stopped") from exc
            except pykka.Timeout as exc:
                raise PipelineUnavailableError(
                    f"the pipeline did not accept the run within {timeout}s"
                ) from exc

    def stop(self, *, timeout: float = 30.0) -> None:
        """Stop the pipeline and its supervisor; unfinished runs end with
        :class:`PipelineStoppedError`. Returns when the actor's threads are gone."""
        if self._supervisor is None:
            raise ConfigError(
                "this Pipeline is attached to a child of your own supervisor; stop that one"
            )
        try:
            stopped = self._supervisor.stop(timeout=timeout)
        except pykka.Timeout as exc:
            raise PipelineUnavailableError(f"the pipeline did not stop within {timeout}s") from exc
        if not stopped:
            logger.debug("voice pipeline supervisor was already stopped")

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<Pipeline {self._address!r}>"
