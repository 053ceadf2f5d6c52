"""The examples run offline as subprocesses: no API key in the environment and no flag, so
each starts the embedded simulator.

They start together (one process each, output to files, no threads in the test process) and
are checked one test per example: the lines they print, their summary and the WAV files they
write (valid, non-empty, 24 kHz mono, and, the simulator's speech being synthetic, what they
say).
"""

from __future__ import annotations

import re
import time
import wave

import pytest

from realtime_actors.audio.pcm import write_wav
from realtime_actors.simulator.speech_codec import synthesize
from tests.examples.support import RUN_TIMEOUT_S, Run, clean_env, finish, start, wav_text

WAV_OPTION_TEXT = "Testing the wav option."
SCRIPTS = ("realtime_basic", "realtime_tools", "realtime_handoffs", "live_realtime_voice",
           "voice_pipeline", "voice_multi_turn", "voice_with_agent", "threaded_server",
           "listener_actors", "telephony_bridge")


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every example run offline (no key in the environment, no flag), all at once; plus
    ``live_realtime_voice_wav``: that example reading a WAV file given with ``--wav``."""
    root = tmp_path_factory.mktemp("offline")
    (root / "codex-home").mkdir()
    env = clean_env(root / "codex-home")
    wav = root / "question.wav"  # 16 kHz stereo: the example converts it
    mono = synthesize(WAV_OPTION_TEXT, 16000)
    wav.write_bytes(write_wav(mono.repeat(2).reshape(-1, 2), 16000))
    runs = {name: (name, []) for name in SCRIPTS}
    runs["live_realtime_voice_wav"] = ("live_realtime_voice", ["--wav", str(wav)])
    started = {
        name: (start(script, [*args, "--out", str(root / name)], env, root / "logs"), root / name)
        for name, (script, args) in runs.items()
    }
    deadline = time.monotonic() + RUN_TIMEOUT_S
    return {name: finish(name, process, out_dir, max(1.0, deadline - time.monotonic()))
            for name, (process, out_dir) in started.items()}


def ok(runs: dict[str, Run], name: str) -> Run:
    """The run of ``name``, which must have succeeded offline without warnings."""
    result = runs[name]
    assert result.code == 0, result.describe()
    assert "[mode] offline" in result.out, result.describe()
    assert "Traceback" not in result.err and "WARNING" not in result.out, result.describe()
    return result


# ---------------------------------------------------------------------------- realtime
def test_realtime_basic_prints_both_turns(offline: dict[str, Run]) -> None:
    result = ok(offline, "realtime_basic")
    assert result.lines("[user]") == ["[user] Hello from realtime-actors!",
                                      "[user] What can you do?"]
    assert result.lines("[agent]") == [
        "[agent] Assistant: You said: Hello from realtime-actors!",
        "[agent] Assistant: You said: What can you do?",
    ]
    assert result.summary()["turns"] == "2"


def test_realtime_tools_shows_each_call_and_its_result(offline: dict[str, Run]) -> None:
    result = ok(offline, "realtime_tools")
    assert result.lines("[tool]") == [
        '[tool] WeatherBot calls get_weather({"city": "Paris"})',
        "[tool] get_weather -> sunny, 21 C (ok)",
        '[tool] WeatherBot calls convert_temperature({"celsius": 21.0})',
        '[tool] convert_temperature -> {"celsius": 21.0, "fahrenheit": 69.8} (ok)',
    ]
    assert result.lines("[agent]")[0] == "[agent] WeatherBot: The tool returned: sunny, 21 C"
    summary = result.summary()
    assert (summary["turns"], summary["tools"], summary["responses"]) == ("2", "2", "4")


def test_realtime_handoffs_switches_to_support(offline: dict[str, Run]) -> None:
    result = ok(offline, "realtime_handoffs")
    assert result.lines("[handoff]") == ["[handoff] Greeter -> TechSupport"]
    assert result.lines("[agent]") == [
        "[agent] Greeter: Welcome! How can I help you today?",
        "[agent] TechSupport: TechSupport here. I can help with your connection.",
        "[agent] TechSupport: Restart your router, then check that the cable is plugged in.",
    ]
    assert result.lines("[session] current agent") == [
        "[session] current agent: Greeter", "[session] current agent: TechSupport",
        "[session] current agent: TechSupport"]
    summary = result.summary()
    assert (summary["turns"], summary["handoffs"], summary["agent"]) == ("3", "1", "TechSupport")


def test_live_realtime_voice_streams_chunks_and_writes_the_reply(
    offline: dict[str, Run]
) -> None:
    result = ok(offline, "live_realtime_voice")
    question = "What is a good name for a friendly robot?"
    assert wav_text(result.out_dir / "live_realtime_voice_input.wav") == question
    with wave.open(str(result.out_dir / "live_realtime_voice_input.wav")) as w:
        expected_chunks = -(-w.getnframes() // 2400)  # 100 ms chunks, the last one shorter
    summary = result.summary()
    assert summary["chunks"] == str(expected_chunks)
    assert f"[user] streaming {expected_chunks} chunks of 100 ms" in result.out
    assert result.lines("[user] (heard)") == [f"[user] (heard) {question}"]
    assert len(result.lines("[audio]")) == 1
    reply = result.out_dir / "live_realtime_voice_reply.wav"
    assert wav_text(reply) == f"You said: {question}"
    with wave.open(str(reply)) as w:
        assert summary["audio_ms"] == str(w.getnframes() // 24)


def test_live_realtime_voice_reads_a_wav_of_any_rate_and_channels(
    offline: dict[str, Run]
) -> None:
    result = ok(offline, "live_realtime_voice_wav")
    assert result.lines("[user] (heard)") == [f"[user] (heard) {WAV_OPTION_TEXT}"]
    reply = wav_text(result.out_dir / "live_realtime_voice_reply.wav")
    assert reply == f"You said: {WAV_OPTION_TEXT}"


# ---------------------------------------------------------------------------- voice
def test_voice_pipeline_speaks_greeting_then_answer(offline: dict[str, Run]) -> None:
    result = ok(offline, "voice_pipeline")
    assert result.lines("[user]") == ["[user] What time does the library open?"]
    assert result.lines("[voice]") == ["[voice] turn 1 started", "[voice] turn 1 ended",
                                       "[voice] turn 2 started", "[voice] turn 2 ended",
                                       "[voice] session_ended"]
    assert wav_text(result.out_dir / "voice_pipeline_turn1.wav") == "Hello! I am listening."
    assert wav_text(result.out_dir / "voice_pipeline_turn2.wav") == (
        "You said: What time does the library open? Thanks for asking.")
    assert result.summary()["turns"] == "2"


def test_voice_multi_turn_answers_three_turns_in_order(offline: dict[str, Run]) -> None:
    result = ok(offline, "voice_multi_turn")
    heard = ["Good morning.", "I would like a coffee.", "Make it a large one."]
    assert result.lines("[user]") == [f"[user] {text}" for text in heard]
    texts = [wav_text(result.out_dir / f"voice_multi_turn_turn{n}.wav") for n in range(1, 5)]
    assert texts == ["Hi! Tell me what you need.",
                     *(f"Turn {n}: you said {text}" for n, text in enumerate(heard, start=1))]
    summary = result.summary()
    assert (summary["turns"], summary["heard"]) == ("4", "3")


def test_voice_with_agent_calls_the_tool_and_remembers(offline: dict[str, Run]) -> None:
    result = ok(offline, "voice_with_agent")
    assert result.lines("[tool]") == ["[tool] check_order('42') -> shipped yesterday"]
    texts = [wav_text(result.out_dir / f"voice_with_agent_turn{n}.wav") for n in range(1, 4)]
    assert texts == ["Welcome to the order desk.", "You said: Hello, my name is Ana.",
                     "Order status: shipped yesterday. Anything else, Ana?"]
    assert [line.split(" started")[0] for line in result.lines("[voice] turn")
            if line.endswith("started")] == ["[voice] turn 1", "[voice] turn 2", "[voice] turn 3"]
    summary = result.summary()
    assert (summary["turns"], summary["tools"]) == ("3", "1")


# ---------------------------------------------------------------------------- embedding
def test_threaded_server_serves_concurrent_conversations_on_their_own_sessions(
    offline: dict[str, Run]
) -> None:
    result = ok(offline, "threaded_server")
    summary = result.summary()
    assert summary["requests"] == "12" and summary["ok"] == "12" and summary["failed"] == "0"
    assert summary["sessions_opened"] == summary["sessions_closed"] == "6"
    # each conversation's second turn is answered from its own session's memory
    for n in range(1, 7):
        assert f"[http] c{n} turn 2 -> 200: You told me: Hi, this is client {n}." in result.out
    assert len(result.lines("[session] closed conversation")) == 6
    closed_at = result.out.index("[session] closed conversation")
    assert result.out.rindex("[http] c") < closed_at < result.out.index("[http] server stopped")


def test_listener_actors_log_write_and_measure(offline: dict[str, Run]) -> None:
    result = ok(offline, "listener_actors")
    assert result.lines("[transcript]") == [
        "[transcript] assistant: Owls cannot move their eyes, so they turn their heads instead.",
        "[transcript] assistant: An octopus has three hearts.",
    ]
    assert len(result.lines("[audio]")) == 2
    assert len(result.lines("[metrics]")) == 2
    summary = result.summary()
    assert (summary["turns"], summary["listeners"], summary["transcripts"]) == ("2", "3", "2")
    wav = result.out_dir / summary["wav"]
    assert wav_text(wav) == ("Owls cannot move their eyes, so they turn their heads instead. "
                             "An octopus has three hearts.")
    with wave.open(str(wav)) as w:
        assert summary["audio_ms"] == str(w.getnframes() // 24)
    counted = re.search(r"\[metrics\] (\d+) events", result.out)
    assert counted is not None and counted.group(1) == summary["events"]


# ---------------------------------------------------------------------------- telephony
def test_telephony_bridge_answers_truncates_on_barge_in_and_sees_dtmf(
        offline: dict[str, Run]) -> None:
    result = ok(offline, "telephony_bridge")
    assert "[caller] heard: You said: When are you open?" in result.out, result.describe()
    match = re.search(r"\[caller\] heard (\d+) ms of it", result.out)
    assert match, result.describe()
    assert f"truncated at {match.group(1)} ms heard, clear sent" in result.out
    assert "[caller] heard: You said: Stop, please" in result.out
    assert "[bridge] caller pressed 1" in result.out
    assert "interruptions=1 digits=1" in result.out.splitlines()[-1]
    assert wav_text(result.out_dir / "telephony_caller_heard.wav") == (
        "You said: When are you open?")  # the first thing the caller heard
