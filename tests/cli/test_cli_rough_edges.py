"""What a newcomer meets first: no key for a local URL, an unreachable URL, a wrong key,
``/help`` in chat; each ends in one clear line."""

from __future__ import annotations

import socket
from pathlib import Path

from realtime_actors.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from realtime_actors.simulator import Scenario, Simulator
from tests.cli.support import SECRET_KEY, clean_env, run_cli


def _closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        return placeholder.getsockname()[1]


def test_probe_of_a_local_url_without_a_key_says_the_exact_command(tmp_path: Path) -> None:
    url = "ws://127.0.0.1:8765/v1/realtime"
    result = run_cli(["probe", "--url", url], clean_env(tmp_path))
    assert result.returncode == EXIT_USAGE and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert f"run: OPENAI_API_KEY=sk-local realtime-actors probe --url {url}" in result.stderr


def test_the_command_the_probe_message_gives_passes_against_a_simulator(
        tmp_path: Path) -> None:
    with Simulator() as sim:
        result = run_cli(["probe", "--url", sim.ws_url],
                         clean_env(tmp_path, OPENAI_API_KEY="sk-local"))
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stdout.startswith("realtime probe passed")
    assert result.stderr == ""


def test_chat_to_an_unreachable_url_fails_at_once_with_one_line(tmp_path: Path) -> None:
    url = f"ws://127.0.0.1:{_closed_port()}/v1/realtime"
    result = run_cli(["chat", "--url", url], clean_env(tmp_path, OPENAI_API_KEY=SECRET_KEY),
                     stdin="hello\n")
    assert result.returncode == EXIT_FAILURE
    assert result.stdout.splitlines() == [
        "[error] connection connect_failed: could not connect: [Errno 111] Connection "
        f"refused (is {url} reachable?)"]
    assert result.stderr == ""  # no supervisor warnings repeating it


def test_chat_with_a_wrong_key_says_so_in_one_line_without_headers(tmp_path: Path) -> None:
    with Simulator(Scenario(api_keys=frozenset({"sk-the-right-one"}))) as sim:
        result = run_cli(["chat", "--url", sim.ws_url],
                         clean_env(tmp_path, OPENAI_API_KEY=SECRET_KEY), stdin="hello\n")
        probe = run_cli(["probe", "--url", sim.ws_url],
                        clean_env(tmp_path, OPENAI_API_KEY=SECRET_KEY))
    assert result.returncode == EXIT_FAILURE
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    assert lines[0].startswith("[error] connection http_401: HTTP 401 invalid_api_key: "
                               "Incorrect API key provided")
    assert lines[0].endswith("(check the API key: OPENAI_API_KEY or CODEX_API_KEY)")
    # the same words as the probe's report of the same rejection
    assert "HTTP 401 invalid_api_key: Incorrect API key provided" in probe.stdout
    for output in (result.stdout + result.stderr, probe.stdout + probe.stderr):
        assert "content-type" not in output.lower() and SECRET_KEY not in output
    assert result.stderr == ""


def test_help_and_unknown_commands_stay_in_the_chat(tmp_path: Path) -> None:
    env = clean_env(tmp_path, OPENAI_API_KEY=SECRET_KEY)
    with Simulator() as sim:
        result = run_cli(["chat", "--url", sim.ws_url], env,
                         stdin="/help\n/nonsense\n//slash\nhello\n")
        texts = [c.get("text") for f in sim.client_frames()
                 if f["type"] == "conversation.item.create"
                 for c in f["item"].get("content", [])]
    assert result.returncode == EXIT_OK, result.stderr
    assert texts == ["/slash", "hello"]
    assert "[chat] commands: /help shows this;" in result.stdout
    assert "[chat] unknown command '/nonsense'; /help lists the commands" in result.stdout


def test_a_failed_probe_is_printed_once(tmp_path: Path) -> None:
    url = f"ws://127.0.0.1:{_closed_port()}/v1/realtime"
    result = run_cli(["probe", "--url", url], clean_env(tmp_path, OPENAI_API_KEY=SECRET_KEY))
    assert result.returncode == EXIT_FAILURE
    assert len(result.stdout.splitlines()) == 1
    assert result.stdout.startswith("realtime probe failed:")
    assert result.stderr == ""  # not logged a second time
