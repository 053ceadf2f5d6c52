"""Shared set-up of the examples: where they run (the embedded simulator or the real service),
the live skip rules, and the wrapper that turns an example's body into an exit code.

Every example is offline by default: it starts :class:`~realtime_actors.simulator.Simulator`
in-process. It runs LIVE against api.openai.com when an API key is found
(:func:`realtime_actors.resolve_api_key`) unless ``--offline`` is given, or always with
``--live``. ``--url``/``--rest-url`` point a live run at another endpoint (for instance a
simulator served by ``python -m realtime_actors.simulator``).

Live skip rules: an error classified as ``insufficient_quota``, or an upstream ``server_error``
that a minimal raw probe (:func:`realtime_actors.diagnostics.probe_text_turn`) reproduces, ends
the example with ``SKIPPED: <reason>`` and exit code 0.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pykka

import realtime_actors as rt
from realtime_actors.simulator import Scenario, Simulator

logger = logging.getLogger(__name__)

SIMULATOR_KEY = "sk-simulator-demo-key"
"""The key offline runs give the embedded simulator (it accepts any non-empty key)."""

LIVE_REST_URL = "https://api.openai.com/v1"
PROBE_TIMEOUT_S = 15.0
_EXIT_GRACE_S = 5.0
_OUTPUT_LOCK = threading.Lock()


def say(line: str) -> None:
    """Print one whole line, flushed; lines printed by several threads never interleave."""
    with _OUTPUT_LOCK:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class ExampleFailure(Exception):
    """The example could not do what it shows; its message is printed as ``FAILED: ...``."""


class SkipExample(Exception):
    """A live run hit a known skip condition; printed as ``SKIPPED: <reason>`` (exit 0)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@attrs.frozen(kw_only=True)
class Target:
    """Where an example runs: the realtime endpoint, the audio REST endpoint and the key."""

    live: bool
    model_config: rt.ModelConfig
    rest_url: str
    """Base URL of the audio REST API (``.../v1``) used by the voice pipeline."""
    rest_api_key: str | None = attrs.field(default=None, repr=False)
    """Key given to the voice pipeline; ``None`` resolves it from the environment."""
    simulator: Simulator | None = None
    timeout_s: float = 30.0
    """Upper bound of one turn."""


# ---------------------------------------------------------------------------- arguments
def parse_args(
    description: str, add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
) -> argparse.Namespace:
    """Common command-line options of every example (plus the example's own ones)."""
    parser = argparse.ArgumentParser(description=description)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--live", action="store_true",
                      help="talk to the real service (an API key is required)")
    mode.add_argument("--offline", action="store_true",
                      help="use the embedded simulator even when an API key is found")
    parser.add_argument("--out", type=Path, default=Path("demo-output"),
                        help="folder for the WAV files the example writes (default: %(default)s)")
    parser.add_argument("--url", default=None,
                        help="realtime WebSocket endpoint of a live run (default: OpenAI)")
    parser.add_argument("--rest-url", default=LIVE_REST_URL,
                        help="audio REST base URL of a live run (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds one turn may take (default: 30 offline, 90 live)")
    if add_arguments is not None:
        add_arguments(parser)
    return parser.parse_args()


def is_live(args: argparse.Namespace) -> bool:
    """Live when ``--live``, offline when ``--offline``, else live iff an API key is found."""
    if args.offline:
        return False
    try:
        key = rt.resolve_api_key()
    except rt.AuthError as err:
        if args.live:
            raise ExampleFailure(f"--live needs an API key: {err}") from err
        return False
    say(f"[mode] API key found in {key.source}; running live (use --offline for the simulator)")
    return True


@contextlib.contextmanager
def connect(args: argparse.Namespace, scenario: Scenario | None = None) -> Iterator[Target]:
    """The :class:`Target` of this run; offline, the simulator (started with ``scenario``)
    serves until the block ends."""
    if is_live(args):
        url = args.url or "wss://api.openai.com/v1/realtime"
        say(f"[mode] live: {url.split('?')[0]} (REST {args.rest_url})")
        yield Target(live=True, model_config=rt.ModelConfig(url=url), rest_url=args.rest_url,
                     timeout_s=args.timeout or 90.0)
        return
    with Simulator(scenario) as sim:
        say(f"[mode] offline: embedded simulator at {sim.ws_url} (REST {sim.http_url})")
        yield Target(
            live=False,
            model_config=rt.ModelConfig(url=sim.ws_url, api_key=SIMULATOR_KEY),
            rest_url=sim.http_url,
            rest_api_key=SIMULATOR_KEY,
            simulator=sim,
            timeout_s=args.timeout or 30.0,
        )


# ---------------------------------------------------------------------------- skip rules
def _classifiable(error: object) -> object:
    """What ``skip_reason_for_error`` is given: the voice pipeline's HTTP errors (which carry
    an OpenAI ``code`` and an HTTP ``status``) become a wire-shaped error dict."""
    code, status = getattr(error, "code", None), getattr(error, "status", None)
    if isinstance(error, BaseException) and (isinstance(code, str) or isinstance(status, int)):
        return {"type": type(error).__name__, "code": code, "message": str(error),
                "status": status}
    return error


class LiveGuard:
    """Applies the live skip rules to errors met while an example runs (thread-safe; the
    probe runs at most once per guard)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._lock = threading.Lock()
        self._probe_verdict: tuple[str | None] | None = None

    def check(self, error: object) -> None:
        """Raise :class:`SkipExample` when ``error`` (an ErrorEvent, an exception, a wire error
        dict) is a live skip condition; return otherwise (offline runs never skip)."""
        if not self.target.live:
            return
        from realtime_actors import diagnostics

        reason = diagnostics.skip_reason_for_error(_classifiable(error))
        if reason is None:
            return
        if reason.startswith(diagnostics.INSUFFICIENT_QUOTA):
            raise SkipExample(reason)
        if not reason.startswith(diagnostics.UPSTREAM_SERVER_ERROR):
            say(f"[live] {reason} is not a skip condition")
            return
        proven = self._probe()
        if proven is not None:
            raise SkipExample(proven)

    def _probe(self) -> str | None:
        """Run the minimal raw probe (once): the skip reason it proves, or None when the
        service answered it (the failure is then not proven to be upstream)."""
        from realtime_actors import diagnostics

        with self._lock:
            if self._probe_verdict is None:
                say("[live] upstream server_error: running the minimal realtime probe")
                proof = diagnostics.probe_text_turn(model_config=self.target.model_config,
                                                    timeout=PROBE_TIMEOUT_S)
                say(f"[probe] {diagnostics.format_probe_failure(proof)}")
                reason = None
                if not proof.ok and proof.error is not None:
                    reason = diagnostics.skip_reason_for_error(proof.error)
                proven_kinds = (diagnostics.UPSTREAM_SERVER_ERROR, diagnostics.INSUFFICIENT_QUOTA,
                                diagnostics.PROTOCOL_INCOMPATIBLE)
                if reason is not None and not reason.startswith(proven_kinds):
                    reason = None
                self._probe_verdict = (reason,)
            return self._probe_verdict[0]

    def fail(self, error: object, what: str) -> ExampleFailure:
        """Check ``error`` against the skip rules, then return the failure to raise."""
        self.check(error)
        return ExampleFailure(f"{what}: {describe_error(error)}")


def describe_error(error: object) -> str:
    """A one-line description of an ErrorEvent or an exception."""
    if isinstance(error, rt.ErrorEvent):
        return f"{error.source} error {error.code or error.type}: {error.message}"
    if isinstance(error, BaseException):
        return f"{type(error).__name__}: {error}"
    return repr(error)


# ---------------------------------------------------------------------------- running
def _report_leaks() -> None:
    """Make sure nothing keeps the process alive: warn about (and stop) leftover actors."""
    actors = pykka.ActorRegistry.get_all()
    if actors:
        say(f"WARNING: {len(actors)} actor(s) still running at exit; stopping them: "
              f"{[a.actor_class.__name__ for a in actors]}")
        pykka.ActorRegistry.stop_all(block=True, timeout=_EXIT_GRACE_S)
    for thread in threading.enumerate():
        if thread is threading.main_thread() or thread.daemon:
            continue
        thread.join(timeout=_EXIT_GRACE_S)
        if thread.is_alive():
            say(f"WARNING: thread {thread.name!r} is still running at exit")


def run_example(body: Callable[[argparse.Namespace], int], description: str,
                add_arguments: Callable[[argparse.ArgumentParser], None] | None = None) -> int:
    """Parse the arguments, run ``body(args)`` and map its outcome to an exit code:
    0 on success or SKIPPED, 1 on failure."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(description, add_arguments)
    try:
        code = body(args)
    except SkipExample as skip:
        say(f"SKIPPED: {skip.reason}")
        code = 0
    except (ExampleFailure, rt.RealtimeError, OSError, TimeoutError) as err:
        say(f"FAILED: {err if isinstance(err, ExampleFailure) else describe_error(err)}")
        code = 1
    finally:
        _report_leaks()
    sys.stdout.flush()
    return code


def summary(**counts: Any) -> str:
    """The last line of every example: ``SUMMARY: key=value ...``."""
    return "SUMMARY: " + " ".join(f"{key}={value}" for key, value in counts.items())
