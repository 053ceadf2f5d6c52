"""A bounded soak test: several concurrent sessions, many turns, random connection faults.

Every user message must be answered: the test counts messages sent against messages answered
and fails on any loss. Faults are drawn from a seeded generator, so a failure reproduces.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

import realtime_actors as rt
from realtime_actors.simulator import FaultPlan, Scenario
from tests.realtime.support import WAIT_S, Harness, text_settings

SESSIONS = 4
TURNS = 8
SEED = 20261121


def random_faults(seed: int) -> Callable[[int], FaultPlan | None]:
    """About half the connections get a fault somewhere in their first events."""
    lock = threading.Lock()
    rng = random.Random(seed)

    def plan(_index: int) -> FaultPlan | None:
        with lock:
            roll = rng.random()
            after = rng.randint(3, 40)
            code = rng.choice((1011, 1012, 1013))
        if roll < 0.2:
            return FaultPlan(drop_after_events=after)
        if roll < 0.35:
            return FaultPlan(close_code=code, close_after_events=after)
        if roll < 0.45:
            return FaultPlan(expire_after_events=after)
        if roll < 0.5:
            return FaultPlan(drop_mid_response=True)
        return None

    return plan


def converse(session: rt.Session, name: str, answered: list[str], failures: list[str]) -> None:
    """Send TURNS messages one after another, each after the previous was answered."""
    try:
        for turn in range(TURNS):
            text = f"{name} message {turn}"
            session.send_message(text)
            session.wait_for(
                lambda e, t=text: isinstance(e, rt.TranscriptCompletedEvent)
                and e.role == "assistant" and e.transcript == f"You said: {t}",
                timeout=3 * WAIT_S,
            )
            answered.append(text)
    except Exception as exc:  # reported by the test below, with the session's name
        failures.append(f"{name}: {type(exc).__name__}: {exc}")


def test_many_turns_across_sessions_with_random_faults_lose_nothing(harness: Harness) -> None:
    sim = harness.start_sim(Scenario(faults=random_faults(SEED), seed=SEED))
    policy = rt.ReconnectPolicy(max_attempts=100, initial_delay_s=0.01, max_delay_s=0.05)
    sessions = [harness.run(rt.agent("Echo"), model_settings=text_settings(), reconnect=policy,
                            wait_connected=False) for _ in range(SESSIONS)]
    answered: list[str] = []
    failures: list[str] = []
    threads = [threading.Thread(target=converse, args=(s, f"s{i}", answered, failures))
               for i, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads)
    assert failures == []
    sent = SESSIONS * TURNS
    assert len(answered) == sent, f"{sent - len(answered)} of {sent} messages were lost"
    # the faults really happened: more connections than sessions
    assert len(sim.connections) > SESSIONS
    for session in sessions:
        assert session.is_alive()
