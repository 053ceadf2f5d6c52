"""The ``realtime-actors`` command line: argument parsing and the chat view in-process, each
subcommand end to end as a subprocess (``python -m realtime_actors``)."""

from __future__ import annotations

import io
import json
import signal
from pathlib import Path

import pytest
import websocket

import realtime_actors as rt
from realtime_actors.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, build_parser, main
from realtime_actors.cli.chat import input_lines
from realtime_actors.cli.chat_demo import build_agent, demo_tool_arguments, get_weather
from realtime_actors.cli.chat_view import ChatView
from realtime_actors.cli.simulator_cmd import scenario_from_args
from realtime_actors.session.run_config import DEFAULT_URL
from realtime_actors.simulator import FaultPlan, Scenario, Simulator
from tests.cli.support import SECRET_KEY, clean_env, run_cli, served_simulator

# ---------------------------------------------------------------------------- parsing


def test_subcommand_defaults() -> None:
    parser = build_parser()
    probe = parser.parse_args(["probe"])
    assert (probe.url, probe.model, probe.timeout, probe.json) == (
        DEFAULT_URL, "gpt-realtime", 15.0, False)
    chat = parser.parse_args(["chat", "--simulator", "--demo-tools", "--instructions", "Hi"])
    assert chat.simulator and chat.demo_tools and chat.instructions == "Hi"
    sim = parser.parse_args(["simulator", "--port", "0"])
    assert sim.port == 0 and sim.host == "127.0.0.1" and sim.handshake_status is None


@pytest.mark.parametrize("argv", [
    [],
    ["nonsense"],
    ["probe", "--timeout", "0"],
    ["probe", "--timeout", "soon"],
    ["chat", "--turn-timeout", "-1"],
    ["simulator", "--fail-responses", "teapot"],
    ["simulator", "--handshake-status", "101"],
    ["simulator", "--drop-after-events", "0"],
    ["simulator", "--close-code", "999"],
])
def test_bad_usage_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(argv)
    assert exc.value.code == EXIT_USAGE
    assert "error:" in capsys.readouterr().err


def test_fault_options_build_the_fault_plan() -> None:
    args = build_parser().parse_args([
        "simulator", "--handshake-status", "401", "--drop-after-events", "7",
        "--fail-responses", "server_error", "--fail-response-count", "2",
        "--session-seconds", "1.5", "--pacing", "0.5", "--api-key", "sk-only", "--seed", "3",
        "--close-code", "1011", "--close-after-events", "4", "--expire-after-events", "9",
        "--drop-mid-response", "--event-delay", "0.01",
    ])
    scenario = scenario_from_args(args)
    assert scenario.faults == FaultPlan(
        handshake_status=401, drop_after_events=7, fail_responses="server_error",
        fail_response_count=2, close_code=1011, close_after_events=4, expire_after_events=9,
        drop_mid_response=True, event_delay_s=0.01)
    assert scenario.session_seconds == 1.5 and scenario.output_pacing == 0.5
    assert scenario.api_keys == frozenset({"sk-only"}) and scenario.seed == 3


def test_no_fault_options_means_no_faults() -> None:
    scenario = scenario_from_args(build_parser().parse_args(["simulator"]))
    assert scenario.faults is None and scenario.api_keys is None


@pytest.mark.parametrize(("argv", "message"), [
    (["simulator", "--fail-response-count", "2"], "--fail-response-count needs"),
    (["simulator", "--pacing", "-1"], "--pacing must be >= 0"),
    (["simulator", "--log-level", "chatty"], "--log-level must be one of"),
    (["probe", "--url", "http://127.0.0.1:1/v1/realtime"], "ws:// or wss://"),
    (["chat", "--url", "https://example.invalid/"], "ws:// or wss://"),
])
def test_configuration_errors_return_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


# ---------------------------------------------------------------------------- chat pieces


def test_input_lines_skip_blanks_and_stop_at_quit() -> None:
    stream = io.StringIO("first\n\n   \n second \n/QUIT\nnever\n")
    out = io.StringIO()
    assert list(input_lines(stream, out, "you> ")) == ["first", "second"]
    assert out.getvalue() == ""  # no prompt when stdin is not a terminal


def test_demo_tool_arguments_and_weather() -> None:
    assert demo_tool_arguments("get_weather", 'get weather for "New York"') == {
        "city": "New York"}
    assert demo_tool_arguments("get_weather", "get weather in Oslo please") == {"city": "Oslo"}
    assert demo_tool_arguments("get_weather", "get weather") == {"city": "Paris"}
    assert demo_tool_arguments("transfer_to_forecaster", 'go "x"') == {}
    assert get_weather.invoke('{"city": "Rome"}') == get_weather.invoke('{"city": "Rome"}')
    assert "Rome" in get_weather.invoke('{"city": "Rome"}')


def _view_events(view: ChatView, events: list[rt.SessionEvent]) -> list[bool]:
    return [view.handle(event) for event in events]


def test_chat_view_waits_for_the_answer_to_a_tool_call() -> None:
    assistant = build_agent(None, demo_tools=True)
    out = io.StringIO()
    view = ChatView(out)
    call = {"agent": assistant, "tool_name": "get_weather", "call_id": "c1",
            "arguments": '{"city": "Rome"}'}
    done = _view_events(view, [
        rt.AgentStartEvent(agent=assistant, response_id="r1"),
        rt.ToolStartEvent(**call),
        rt.AgentEndEvent(agent=assistant, response_id="r1", status="completed"),
        rt.ToolEndEvent(**call, output="sunny", ok=True),
        rt.AgentStartEvent(agent=assistant, response_id="r2"),
        rt.TextDeltaEvent(item_id="i1", delta="It is "),
        rt.TextDeltaEvent(item_id="i1", delta="sunny."),
        rt.AgentEndEvent(agent=assistant, response_id="r2", status="completed"),
    ])
    assert done == [False] * 7 + [True]
    assert out.getvalue() == ('[tool] get_weather({"city": "Rome"}) -> sunny\n'
                              "Assistant> It is sunny.\n")


def test_chat_view_shows_a_handoff_once_and_waits_for_the_new_agent() -> None:
    assistant = build_agent(None, demo_tools=True)
    forecaster = assistant.handoffs[0]
    assert isinstance(forecaster, rt.RealtimeAgent)
    out = io.StringIO()
    view = ChatView(out)
    call = {"tool_name": "transfer_to_forecaster", "call_id": "h1", "arguments": "{}"}
    done = _view_events(view, [
        rt.AgentStartEvent(agent=assistant, response_id="r1"),
        rt.ToolStartEvent(agent=assistant, **call),
        rt.HandoffEvent(from_agent=assistant, to_agent=forecaster),
        rt.ToolEndEvent(agent=forecaster, **call, output="Handoff complete.", ok=True),
        rt.AgentEndEvent(agent=assistant, response_id="r1", status="completed"),
        rt.AgentStartEvent(agent=forecaster, response_id="r2"),
        rt.TextDeltaEvent(item_id="i2", delta="Forecaster here."),
        rt.ErrorEvent(message="boom", source="server", code="server_error"),
        rt.AgentEndEvent(agent=forecaster, response_id="r2", status="failed"),
    ])
    assert done == [False] * 8 + [True]
    assert out.getvalue() == ("[handoff] Assistant -> Forecaster\n"
                              "Forecaster> Forecaster here.\n"
                              "[error] server server_error: boom\n"
                              "[response failed]\n")


def test_chat_view_ends_the_turn_when_the_session_ends() -> None:
    view = ChatView(io.StringIO())
    assert view.handle(rt.SessionEndedEvent(reason="handshake rejected with HTTP 401"))
    assert view.ended_reason == "handshake rejected with HTTP 401"


# ---------------------------------------------------------------------------- subprocesses


@pytest.mark.parametrize(("argv", "expected"), [
    (["--help"], ["simulator", "probe", "chat"]),
    (["simulator", "--help"], ["--handshake-status", "--fail-responses", "--session-seconds"]),
    (["probe", "--help"], ["--url", "--model", "--timeout", "--json"]),
    (["chat", "--help"], ["--simulator", "--demo-tools", "--instructions"]),
])
def test_help(argv: list[str], expected: list[str], tmp_path: Path) -> None:
    result = run_cli(argv, clean_env(tmp_path))
    assert result.returncode == EXIT_OK, result.stderr
    for option in expected:
        assert option in result.stdout


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_simulator_serves_until_signalled(sig: signal.Signals, tmp_path: Path) -> None:
    with served_simulator(["--api-key", SECRET_KEY], clean_env(tmp_path)) as sim:
        assert sim.ws_url.startswith("ws://127.0.0.1:") and sim.ws_url.endswith("/v1/realtime")
        assert sim.http_url.startswith("http://127.0.0.1:") and sim.faults == "none"
        ws = websocket.create_connection(f"{sim.ws_url}?model=gpt-realtime", timeout=10,
                                         header=[f"Authorization: Bearer {SECRET_KEY}"])
        try:
            assert json.loads(ws.recv())["type"] == "session.created"
        finally:
            ws.close()
        assert sim.stop(sig) == EXIT_OK


def test_probe_passes_against_the_simulator(tmp_path: Path) -> None:
    env = clean_env(tmp_path, OPENAI_API_KEY=SECRET_KEY)
    with Simulator() as sim:
        text = run_cli(["probe", "--url", sim.ws_url, "--timeout", "10"], env)
        as_json = run_cli(["probe", "--url", sim.ws_url, "--json"], env)
    assert text.returncode == EXIT_OK, text.stderr
    assert text.stdout.startswith("realtime probe passed: model=gpt-realtime session=sess_")
    assert as_json.returncode == EXIT_OK, as_json.stderr
    proof = json.loads(as_json.stdout)
    assert proof["ok"] is True and proof["error"] is None and proof["skip_reason"] is None
    assert proof["event_types"][0] == "session.created"
    assert proof["event_types"][-1] == "response.done"
    for result in (text, as_json):
        assert SECRET_KEY not in result.stdout + result.stderr


def test_probe_reports_a_rejected_handshake_from_the_cli_simulator(tmp_path: Path) -> None:
    env = clean_env(tmp_path, OPENAI_API_KEY=SECRET_KEY)
    with served_simulator(["--handshake-status", "401"], env) as sim:
        assert sim.faults == "handshake_status=401"
        result = run_cli(["probe", "--url", sim.ws_url], env)
        assert sim.stop() == EXIT_OK
    assert result.returncode == EXIT_FAILURE
    lines = result.stdout.splitlines()
    assert len(lines) == 1  # a 401 is a setup error, never a skip
    assert lines[0].startswith("realtime probe failed: model=gpt-realtime")
    assert "HTTP 401" in lines[0]
    assert SECRET_KEY not in result.stdout + result.stderr


def test_probe_prints_the_skip_reason_of_an_upstream_failure(tmp_path: Path) -> None:
    env = clean_env(tmp_path, OPENAI_API_KEY=SECRET_KEY)
    with Simulator(Scenario(faults=FaultPlan(fail_responses="server_error"))) as sim:
        result = run_cli(["probe", "--url", sim.ws_url], env)
        as_json = run_cli(["probe", "--url", sim.ws_url, "--json"], env)
    assert result.returncode == EXIT_FAILURE
    report, skip = result.stdout.splitlines()
    assert report.startswith("realtime probe failed:") and "server_error" in report
    assert skip.startswith("skip reason: realtime_upstream_server_error (session_id=sess_")
    assert as_json.returncode == EXIT_FAILURE
    proof = json.loads(as_json.stdout)
    assert proof["ok"] is False and proof["error"]["code"] == "server_error"
    assert proof["skip_reason"].startswith("realtime_upstream_server_error")


@pytest.mark.parametrize("key", [None, "sk-has a-space-0123456789SECRET"])
def test_probe_without_a_usable_key_exits_2(key: str | None, tmp_path: Path) -> None:
    env = clean_env(tmp_path) if key is None else clean_env(tmp_path, OPENAI_API_KEY=key)
    result = run_cli(["probe", "--url", "ws://127.0.0.1:9/v1/realtime"], env)
    assert result.returncode == EXIT_USAGE
    assert result.stdout == ""
    assert result.stderr.startswith("realtime-actors probe: error: ")
    assert "OPENAI_API_KEY" in result.stderr
    if key is not None:
        assert "SECRET" not in result.stderr and "a-space" not in result.stderr


def test_chat_with_the_simulator_shows_tools_and_handoffs(tmp_path: Path) -> None:
    lines = ["hello there", 'get weather for "Rome"', "please transfer me to the forecaster",
             "get weather in Oslo", "/quit", "never sent"]
    result = run_cli(["chat", "--simulator", "--demo-tools"], clean_env(tmp_path),
                     stdin="\n".join(lines) + "\n")
    assert result.returncode == EXIT_OK, result.stderr
    rome = get_weather.invoke('{"city": "Rome"}')
    oslo = get_weather.invoke('{"city": "Oslo"}')
    out = result.stdout.splitlines()
    assert out[0].startswith("[simulator] ws://127.0.0.1:")
    assert out[1].startswith("[chat] connected to ws://127.0.0.1:")
    assert out[2:] == [
        "Assistant> You said: hello there",
        f'[tool] get_weather({{"city": "Rome"}}) -> {rome}',
        f"Assistant> The tool returned: {rome}",
        "[handoff] Assistant -> Forecaster",
        "Forecaster> The tool returned: Handoff complete. You are now connected to Forecaster.",
        f'[tool] get_weather({{"city": "Oslo"}}) -> {oslo}',
        f"Forecaster> The tool returned: {oslo}",
        "[chat] session closed",
    ]


def test_chat_ends_at_end_of_input(tmp_path: Path) -> None:
    result = run_cli(["chat", "--simulator"], clean_env(tmp_path), stdin="one\ntwo")
    assert result.returncode == EXIT_OK, result.stderr
    assert "Assistant> You said: one" in result.stdout
    assert "Assistant> You said: two" in result.stdout
    assert result.stdout.endswith("[chat] session closed\n")


def test_chat_exits_1_when_the_session_ends_by_itself(tmp_path: Path) -> None:
    env = clean_env(tmp_path, OPENAI_API_KEY=SECRET_KEY)
    with Simulator(Scenario(faults=FaultPlan(handshake_status=401))) as sim:
        result = run_cli(["chat", "--url", sim.ws_url], env, stdin="hello\n")
    assert result.returncode == EXIT_FAILURE
    assert "[error] connection http_401" in result.stdout
    assert "Assistant>" not in result.stdout
    assert SECRET_KEY not in result.stdout + result.stderr


def test_chat_without_a_key_exits_2(tmp_path: Path) -> None:
    result = run_cli(["chat", "--url", "ws://127.0.0.1:9/v1/realtime"], clean_env(tmp_path),
                     stdin="hello\n")
    assert result.returncode == EXIT_USAGE
    assert "no OpenAI API key found" in result.stderr and result.stdout == ""
