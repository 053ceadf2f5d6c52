"""The :class:`Simulator` facade: the Realtime WebSocket server plus the audio REST server."""

from __future__ import annotations

import copy
import logging
import signal
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from .errors import SimulatorError
from .realtime_server import RealtimeServer
from .records import ConnectionRecord
from .rest_server import RestServer
from .scenario import Scenario
from .serving import serve

logger = logging.getLogger(__name__)


class Simulator:
    """An embedded, scripted stand-in for the OpenAI Realtime API (GA) and audio REST API.

    ``with Simulator(Scenario(...)) as sim:`` serves ``sim.ws_url`` and ``sim.http_url`` on
    127.0.0.1 from background threads until the block ends; :meth:`serve` runs it in the
    foreground until stopped or signalled.
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        http_port: int = 0,
    ) -> None:
        self._scenario = scenario if scenario is not None else Scenario()
        self.host = host
        self._realtime = RealtimeServer(lambda: self._scenario, host, port)
        self._rest = RestServer(lambda: self._scenario, host, http_port)
        self._running = False
        self._stopped = False
        self._lifecycle = threading.Lock()
        self._stopped_event = threading.Event()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Simulator:
        """Start both servers (idempotent while running); returns self.

        A stopped simulator cannot be started again (raises ``SimulatorError``).
        """
        with self._lifecycle:
            if self._running:
                return self
            if self._stopped:
                raise SimulatorError("a stopped Simulator cannot be restarted; create a new one")
            self._realtime.start()
            try:
                self._rest.start()
            except BaseException:
                self._realtime.stop()
                raise
            self._running = True
        logger.info("simulator serving %s", self._realtime.url)
        return self

    def stop(self) -> None:
        """Close every connection and join every thread (idempotent, thread-safe); ends
        :meth:`serve`."""
        with self._lifecycle:
            if not self._running:
                return
            try:
                self._realtime.stop()
            finally:
                self._rest.stop()
                self._running = False
                self._stopped = True
                self._stopped_event.set()
        logger.info("simulator stopped")

    def wait_stopped(self, timeout: float | None = None) -> bool:
        """Block until :meth:`stop` has finished (None: no limit); True once stopped."""
        return self._stopped_event.wait(timeout)

    def serve(
        self,
        *,
        on_ready: Callable[[Simulator], object] | None = None,
        handle_signals: bool = True,
    ) -> signal.Signals | None:
        """Serve in the foreground until :meth:`stop`, ``KeyboardInterrupt``, SIGINT or
        SIGTERM, then stop; returns the ending signal or None. See
        :func:`realtime_actors.simulator.serve`."""
        return serve(self, on_ready=on_ready, handle_signals=handle_signals)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- configuration ---------------------------------------------------------------------
    @property
    def scenario(self) -> Scenario:
        """The scenario; setting it applies to new connections and new responses."""
        return self._scenario

    @scenario.setter
    def scenario(self, value: Scenario) -> None:
        if not isinstance(value, Scenario):
            raise SimulatorError(f"scenario must be a Scenario, got {type(value).__name__}")
        self._scenario = value

    @property
    def ws_url(self) -> str:
        """``ws://127.0.0.1:PORT/v1/realtime`` (clients add ``?model=...``)."""
        self._require_running()
        return self._realtime.url

    @property
    def http_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` of the audio REST server."""
        self._require_running()
        return str(self._rest.url)

    @property
    def rest(self) -> RestServer:
        """The audio REST server (its request records and fault counters)."""
        return self._rest

    def _require_running(self) -> None:
        if not self._running:
            raise SimulatorError("the simulator is not started; call start() or use `with`")

    # -- observations ----------------------------------------------------------------------
    @property
    def connections(self) -> list[ConnectionRecord]:
        """A snapshot of every connection attempt, oldest first (copies, safe to read)."""
        with self._realtime.lock:
            return [copy.deepcopy(r) for r in self._realtime.records]

    def client_frames(self) -> list[dict[str, Any]]:
        """Client events of all connections, in connection order."""
        with self._realtime.lock:
            return [copy.deepcopy(f) for r in self._realtime.records for f in r.client_frames]

    def server_events(self) -> list[dict[str, Any]]:
        """Server events of all connections, in connection order."""
        with self._realtime.lock:
            return [copy.deepcopy(e) for r in self._realtime.records for e in r.server_events]

    def wait_for_connections(self, n: int, timeout: float) -> None:
        """Block until ``n`` connection attempts have been seen; raises ``TimeoutError``."""
        deadline = time.monotonic() + timeout
        with self._realtime.changed:
            while len(self._realtime.records) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"saw {len(self._realtime.records)} connections, expected {n}"
                    )
                self._realtime.changed.wait(left)

    def wait_for_close(self, index: int, timeout: float) -> int:
        """Block until connection ``index`` has closed; returns its close code (1006 for a
        dropped TCP connection). Raises ``TimeoutError``."""
        deadline = time.monotonic() + timeout
        rt = self._realtime
        with rt.changed:
            while (
                index >= len(rt.records)
                or rt.records[index].open
                or (rt.records[index].http_status == 101 and rt.records[index].close_code is None)
            ):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"connection {index} did not close within {timeout}s")
                rt.changed.wait(left)
            code = rt.records[index].close_code
        return -1 if code is None else code

    def drop_connections(self) -> int:
        """Abort every open TCP connection without a close frame; returns how many."""
        self._require_running()
        return self._realtime.drop_all()
