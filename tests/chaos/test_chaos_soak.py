"""The chaos soak: concurrent sessions through the chaos proxy, each turn a text, spoken, tool
or handoff turn, with RST, FIN, half-open stalls and slow trickles drawn from a seeded
generator at byte offsets inside audio deltas, function-call arguments, handoffs and right
after client sends. Asserted from the public API only: every user turn is in ``history()``
exactly once, every tool ran exactly once per request, every turn was answered, no session
hung, no thread or descriptor is left.

``REALTIME_ACTORS_CHAOS_SEEDS`` (comma-separated) picks the seeds (``make soak`` runs many);
the figures of each run are printed (``-s``) and appended to ``REALTIME_ACTORS_CHAOS_REPORT``
as JSON lines when that names a file.
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

import realtime_actors as rt
from realtime_actors.simulator import Scenario
from realtime_actors.simulator.speech_codec import synthesize
from tests.chaos.proxy import ChaosProxy, ConnectionPlan, Fault, FrameInfo, Trickle, event_is
from tests.realtime.support import Harness

SESSIONS = 4
TURNS = 10
TURN_TIMEOUT_S = 20.0
SEEDS = [int(s) for s in os.environ.get("REALTIME_ACTORS_CHAOS_SEEDS", "11,22,33").split(",")]
KINDS = ("text", "spoken", "tool", "text", "spoken", "handoff", "tool", "text", "spoken", "tool")
CHAOS = rt.ReconnectPolicy(max_attempts=30, window_s=60, initial_delay_s=0.01, max_delay_s=0.05)


def _is_handoff_done(info: FrameInfo) -> bool:
    item = (info.event or {}).get("item") or {}
    return info.type == "response.output_item.done" and \
        str(item.get("name", "")).startswith("transfer_to_")


def fault_menu(rng: random.Random) -> list[tuple[str, Callable[[], ConnectionPlan]]]:
    """The kinds of fault a connection may get; each builds a fresh plan (fresh counters)."""
    def cut(direction: str, kind: str, how: str, at: str, nth: int = 1,
            **fields: Any) -> Callable[[], ConnectionPlan]:
        return lambda: ConnectionPlan(faults=(Fault(
            direction, event_is(kind, nth=nth, **fields), action=how, cut=at,  # type: ignore[arg-type]
            label=f"{how} {at} {kind}#{nth}"),))

    def handoff() -> ConnectionPlan:
        return ConnectionPlan(faults=(Fault("down", _is_handoff_done, action=rng.choice(
            ["rst", "fin"]), cut="after", label="cut after handoff call"),))

    pick = rng.choice
    return [
        ("audio delta", cut("down", "response.output_audio.delta", pick(["rst", "fin"]), "mid",
                            nth=rng.randint(1, 4))),
        ("mid function arguments", cut("down", "response.function_call_arguments.delta",
                                       pick(["rst", "fin"]), "mid")),
        ("after function call", cut("down", "response.output_item.done",
                                    pick(["rst", "fin"]), "after", item_type="function_call")),
        ("during handoff", handoff),
        ("after client item, before ack", cut("up", "conversation.item.create", "rst", "after")),
        ("after commit, before ack", cut("up", "input_audio_buffer.commit",
                                         pick(["rst", "fin"]), "after")),
        ("mid append", cut("up", "input_audio_buffer.append", "rst", "mid",
                           nth=rng.randint(1, 6))),
        ("before response.create", cut("up", "response.create", "fin", "before")),
        ("half-open stall", cut("down", "response.created", "stall", "after")),
        ("slow trickle", lambda: ConnectionPlan(trickle=Trickle("down", chunk=rng.choice(
            [3, 17, 64]), pause_s=0.0))),
    ]


def chaos_plan(seed: int) -> Callable[[int], ConnectionPlan | None]:
    """Connections 0..5 each get a fault drawn from the menu (or none); later ones are clean,
    so every session gets through."""
    rng = random.Random(seed)
    lock = threading.Lock()

    def plan(index: int) -> ConnectionPlan | None:
        with lock:
            if index > 5 or rng.random() < 0.15:
                return None
            _name, build = rng.choice(fault_menu(rng))
            return build()

    return plan


@attrs.define
class Tally:
    """What one session saw."""

    tool_runs: dict[int, int] = attrs.field(factory=dict)
    answers: dict[int, int] = attrs.field(factory=dict)
    connected_at: list[float] = attrs.field(factory=list)
    failures: list[str] = attrs.field(factory=list)
    lock: threading.Lock = attrs.field(factory=threading.Lock)


def _tool_args(_name: str, text: str) -> dict[str, Any]:
    found = re.search(r"turn (\d+)", text)
    return {"amount": int(found.group(1)) if found else 0, "to": "Ada"}


def _agents(tally: Tally) -> rt.RealtimeAgent:
    @rt.function_tool
    def transfer_money(amount: int, to: str) -> str:
        """Move money to someone."""
        with tally.lock:
            tally.tool_runs[amount] = tally.tool_runs.get(amount, 0) + 1
        return f"sent {amount} to {to}"

    specialist = rt.agent("Specialist", instructions="Finish the job.", tools=[transfer_money])
    return rt.agent("Greeter", instructions="Route to the specialist.",
                    tools=[transfer_money], handoffs=[specialist])


def _marker(kind: str, turn: int) -> str:
    return {"text": f"text turn {turn}", "spoken": f"spoken turn {turn}",
            "tool": f"sent {turn} to Ada", "handoff": "Handoff complete"}[kind]


def _send_turn(session: rt.Session, kind: str, turn: int, vad: bool) -> None:
    if kind == "text":
        session.send_message(f"text turn {turn}")
    elif kind == "tool":
        session.send_message(f"please transfer money, turn {turn}")
    elif kind == "handoff":
        session.send_message("transfer me to the specialist")
    else:
        pcm = synthesize(f"spoken turn {turn}").tobytes()
        if vad:  # the server's VAD ends the turn on the silence after the words
            pcm += bytes(4800 * 6)
        step = 4800  # 100 ms
        chunks = [pcm[i:i + step] for i in range(0, len(pcm), step)]
        for chunk in chunks[:-1]:
            session.send_audio(chunk)
        session.send_audio(chunks[-1], commit=not vad)


def converse(session: rt.Session, name: str, tally: Tally, vad: bool) -> None:
    """Every turn, one after another, each after the previous one was answered."""
    try:
        for turn, kind in enumerate(KINDS):
            _send_turn(session, kind, turn, vad)
            marker = _marker(kind, turn)
            deadline = time.monotonic() + TURN_TIMEOUT_S
            answered = False
            while not answered:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"turn {turn} ({kind}) not answered")
                event = session.wait_for(lambda e: isinstance(
                    e, rt.TranscriptCompletedEvent | rt.ConnectionEvent | rt.AgentEndEvent),
                    timeout=left)
                if isinstance(event, rt.ConnectionEvent) and event.status == "connected":
                    tally.connected_at.append(time.monotonic())
                elif isinstance(event, rt.TranscriptCompletedEvent) and \
                        event.role == "assistant" and marker in event.transcript:
                    tally.answers[turn] = tally.answers.get(turn, 0) + 1
                elif isinstance(event, rt.AgentEndEvent) and event.status == "completed" and \
                        tally.answers.get(turn):
                    answered = True  # the answering response is over: the next turn may go
    except Exception as exc:  # reported by the test, with the session's name
        tally.failures.append(f"{name}: {type(exc).__name__}: {exc}")


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("vad", [False, True], ids=["commit", "server-vad"])
@pytest.mark.parametrize("seed", SEEDS)
def test_chaos_soak(harness: Harness, seed: int, vad: bool) -> None:
    fds_before = _open_fds()
    sim = harness.start_sim(Scenario(tool_arguments=_tool_args, seed=seed))
    proxies: list[ChaosProxy] = []
    sessions: list[rt.Session] = []
    tallies = [Tally() for _ in range(SESSIONS)]
    settings = rt.SessionModelSettings(turn_detection=rt.TurnDetectionConfig(
        type="server_vad", silence_duration_ms=200) if vad else None)
    try:
        for index, tally in enumerate(tallies):
            proxy, url = ChaosProxy.for_ws_url(sim.ws_url, chaos_plan(seed * 100 + index),
                                               seed=seed * 100 + index)
            proxies.append(proxy)
            config = rt.RunConfig(model_settings=settings, reconnect=CHAOS, raw_events=False,
                                  tool_timeout_s=5)
            session = rt.run(_agents(tally), config=config,
                             model_config=rt.ModelConfig(url=url, api_key="sk-chaos",
                                                         ping_interval_s=0.1,
                                                         ping_timeout_s=0.3))
            sessions.append(session)
        threads = [threading.Thread(target=converse, args=(s, f"session {i}", t, vad),
                                    name=f"chaos-{i}")
                   for i, (s, t) in enumerate(zip(sessions, tallies, strict=True))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TURN_TIMEOUT_S * len(KINDS))
        assert not any(t.is_alive() for t in threads), "a session hung"
        failures = [f for t in tallies for f in t.failures]
        assert not failures, failures
        report = _check_and_report(seed, sessions, tallies, proxies)
        report["turns"] = "server VAD" if vad else "send_audio(commit=True)"
        print(json.dumps(report))
        out = os.environ.get("REALTIME_ACTORS_CHAOS_REPORT")
        if out:
            with Path(out).open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(report) + "\n")
    finally:
        for session in sessions:
            session.close()
        for proxy in proxies:
            proxy.stop()
    harness.release()
    harness.sims.clear()
    harness.sessions.clear()
    assert _open_fds() <= fds_before, "descriptors left open"


def _check_and_report(seed: int, sessions: list[rt.Session], tallies: list[Tally],
                      proxies: list[ChaosProxy]) -> dict[str, Any]:
    """Count what was lost, duplicated or run twice in each session, then assert none."""
    tool_turns = [turn for turn, kind in enumerate(KINDS) if kind == "tool"]
    expected_texts = [t for turn, kind in enumerate(KINDS) for t in (
        [f"text turn {turn}"] if kind == "text" else
        [f"please transfer money, turn {turn}"] if kind == "tool" else
        ["transfer me to the specialist"] if kind == "handoff" else [])]
    lost = duplicated = double_runs = repeated = 0
    problems: list[str] = []
    for index, (session, tally) in enumerate(zip(sessions, tallies, strict=True)):
        users = [i for i in session.history() if i.role == "user"]
        texts = [i.text for i in users if i.text]
        spoken = [i for i in users if i.has_audio]
        lost += sum(max(0, expected_texts.count(t) - texts.count(t)) for t in expected_texts)
        lost += max(0, KINDS.count("spoken") - len(spoken))
        lost += sum(1 for turn in range(len(KINDS)) if not tally.answers.get(turn))
        lost += sum(1 for turn in tool_turns if not tally.tool_runs.get(turn))
        duplicated += len(users) - len({i.item_id for i in users})
        duplicated += sum(max(0, texts.count(t) - expected_texts.count(t)) for t in set(texts))
        duplicated += max(0, len(spoken) - KINDS.count("spoken"))
        double_runs += sum(n - 1 for n in tally.tool_runs.values() if n > 1)
        double_runs += sum(1 for turn in tally.tool_runs if turn not in tool_turns)
        repeated += sum(n - 1 for n in tally.answers.values())
        if session.current_agent().name != "Specialist":
            problems.append(f"session {index}: the handoff did not stick")
        if texts != expected_texts:
            problems.append(f"session {index}: user texts {texts}")
    fired = [f for p in proxies for f in p.fired]
    recoveries: list[float] = []
    for proxy, tally in zip(proxies, tallies, strict=True):
        for fault in proxy.fired:
            after = [t for t in tally.connected_at if t >= fault.at]
            if after:
                recoveries.append(min(after) - fault.at)
    report = {
        "seed": seed,
        "faults_injected": len(fired),
        "kinds": sorted({f.label for f in fired}),
        "lost": lost,
        "duplicated": duplicated,
        "double_tool_runs": double_runs,
        "answers_repeated_after_a_cut": repeated,
        "recovery_median_s": round(statistics.median(recoveries), 3) if recoveries else None,
        "recovery_max_s": round(max(recoveries), 3) if recoveries else None,
    }
    assert (lost, duplicated, double_runs, problems) == (0, 0, 0, []), report
    return report
