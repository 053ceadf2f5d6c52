"""``realtime-actors chat`` and ``simulator`` end cleanly on SIGTERM (and SIGINT): the session
is closed, the (embedded) simulator stopped, the exit status 0 and no traceback. Real
subprocesses, real signals."""

from __future__ import annotations

import io
import signal
import socket
import threading
from pathlib import Path

import pytest

from realtime_actors.cli import EXIT_FAILURE, EXIT_OK
from realtime_actors.cli.chat_input import InputFeed
from realtime_actors.runtime.stop_signals import StopRequested, StopSignals, wait_event
from realtime_actors.simulator import FaultPlan, ReplyContext, Scenario, Simulator
from tests.cli.support import (
    RUN_TIMEOUT_S,
    SECRET_KEY,
    chat_process,
    clean_env,
    run_cli,
    served_simulator,
)

CLOSE_NORMAL = 1000

# ---------------------------------------------------------------------------- in-process


def test_a_signal_outside_interruptible_is_held_until_the_next_one() -> None:
    before = signal.getsignal(signal.SIGTERM)
    steps: list[str] = []
    with StopSignals() as signals:
        signal.raise_signal(signal.SIGTERM)
        steps.append("setting up")  # not cut short
        assert signals.received is signal.SIGTERM
        with pytest.raises(StopRequested) as exc, signals.interruptible():
            steps.append("never")
    assert exc.value.signum is signal.SIGTERM and isinstance(exc.value, KeyboardInterrupt)
    assert steps == ["setting up"]
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_inside_interruptible_raises_at_once(sig: signal.Signals) -> None:
    steps: list[str] = []
    with StopSignals() as signals:
        with pytest.raises(StopRequested) as exc, signals.interruptible():
            signal.raise_signal(sig)
            steps.append("never")
        assert exc.value.signum is sig and steps == []


def test_wait_event_returns_when_set_or_at_the_timeout() -> None:
    event = threading.Event()
    assert not wait_event(event, 0.01)
    event.set()
    assert wait_event(event, 0.01)


def test_input_feed_reads_one_line_per_request_until_quit() -> None:
    out = io.StringIO()
    feed = InputFeed(io.StringIO("one\n\n two \n/exit\nnever\n"), out, "you> ")
    try:
        assert [feed.next_line() for _ in range(4)] == ["one", "two", None, None]
    finally:
        feed.close()
    assert out.getvalue() == ""  # not a terminal: no prompt


class _BrokenStream(io.StringIO):
    def readline(self, size: int | None = -1) -> str:
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")


def test_input_feed_raises_a_read_error_in_the_caller() -> None:
    feed = InputFeed(_BrokenStream(), io.StringIO(), "you> ")
    try:
        with pytest.raises(UnicodeDecodeError):
            feed.next_line()
        assert feed.next_line() is None
    finally:
        feed.close()


# ---------------------------------------------------------------------------- subprocesses


def _check_clean_end(lines: list[str], stderr: str, sig: signal.Signals) -> None:
    assert lines[-2:] == [f"[chat] interrupted ({sig.name})", "[chat] session closed"], lines
    assert "Traceback" not in stderr, stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_chat_waiting_for_input_ends_cleanly_on_signal(sig: signal.Signals,
                                                       tmp_path: Path) -> None:
    err_path = tmp_path / "stderr.txt"
    with chat_process(["--simulator", "--log-level", "INFO"], clean_env(tmp_path),
                      err_path) as (proc, out):
        out.wait_for("[chat] connected to ws://127.0.0.1:")
        proc.send_signal(sig)
        assert proc.wait(timeout=RUN_TIMEOUT_S) == EXIT_OK
        lines = out.read_to_end()
    stderr = err_path.read_text()
    _check_clean_end(lines, stderr, sig)
    assert lines[0].startswith("[simulator] ws://127.0.0.1:")
    # the embedded simulator was stopped, not abandoned to the exiting process
    assert "realtime_actors.simulator.simulator: simulator stopped" in stderr


def test_chat_ends_cleanly_on_sigterm_after_an_answer(tmp_path: Path) -> None:
    err_path = tmp_path / "stderr.txt"
    with chat_process(["--simulator"], clean_env(tmp_path), err_path) as (proc, out):
        out.wait_for("[chat] connected to ")
        assert proc.stdin is not None
        proc.stdin.write(b"hello there\n")
        proc.stdin.flush()
        out.wait_for("Assistant> You said: hello there")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=RUN_TIMEOUT_S) == EXIT_OK
        lines = out.read_to_end()
    _check_clean_end(lines, err_path.read_text(), signal.SIGTERM)


def test_sigterm_during_a_turn_closes_the_session_normally(tmp_path: Path) -> None:
    asked = threading.Event()

    def reply(ctx: ReplyContext) -> str:
        asked.set()
        return "a slow answer in several deltas"

    env = clean_env(tmp_path, OPENAI_API_KEY=SECRET_KEY)
    err_path = tmp_path / "stderr.txt"
    scenario = Scenario(reply=reply, faults=FaultPlan(event_delay_s=0.05))
    with Simulator(scenario) as sim:
        with chat_process(["--url", sim.ws_url], env, err_path) as (proc, out):
            out.wait_for("[chat] connected to ")
            assert proc.stdin is not None
            proc.stdin.write(b"take your time\n")
            proc.stdin.flush()
            assert asked.wait(RUN_TIMEOUT_S)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=RUN_TIMEOUT_S) == EXIT_OK
            lines = out.read_to_end()
        assert sim.wait_for_close(0, timeout=RUN_TIMEOUT_S) == CLOSE_NORMAL
    stderr = err_path.read_text()
    _check_clean_end(lines, stderr, signal.SIGTERM)
    assert SECRET_KEY not in "\n".join(lines) + stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_simulator_command_says_which_signal_stopped_it(sig: signal.Signals,
                                                        tmp_path: Path) -> None:
    with served_simulator([], clean_env(tmp_path)) as sim:
        code, out, err = sim.stop_and_read(sig)
    assert code == EXIT_OK
    assert out == f"simulator stopped ({sig.name})\n"
    assert err == ""


@pytest.mark.parametrize("option", ["--port", "--http-port"])
def test_simulator_command_on_a_busy_port_exits_1_with_one_line(option: str,
                                                                tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = run_cli(["simulator", "--port", "0", "--http-port", "0", option, port],
                         clean_env(tmp_path))
    assert result.returncode == EXIT_FAILURE
    assert result.stdout == ""
    assert result.stderr.startswith("realtime-actors simulator: error: cannot serve ")
    assert f":{port}" in result.stderr and result.stderr.count("\n") == 1
