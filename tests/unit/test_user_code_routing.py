"""Where the session handles a message: its predicates (``GuardrailChecker.check_due``,
``SessionCore.events_call_user_code`` and ``settings_call_user_code``) must say True whenever
handling the message calls user code, or that code would run on the reactor thread."""

from __future__ import annotations

import random
from typing import Any

import realtime_actors as rt
from realtime_actors.agents.guardrails import GuardrailChecker, GuardrailInput
from realtime_actors.protocol.parser import parse_server_event
from realtime_actors.session.core.session_core import SessionCore


def core_of(agent: rt.RealtimeAgent, **config: Any) -> SessionCore:
    return SessionCore(agent, rt.RunConfig(**config), clock=lambda: 0.0)


def event(kind: str, **fields: Any) -> Any:
    return parse_server_event({"type": kind, "event_id": "ev", **fields})


def delta(response_id: str, text: str, kind: str = "response.output_audio_transcript.delta") -> Any:
    return event(kind, response_id=response_id, item_id="item_1", output_index=0,
                 content_index=0, delta=text)


def done(response_id: str, text: str = "") -> Any:
    return event("response.output_audio_transcript.done", response_id=response_id,
                 item_id="item_1", output_index=0, content_index=0, transcript=text)


def call_done(name: str) -> Any:
    return event("response.output_item.done", response_id="resp_1", output_index=0,
                 item={"id": "item_9", "type": "function_call", "status": "completed",
                       "call_id": "call_1", "name": name, "arguments": "{}"})


def test_check_due_predicts_every_guardrail_run_of_feed_and_finish() -> None:
    runs: list[str] = []

    def guard(data: GuardrailInput) -> bool:
        runs.append(data.text)
        return False

    rng = random.Random(7)
    for _ in range(50):
        checker = GuardrailChecker([guard], debounce_chars=rng.randint(1, 30))
        for _ in range(rng.randint(0, 20)):
            text = "x" * rng.randint(0, 12)
            due = checker.check_due("r", len(text))
            before = len(runs)
            checker.feed("r", text)
            assert due == (len(runs) > before)
        due = checker.check_due("r", final=True)
        before = len(runs)
        checker.finish("r")
        assert due == (len(runs) > before)
        assert not checker.check_due("r", 1000)  # finished: nothing runs any more


def test_a_batch_of_deltas_that_crosses_the_debounce_together_calls_user_code() -> None:
    core = core_of(rt.agent("Speaker", output_guardrails=[lambda _d: False]),
                   guardrail_debounce_chars=10)
    assert not core.events_call_user_code([delta("resp_1", "abcd")])
    assert not core.events_call_user_code([delta("resp_1", "efgh")])
    assert core.events_call_user_code([delta("resp_1", "abcd"), delta("resp_1", "efgh"),
                                       delta("resp_1", "ij")])
    assert not core.events_call_user_code([delta("resp_1", "abcd"), delta("resp_2", "efghij")])
    assert core.events_call_user_code([delta("resp_1", "ab", "response.output_text.delta"),
                                       done("resp_1")])


def test_no_guardrails_and_plain_tools_call_no_user_code_in_the_session() -> None:
    @rt.function_tool
    def lookup(city: str) -> str:
        """Look a city up."""
        return city

    core = core_of(rt.agent("Plain", instructions="Be brief.", tools=[lookup]))
    assert not core.events_call_user_code([delta("resp_1", "x" * 500), done("resp_1"),
                                           call_done("lookup")])
    assert not core.settings_call_user_code()


def test_a_completed_handoff_call_and_dynamic_settings_call_user_code() -> None:
    expert = rt.agent("Expert")
    core = core_of(rt.agent("Greeter", handoffs=[expert]))
    assert core.events_call_user_code([call_done("transfer_to_expert")])
    assert not core.events_call_user_code([call_done("transfer_to_nobody")])
    assert not core.settings_call_user_code()  # a plain handoff calls nothing of the user's
    assert core_of(rt.agent("Dyn", instructions=lambda: "hi")).settings_call_user_code()
    gated = rt.handoff(expert, is_enabled=lambda: True)
    assert core_of(rt.agent("Gated", handoffs=[gated])).settings_call_user_code()


def test_random_batches_never_run_a_guardrail_the_predicate_did_not_announce() -> None:
    calls: list[int] = []

    def guard(_data: GuardrailInput) -> bool:
        calls.append(1)
        return False

    rng = random.Random(11)
    for _ in range(30):
        core = core_of(rt.agent("Speaker", output_guardrails=[guard]),
                       guardrail_debounce_chars=rng.randint(1, 40))
        responses = ["resp_a", "resp_b"]
        for _ in range(rng.randint(1, 15)):
            batch = []
            for _ in range(rng.randint(1, 6)):
                response_id = rng.choice(responses)
                roll = rng.random()
                if roll < 0.8:
                    batch.append(delta(response_id, "w" * rng.randint(0, 15)))
                elif roll < 0.9:
                    batch.append(done(response_id))
                else:
                    batch.append(event("response.done", response={"id": response_id,
                                                                  "status": "completed"}))
            predicted = core.events_call_user_code(batch)
            before = len(calls)
            for item in batch:
                core.on_server_event(item)
            if len(calls) > before:
                assert predicted, "a guardrail ran in a batch predicted free of user code"
