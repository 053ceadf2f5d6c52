"""``Simulator.serve()`` / ``realtime_actors.simulator.serve``: serving in the foreground until
``stop()``, SIGTERM, SIGINT or ``KeyboardInterrupt``, always stopping on the way out and
restoring the signal handlers. Real signals to this process, real sockets."""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from realtime_actors.simulator import Simulator, serve
from realtime_actors.simulator.errors import SimulatorError
from tests.simulator.realtime_client import connect_session

TIMEOUT_S = 10.0


@pytest.fixture
def handlers() -> Iterator[dict[signal.Signals, Any]]:
    """The SIGINT/SIGTERM handlers before the test; the test must leave them unchanged."""
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield before
    after = {sig: signal.getsignal(sig) for sig in before}
    for sig, handler in before.items():
        signal.signal(sig, handler)  # never leave a test handler behind, even on failure
    assert after == before


def _assert_stopped(sim: Simulator) -> None:
    assert sim.wait_stopped(0)
    with pytest.raises(SimulatorError):
        _ = sim.ws_url


def test_serve_in_a_thread_until_stop() -> None:
    sim = Simulator()
    ready = threading.Event()
    seen: list[Simulator] = []
    result: dict[str, Any] = {}

    def on_ready(served: Simulator) -> None:
        seen.append(served)
        ready.set()

    def target() -> None:
        result["reason"] = sim.serve(on_ready=on_ready)

    thread = threading.Thread(target=target, name="serve-test")
    thread.start()
    try:
        assert ready.wait(TIMEOUT_S)
        assert seen == [sim]
        with connect_session(sim.ws_url, timeout=TIMEOUT_S) as client:
            client.configure(instructions="served")
        assert thread.is_alive()  # still serving after the client left
    finally:
        sim.stop()
        thread.join(TIMEOUT_S)
    assert not thread.is_alive()
    assert result == {"reason": None}
    _assert_stopped(sim)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_serving_stops_and_is_returned(
    sig: signal.Signals, handlers: dict[signal.Signals, Any]
) -> None:
    sim = Simulator()
    ready = threading.Event()

    def send_signal() -> None:
        if ready.wait(TIMEOUT_S):
            os.kill(os.getpid(), sig)

    sender = threading.Thread(target=send_signal, name="signal-sender")
    sender.start()
    try:
        reason = serve(sim, on_ready=lambda served: ready.set())
    finally:
        ready.set()
        sender.join(TIMEOUT_S)
    assert reason is sig
    _assert_stopped(sim)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_on_ready_is_held_until_it_returns(
    sig: signal.Signals, handlers: dict[signal.Signals, Any]
) -> None:
    sim = Simulator()
    steps: list[str] = []

    def on_ready(served: Simulator) -> None:
        signal.raise_signal(sig)
        steps.append("after the signal")  # not cut short by it

    assert sim.serve(on_ready=on_ready) is sig
    assert steps == ["after the signal"]
    _assert_stopped(sim)


def test_keyboard_interrupt_stops_and_returns_sigint(
    handlers: dict[signal.Signals, Any]
) -> None:
    sim = Simulator()

    def on_ready(served: Simulator) -> None:
        raise KeyboardInterrupt

    assert sim.serve(on_ready=on_ready, handle_signals=False) is signal.SIGINT
    _assert_stopped(sim)


def test_an_error_of_on_ready_propagates_after_the_stop(
    handlers: dict[signal.Signals, Any]
) -> None:
    sim = Simulator()

    def on_ready(served: Simulator) -> None:
        raise ValueError("cannot announce")

    with pytest.raises(ValueError, match="cannot announce"):
        sim.serve(on_ready=on_ready)
    _assert_stopped(sim)


@pytest.mark.parametrize(("port_option", "error"), [
    ("port", SimulatorError), ("http_port", OSError)])
def test_start_errors_propagate_and_restore_the_handlers(
    port_option: str, error: type[Exception], handlers: dict[signal.Signals, Any]
) -> None:
    ready: list[Simulator] = []
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        sim = Simulator(**{port_option: busy.getsockname()[1]})
        with pytest.raises(error, match="in use"):
            sim.serve(on_ready=ready.append)
    assert ready == []


def test_a_stopped_simulator_cannot_serve(handlers: dict[signal.Signals, Any]) -> None:
    stopped = Simulator()
    stopped.start()
    stopped.stop()
    with pytest.raises(SimulatorError, match="cannot be restarted"):
        stopped.serve()


def test_the_module_command_reports_a_busy_port_in_one_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    from realtime_actors.simulator.__main__ import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("simulator: cannot serve:") and str(port) in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
