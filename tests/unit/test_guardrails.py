"""Tests for realtime_actors.agents.guardrails: debounced, once-per-response output guardrails."""

from __future__ import annotations

import logging

import pytest

from realtime_actors.agents.guardrails import (
    GuardrailChecker,
    GuardrailInput,
    GuardrailResult,
    GuardrailTrip,
    OutputGuardrail,
)
from realtime_actors.errors import ConfigError


class Recorder:
    """A guardrail function that records the texts it saw and trips on a banned word."""

    def __init__(self, banned: str = "forbidden", info: str | None = None) -> None:
        self.seen: list[GuardrailInput] = []
        self.banned = banned
        self.info = info

    def __call__(self, data: GuardrailInput) -> GuardrailResult:
        self.seen.append(data)
        return GuardrailResult(tripped=self.banned in data.text, info=self.info)


def test_no_check_until_text_grows_by_debounce_chars() -> None:
    recorder = Recorder()
    checker = GuardrailChecker([OutputGuardrail(recorder, "words")], debounce_chars=10)
    assert checker.feed("resp_1", "abcd") == []
    assert checker.feed("resp_1", "efghi") == []
    assert recorder.seen == []
    assert checker.feed("resp_1", "j") == []  # 10 chars: first check
    assert [d.text for d in recorder.seen] == ["abcdefghij"]
    assert checker.feed("resp_1", "k" * 9) == []  # 9 more: not yet
    assert len(recorder.seen) == 1
    assert checker.feed("resp_1", "l") == []  # 10 more since the last check
    assert [len(d.text) for d in recorder.seen] == [10, 20]


def test_one_large_delta_crossing_many_thresholds_runs_once_and_resets_baseline() -> None:
    recorder = Recorder()
    checker = GuardrailChecker([recorder], debounce_chars=10)
    checker.feed("resp_1", "x" * 35)
    assert len(recorder.seen) == 1
    checker.feed("resp_1", "y")  # 36: only 1 char since the last check
    assert len(recorder.seen) == 1
    checker.feed("resp_1", "z" * 9)
    assert [len(d.text) for d in recorder.seen] == [35, 45]


def test_trip_reports_name_text_info_and_response() -> None:
    checker = GuardrailChecker(
        [OutputGuardrail(Recorder(info="banned word"), name="no-forbidden")], debounce_chars=5
    )
    trips = checker.feed("resp_1", "this is forbidden")
    assert trips == [
        GuardrailTrip(
            guardrail_name="no-forbidden",
            response_id="resp_1",
            text="this is forbidden",
            info="banned word",
            error=None,
        )
    ]


def test_response_trips_at_most_once() -> None:
    recorder = Recorder()
    checker = GuardrailChecker([recorder], debounce_chars=5)
    assert len(checker.feed("resp_1", "forbidden!")) == 1
    assert checker.feed("resp_1", " more forbidden text") == []
    assert checker.finish("resp_1") == []
    assert len(recorder.seen) == 1


def test_every_tripping_guardrail_is_reported_in_the_same_check() -> None:
    checker = GuardrailChecker(
        [
            OutputGuardrail(lambda d: "a" in d.text, "has-a"),
            OutputGuardrail(lambda d: "zzz" in d.text, "has-zzz"),
            OutputGuardrail(lambda d: "b" in d.text, "has-b"),
        ],
        debounce_chars=3,
    )
    trips = checker.feed("resp_1", "abc")
    assert [t.guardrail_name for t in trips] == ["has-a", "has-b"]
    assert all(t.info is None for t in trips)


def test_finish_checks_the_complete_text() -> None:
    recorder = Recorder()
    checker = GuardrailChecker([recorder], debounce_chars=100)
    checker.feed("resp_1", "short but ")
    checker.feed("resp_1", "forbidden")
    trips = checker.finish("resp_1")
    assert [t.text for t in trips] == ["short but forbidden"]


def test_finish_skips_text_that_was_already_checked_and_empty_text() -> None:
    recorder = Recorder()
    checker = GuardrailChecker([recorder], debounce_chars=5)
    checker.feed("resp_1", "12345")
    assert checker.finish("resp_1") == []
    assert len(recorder.seen) == 1
    assert checker.finish("resp_empty") == []
    assert len(recorder.seen) == 1


def test_feed_after_finish_is_ignored_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    recorder = Recorder()
    checker = GuardrailChecker([recorder], debounce_chars=5)
    checker.finish("resp_1")
    with caplog.at_level(logging.WARNING, logger="realtime_actors.agents.guardrails"):
        assert checker.feed("resp_1", "forbidden forbidden") == []
    assert recorder.seen == []
    assert "resp_1" in caplog.text


def test_reset_forgets_a_response() -> None:
    checker = GuardrailChecker([Recorder()], debounce_chars=5)
    assert len(checker.feed("resp_1", "forbidden")) == 1
    checker.reset("resp_1")
    assert len(checker.feed("resp_1", "forbidden")) == 1
    checker.reset("never-seen")  # no error


def test_responses_are_independent() -> None:
    recorder = Recorder()
    checker = GuardrailChecker([recorder], debounce_chars=6)
    checker.feed("resp_1", "abc")
    checker.feed("resp_2", "forbid")
    assert [d.text for d in recorder.seen] == ["forbid"]
    assert checker.finish("resp_1") == []
    assert [d.text for d in recorder.seen] == ["forbid", "abc"]


def test_agent_name_reaches_the_guardrail() -> None:
    recorder = Recorder()
    checker = GuardrailChecker([recorder], debounce_chars=3)
    checker.feed("resp_1", "abc", agent_name="support")
    checker.feed("resp_2", "abc")
    assert [d.agent_name for d in recorder.seen] == ["support", None]


def test_bool_results_and_default_name() -> None:
    def no_swearing(data: GuardrailInput) -> bool:
        return "darn" in data.text

    checker = GuardrailChecker([no_swearing], debounce_chars=4)
    assert checker.feed("resp_1", "fine") == []
    trips = checker.feed("resp_2", "oh darn")
    assert [t.guardrail_name for t in trips] == ["no_swearing"]


def test_same_guardrail_object_is_run_once() -> None:
    recorder = Recorder()
    guardrail = OutputGuardrail(recorder, "g")
    checker = GuardrailChecker([guardrail, guardrail], debounce_chars=3)
    checker.feed("resp_1", "abc")
    assert len(recorder.seen) == 1
    assert checker.guardrails == (guardrail,)


def broken(data: GuardrailInput) -> bool:
    raise RuntimeError("classifier down")


def test_raising_guardrail_fails_open_by_default_and_logs_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder = Recorder()
    checker = GuardrailChecker([OutputGuardrail(broken, "flaky"), recorder], debounce_chars=3)
    with caplog.at_level(logging.WARNING, logger="realtime_actors.agents.guardrails"):
        assert checker.feed("resp_1", "abc") == []
        trips = checker.feed("resp_1", "forbidden")
    assert [t.guardrail_name for t in trips] == [recorder.__class__.__name__]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "flaky" in warnings[0].getMessage()
    assert "classifier down" in warnings[0].getMessage()
    assert warnings[0].exc_info is not None


def test_raising_guardrail_trips_when_fail_closed(caplog: pytest.LogCaptureFixture) -> None:
    checker = GuardrailChecker(
        [OutputGuardrail(broken, "flaky")], debounce_chars=3, fail_closed=True
    )
    with caplog.at_level(logging.WARNING, logger="realtime_actors.agents.guardrails"):
        trips = checker.feed("resp_1", "abc")
    assert trips == [
        GuardrailTrip(
            guardrail_name="flaky",
            response_id="resp_1",
            text="abc",
            info=None,
            error="RuntimeError: classifier down",
        )
    ]
    assert "flaky" in caplog.text
    assert checker.feed("resp_1", "more text") == []


@pytest.mark.parametrize("fail_closed", [False, True])
def test_wrong_return_type_is_treated_as_a_failure(fail_closed: bool) -> None:
    checker = GuardrailChecker(
        [OutputGuardrail(lambda d: "yes", "sloppy")], debounce_chars=1, fail_closed=fail_closed
    )
    trips = checker.feed("resp_1", "x")
    if fail_closed:
        assert len(trips) == 1
        assert trips[0].error is not None
        assert "ConfigError" in trips[0].error
    else:
        assert trips == []


def test_output_guardrail_run_normalises_and_validates() -> None:
    data = GuardrailInput(agent_name=None, text="t")
    assert OutputGuardrail(lambda d: True).run(data) == GuardrailResult(tripped=True)
    with pytest.raises(ConfigError, match="returned str"):
        OutputGuardrail(lambda d: "no", "n").run(data)


@pytest.mark.parametrize("bad", [0, -5, 1.5, True])
def test_bad_debounce_is_config_error(bad: object) -> None:
    with pytest.raises(ConfigError):
        GuardrailChecker([], debounce_chars=bad)  # type: ignore[arg-type]


def test_bad_construction_and_inputs_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        GuardrailChecker(["not callable"])  # type: ignore[list-item]
    with pytest.raises(ConfigError):
        OutputGuardrail(42)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        OutputGuardrail(Recorder(), name="  ")
    checker = GuardrailChecker([Recorder()])
    with pytest.raises(ConfigError):
        checker.feed("", "text")
    with pytest.raises(ConfigError):
        checker.feed("resp_1", None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        checker.finish(None)  # type: ignore[arg-type]


def test_clear_forgets_everything() -> None:
    checker = GuardrailChecker([Recorder()], debounce_chars=5)
    assert len(checker.feed("resp_1", "forbidden")) == 1
    checker.clear()
    assert len(checker.feed("resp_1", "forbidden")) == 1


def test_closed_responses_are_bounded() -> None:
    recorder = Recorder()
    checker = GuardrailChecker([recorder], debounce_chars=5)
    assert len(checker.feed("resp_0", "forbidden")) == 1
    for n in range(1, 400):
        checker.finish(f"resp_{n}")
    # resp_0's trip mark was evicted, so it is treated as a new response.
    assert len(checker.feed("resp_0", "forbidden")) == 1
    assert checker.feed("resp_399", "forbidden") == []  # still remembered as finished
