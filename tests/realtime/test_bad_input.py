"""Bad input from every side of a session: broken server frames, unknown events, invalid
audio (from the server and from the user), failing and hanging tools, dead and slow
subscribers. Each case reports clearly and the session keeps working afterwards.

Server-side faults the simulator cannot produce go through a tampering proxy (real sockets,
see bad_input_support.py). Tests marked ``xfail(strict=True)`` name a gap in files owned by
others; they turn into failures once it is fixed, so the mark can then be removed.
"""

from __future__ import annotations

import base64
import logging
import queue
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import realtime_actors as rt
from realtime_actors.protocol.server_events_base import UnknownServerEvent
from realtime_actors.session.event_sink import EventSink
from realtime_actors.simulator import Scenario
from tests.realtime.bad_input_support import (
    Frame,
    LogWaiter,
    Rewrite,
    SlowCollector,
    TamperProxy,
    answered,
    appended_pcm,
    corrupt_first,
    get_weather,
    inject_after_first,
    paris,
    raising_tool,
    run_through,
    settled,
    tool_outputs,
    tool_session,
)
from tests.realtime.support import (
    API_KEY,
    WAIT_S,
    Harness,
    frames_of,
    of_type,
    text_settings,
    until,
)


@pytest.fixture
def tamper(harness: Harness) -> Iterator[Callable[[Rewrite], TamperProxy]]:
    """Start tampering proxies in front of the harness's simulator; sessions are closed before
    the proxies stop (so no session sees the proxy go away)."""
    proxies: list[TamperProxy] = []

    def start(rewrite: Rewrite) -> TamperProxy:
        proxy = TamperProxy(harness.sim.ws_url, rewrite).start()
        proxies.append(proxy)
        return proxy

    yield start
    for session in harness.sessions:
        session.close()
    for proxy in proxies:
        proxy.stop()


# ---------------------------------------------------------------------- broken server frames

BROKEN_FRAMES = [
    pytest.param("this is {not json", "not JSON", id="malformed-json"),
    pytest.param(b'{"type": "response.done", "note": "\xff\xfe"}', "UTF-8", id="non-utf8"),
    pytest.param("[1, 2, 3]", "not a JSON object", id="json-array"),
    pytest.param('{"event_id": "evt_bad", "delta": "hi"}', "no type", id="no-type"),
    pytest.param({"type": "response.output_text.delta", "event_id": "evt_bad", "delta": "hi"},
                 "'response_id'", id="known-type-missing-field"),
    pytest.param({"type": "conversation.item.deleted", "event_id": "evt_bad", "item_id": 42},
                 "'item_id' must be a string, got int", id="known-type-wrong-scalar"),
    pytest.param({"type": "response.done", "event_id": "evt_bad", "response": "oops"},
                 "'response' must be a JSON object", id="known-type-wrong-object"),
    pytest.param({"type": "error", "event_id": "evt_bad"}, "'error'", id="error-without-error"),
]


@pytest.mark.parametrize(("frame", "reason"), BROKEN_FRAMES)
def test_broken_server_frame_is_a_protocol_error_and_the_session_goes_on(
    harness: Harness, tamper: Callable[[Rewrite], TamperProxy], frame: Frame, reason: str
) -> None:
    proxy = tamper(inject_after_first("session.created", [frame]))
    session = run_through(harness, proxy, rt.agent("Echo"), model_settings=text_settings())
    before = until(session, rt.ErrorEvent)
    error = before[-1]
    assert (error.source, error.code, error.recoverable) == ("protocol", "malformed_frame", True)
    assert reason in error.message
    assert API_KEY not in error.message
    assert not of_type(before, rt.SessionEndedEvent)
    assert proxy.injected == 1

    answered(session, "still fine?")
    answered(session, "and again")
    assert session.is_alive()


# ---------------------------------------------------------------------- unknown event types

UNKNOWN_EVENTS: list[dict[str, Any]] = [
    {"type": "response.future_feature.delta", "event_id": "evt_u1", "payload": {"x": 1}},
    {"type": "response.future_feature.delta", "event_id": "evt_u2", "payload": {"x": 2}},
    {"type": "conversation.brand_new", "event_id": "evt_u3"},
]


@pytest.mark.parametrize("raw_events", [False, True], ids=["raw-off", "raw-on"])
def test_unknown_event_types_are_ignored_with_a_warning_not_an_error(
    harness: Harness, tamper: Callable[[Rewrite], TamperProxy], caplog: pytest.LogCaptureFixture,
    raw_events: bool,
) -> None:
    # The server may add event types at any time: an unknown type is not an error. It is
    # logged once per type, reaches raw-event subscribers as is, and changes nothing else.
    proxy = tamper(inject_after_first("session.created", UNKNOWN_EVENTS))
    with caplog.at_level(logging.WARNING, logger="realtime_actors"):
        session = run_through(harness, proxy, rt.agent("Echo"), model_settings=text_settings(),
                              raw_events=raw_events)
        session.send_message("hello")
        events = until(session, rt.AgentEndEvent)
    assert events[-1].status == "completed"
    assert of_type(events, rt.TranscriptCompletedEvent)[-1].transcript == "You said: hello"
    assert not of_type(events, rt.ErrorEvent)
    unknown = [r.event for r in of_type(events, rt.RawModelEvent)
               if isinstance(r.event, UnknownServerEvent)]
    if raw_events:
        assert [(u.type, u.event_id, u.raw) for u in unknown] == [
            (e["type"], e["event_id"], e) for e in UNKNOWN_EVENTS]
    else:
        assert not of_type(events, rt.RawModelEvent)
    warned = [r.getMessage() for r in caplog.records if "unknown type" in r.getMessage()]
    assert len(warned) == 2
    assert "'response.future_feature.delta'" in warned[0]
    assert "'conversation.brand_new'" in warned[1]
    answered(session, "again")
    assert session.is_alive()


# ---------------------------------------------------------------------- invalid output audio


@pytest.mark.parametrize("bad_delta", ["%%% not base64 %%%", "QUJDRA=", "QUJD RA=="],
                         ids=["alphabet", "padding", "whitespace"])
def test_invalid_base64_audio_delta_is_reported_and_the_rest_of_the_audio_flows(
    harness: Harness, tamper: Callable[[Rewrite], TamperProxy], bad_delta: str
) -> None:
    proxy = tamper(corrupt_first("response.output_audio.delta",
                                 lambda e: {**e, "event_id": "evt_corrupt", "delta": bad_delta}))
    session = run_through(harness, proxy, rt.agent("Speaker"))
    session.send_message("say something")
    events = until(session, rt.AgentEndEvent)
    response_id = of_type(events, rt.AgentStartEvent)[0].response_id

    errors = of_type(events, rt.ErrorEvent)
    assert [(e.source, e.code, e.response_id, e.recoverable) for e in errors] == [
        ("protocol", "invalid_audio", response_id, True)]
    assert "invalid audio delta" in errors[0].message
    assert events[-1].status == "completed"
    assert of_type(events, rt.TranscriptCompletedEvent)[-1].transcript == (
        "You said: say something")
    # every valid delta still arrived, in order (only the corrupt copy was dropped)
    sent = [base64.b64decode(e["delta"]) for e in harness.sim.server_events()
            if e["type"] == "response.output_audio.delta"]
    received = [a.data for a in of_type(events, rt.AudioEvent)]
    assert received == sent
    assert of_type(events, rt.AudioEndEvent)

    answered(session, "and now?")
    assert session.is_alive()


# ---------------------------------------------------------------------- invalid user audio

BAD_USER_AUDIO = [
    pytest.param(b"\x01\x02\x03", "odd-length", id="odd-length-bytes"),
    pytest.param(bytearray(b"\x01"), "odd-length", id="odd-length-bytearray"),
    pytest.param(np.zeros(480, dtype=np.int32), "int32", id="int32"),
    pytest.param(np.zeros(480, dtype=np.uint8), "uint8", id="uint8"),
    pytest.param(np.zeros(480, dtype=np.float16), "float16", id="float16"),
    pytest.param(np.zeros(480, dtype=np.complex64), "complex64", id="complex64"),
    pytest.param(np.zeros((480, 2), dtype=np.int16), "shape (480, 2)", id="stereo-int16"),
    pytest.param(np.zeros((4, 4, 1), dtype=np.float32), "shape (4, 4, 1)", id="3d-float32"),
    pytest.param(np.array([0.0, np.nan], dtype=np.float32), "NaN", id="nan-float32"),
    pytest.param(np.array([0.0, np.inf]), "infinity", id="inf-float64"),
    pytest.param([0, 1, 2, 3], "list", id="python-list"),
    pytest.param("AAAA", "str", id="base64-string"),
]


@pytest.mark.parametrize(("audio", "reason"), BAD_USER_AUDIO)
def test_invalid_user_audio_raises_at_the_call_and_sends_nothing(
    harness: Harness, audio: Any, reason: str
) -> None:
    session = harness.run(rt.agent("Echo"), model_settings=text_settings(turn_detection=None))
    with pytest.raises(rt.AudioFormatError, match=re.escape(reason)) as caught:
        session.send_audio(audio, commit=True)
    assert isinstance(caught.value, rt.RealtimeError)

    good = np.arange(-240, 240, dtype=np.int16)
    session.send_audio(good)
    answered(session, "text after bad audio")
    # only the good audio reached the server, and no commit was sent for the bad call
    assert appended_pcm(harness.sim) == [good.astype("<i2").tobytes()]
    assert not frames_of(harness.sim, "input_audio_buffer.commit")
    assert session.is_alive()


def test_float64_and_single_column_audio_are_accepted_and_converted(harness: Harness) -> None:
    # float64 is a supported float format of the protocol core (scaled like float32), and an
    # (n, 1) array is mono: neither is a wrong dtype or shape
    session = harness.run(rt.agent("Echo"), model_settings=text_settings(turn_detection=None))
    session.send_audio(np.array([0.5, -0.5, 2.0], dtype=np.float64))
    session.send_audio(np.array([[1], [-2]], dtype=np.int16))
    answered(session, "converted")
    expected = [np.array([16384, -16384, 32767], dtype="<i2").tobytes(),
                np.array([1, -2], dtype="<i2").tobytes()]
    assert appended_pcm(harness.sim) == expected


def test_bad_user_calls_raise_typed_errors_and_the_session_goes_on(harness: Harness) -> None:
    session = harness.run(rt.agent("Echo"), model_settings=text_settings())
    with pytest.raises(rt.ConfigError):
        session.send_message(123)  # type: ignore[arg-type]
    with pytest.raises(rt.ConfigError, match="'type'"):
        session.send_message({"role": "user"})
    with pytest.raises(rt.ConfigError, match="'type'"):
        session.send_raw_event({"event_id": "no type"})
    with pytest.raises(rt.ConfigError):
        session.update_session({"voice": 42})  # type: ignore[arg-type]
    answered(session, "after the bad calls")
    assert session.is_alive()


# ---------------------------------------------------------------------- tools


TOOL_ERRORS = [
    pytest.param(ValueError("no such city"), "Error: ValueError: no such city", id="ValueError"),
    pytest.param(SystemExit(3), "Error: SystemExit: 3", id="SystemExit"),
]


@pytest.mark.parametrize(("error", "output"), TOOL_ERRORS)
def test_tool_that_raises_sends_an_error_output_and_the_session_goes_on(
    harness: Harness, error: BaseException, output: str
) -> None:
    session = tool_session(harness, [raising_tool(error)])
    session.send_message("please broken lookup the forecast")
    before = until(session, rt.ToolStartEvent)
    calling = of_type(before, rt.AgentStartEvent)[0].response_id
    start = before[-1]
    end = session.wait_for(rt.ToolEndEvent, WAIT_S)
    assert (end.call_id, end.tool_name, end.ok, end.output) == (
        start.call_id, "broken_lookup", False, output)
    follow_up = until(session, lambda e: isinstance(e, rt.AgentEndEvent)
                      and e.response_id != calling)
    assert follow_up[-1].status == "completed"
    assert of_type(follow_up, rt.TranscriptCompletedEvent)[-1].transcript == (
        f"The tool returned: {output}")
    assert tool_outputs(harness.sim, start.call_id) == [output]
    answered(session, "are you still there")
    assert session.is_alive()


def test_non_cooperative_tool_past_its_timeout_gets_a_timeout_output_and_leaks_nothing(
    harness: Harness,
) -> None:
    release = threading.Event()
    stuck_thread: list[threading.Thread] = []

    @rt.function_tool
    def stuck_lookup(city: str) -> str:
        """Ignores cancellation: returns only when the test releases it."""
        stuck_thread.append(threading.current_thread())
        release.wait(WAIT_S)
        return "too late"

    late = LogWaiter("late result discarded")
    executor_log = logging.getLogger("realtime_actors.tools.executor")
    executor_log.addHandler(late)
    try:
        session = tool_session(harness, [stuck_lookup, get_weather], tool_timeout_s=0.2)
        session.send_message("run the stuck lookup")
        start = session.wait_for(rt.ToolStartEvent, WAIT_S)
        end = session.wait_for(rt.ToolEndEvent, WAIT_S)
        assert (end.call_id, end.ok) == (start.call_id, False)
        assert end.output.startswith("Error:") and "timed out" in end.output
        session.wait_for(lambda e: isinstance(e, rt.TranscriptCompletedEvent)
                         and e.transcript == f"The tool returned: {end.output}", WAIT_S)
        session.wait_for(rt.AgentEndEvent, WAIT_S)

        # while the stuck call still holds its thread: text turns and other tools work
        answered(session, "are you there")
        session.send_message("what is the get weather today")
        weather = session.wait_for(rt.ToolEndEvent, WAIT_S)
        assert (weather.tool_name, weather.ok, weather.output) == (
            "get_weather", True, "Sunny in Paris")
        session.wait_for(lambda e: isinstance(e, rt.TranscriptCompletedEvent)
                         and e.transcript == "The tool returned: Sunny in Paris", WAIT_S)
        assert session.wait_for(rt.AgentEndEvent, WAIT_S).status == "completed"
        assert stuck_thread[0].is_alive()
        assert not release.is_set()

        # the late result is logged and discarded: no second output for the timed-out call
        release.set()
        assert late.seen.wait(WAIT_S)
        stuck_thread[0].join(WAIT_S)
        assert not stuck_thread[0].is_alive()
        events = answered(session, "anything else")
        assert not of_type(events, rt.ToolEndEvent)
        assert tool_outputs(harness.sim, start.call_id) == [end.output]
    finally:
        executor_log.removeHandler(late)
    assert session.is_alive()


def _is_function_call(event: dict[str, Any]) -> bool:
    return event["item"].get("type") == "function_call"


@pytest.mark.parametrize("missing", ["call_id", "name"])
def test_function_call_item_without_call_id_or_name_is_reported_and_not_run(
    harness: Harness, tamper: Callable[[Rewrite], TamperProxy], missing: str
) -> None:
    def broken(event: dict[str, Any]) -> dict[str, Any]:
        item = {k: v for k, v in event["item"].items() if k != missing}
        return {**event, "event_id": "evt_corrupt", "item": {**item, "id": "item_broken"}}

    harness.start_sim(Scenario(tool_arguments=paris))  # the first simulator: the proxy's
    proxy = tamper(corrupt_first("response.output_item.done", broken, when=_is_function_call))
    session = run_through(harness, proxy, rt.agent("Weather", tools=[get_weather]),
                          model_settings=text_settings())
    session.send_message("what is the get weather today")
    events = until(session, rt.ToolEndEvent)
    calling = of_type(events, rt.AgentStartEvent)[0].response_id
    errors = of_type(events, rt.ErrorEvent)
    assert [(e.source, e.code, e.response_id) for e in errors] == [
        ("protocol", "invalid_item", calling)]
    # the broken copy ran nothing; the real call that followed it ran once
    assert [s.call_id for s in of_type(events, rt.ToolStartEvent)] == [events[-1].call_id]
    assert (events[-1].ok, events[-1].output) == (True, "Sunny in Paris")
    follow_up = until(session, lambda e: isinstance(e, rt.AgentEndEvent)
                      and e.response_id != calling)
    assert follow_up[-1].status == "completed"
    answered(session, "thanks")




@pytest.mark.parametrize("kind", ["raises", "times-out"])
def test_failed_tool_is_also_an_error_event(harness: Harness, kind: str) -> None:
    @rt.function_tool
    def slow_lookup(ctx: rt.ToolContext, city: str) -> str:
        """Waits until cancelled."""
        ctx.cancelled.wait(WAIT_S)
        return "too late"

    tool = raising_tool(ValueError("no such city")) if kind == "raises" else slow_lookup
    session = tool_session(harness, [tool], tool_timeout_s=0.2)
    session.send_message(f"use the {tool.name.replace('_', ' ')}")
    events = until(session, rt.ToolEndEvent)
    events += until(session, rt.AgentEndEvent)
    errors = of_type(events, rt.ErrorEvent)
    code = "tool_error" if kind == "raises" else "tool_timeout"
    assert [(e.source, e.code, e.recoverable) for e in errors] == [("tool", code, True)]


# ---------------------------------------------------------------------- subscribers


def test_dead_listener_subscribed_is_dropped_with_one_warning(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    live, dead = harness.listener(), harness.listener()
    dead.stop()
    session = harness.run(rt.agent("Echo"), model_settings=text_settings(),
                          subscribers=(live.ref,))
    with caplog.at_level(logging.WARNING, logger="realtime_actors"):
        session.subscribe(dead.ref)
        session.send_message("anyone there")
        first = until(session, rt.AgentEndEvent)
        assert first[-1].status == "completed"
        answered(session, "still here")  # dropped already: nothing more to report
    assert session.is_alive()
    warnings = [r for r in caplog.records if "dead subscriber" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    received = settled(session, live)
    assert [e.transcript for e in of_type(received, rt.TranscriptCompletedEvent)] == [
        "You said: anyone there", "You said: still here"]


def test_dead_listener_is_reported_as_an_error_event(harness: Harness) -> None:
    dead = harness.listener()
    dead.stop()
    session = harness.run(rt.agent("Echo"), model_settings=text_settings())
    session.subscribe(dead.ref)
    session.send_message("anyone there")
    events = until(session, rt.AgentEndEvent)
    errors = of_type(events, rt.ErrorEvent)
    assert [(e.source, e.code, e.recoverable) for e in errors] == [
        ("subscriber", "subscriber_dead", True)]


def test_slow_subscriber_delays_no_one_and_loses_nothing(harness: Harness) -> None:
    gate, holding = threading.Event(), threading.Event()
    slow_inbox: queue.Queue[Any] = queue.Queue()
    slow = harness.track(SlowCollector.start(slow_inbox, gate, 0.002, holding))
    fast = harness.listener()
    session = harness.run(rt.agent("Echo"), model_settings=text_settings(),
                          subscribers=(slow, fast.ref))
    assert holding.wait(WAIT_S)  # the slow one sits on its very first event

    # the session, its event stream and the other subscriber go on without waiting for it
    for text in ("one", "two", "three"):
        answered(session, text)
    fast_seen = settled(session, fast)
    assert [e.transcript for e in of_type(fast_seen, rt.TranscriptCompletedEvent)] == [
        "You said: one", "You said: two", "You said: three"]
    assert slow_inbox.empty()
    assert session.is_alive()

    gate.set()
    session.close()
    fast.wait_for(rt.SessionEndedEvent, collect=fast_seen)
    slow_seen: list[Any] = []
    while not isinstance(message := slow_inbox.get(timeout=WAIT_S), rt.SessionEndedEvent):
        slow_seen.append(message)
    # the slow subscriber got every event too, the same objects in the same order
    assert len(slow_seen) == len(fast_seen)
    assert all(a is b for a, b in zip(slow_seen, fast_seen, strict=True))
    assert len(of_type(slow_seen, rt.AgentEndEvent)) == 3


# ---------------------------------------------------------------------- Session.events buffer


@pytest.mark.parametrize("size", [-1, 2.5, True, "10"])
def test_invalid_event_buffer_size_is_refused_before_anything_starts(
    harness: Harness, size: Any
) -> None:
    with pytest.raises(rt.ConfigError, match="event_buffer"):
        EventSink(size)
    config = rt.RunConfig(model_settings=text_settings(), event_buffer=size)
    with pytest.raises(rt.ConfigError, match="event_buffer"):
        rt.run(rt.agent("Echo"), config=config,
               model_config=rt.ModelConfig(url=harness.sim.ws_url, api_key=API_KEY))
    assert not harness.sim.connections


def test_event_buffer_zero_keeps_nothing_and_says_so(harness: Harness) -> None:
    listener = harness.listener()
    session = harness.run(rt.agent("Echo"), model_settings=text_settings(), event_buffer=0,
                          subscribers=(listener.ref,), wait_connected=False)
    session.send_message("hello")
    ended = listener.wait_for(lambda m: isinstance(m, rt.AgentEndEvent))
    assert ended.status == "completed"  # the subscriber gets everything
    with pytest.raises(rt.ConfigError, match="event_buffer=0"):
        next(session.events(timeout=0.1))
    session.close()
    assert session.wait_ended(WAIT_S)


def test_unread_event_buffer_drops_the_oldest_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = EventSink(3)
    events = [rt.ConnectionEvent(status="connected", attempt=n) for n in range(5)]
    with caplog.at_level(logging.WARNING, logger="realtime_actors"):
        for event in events:
            sink.put(event)
    assert sink.dropped == 2
    # the reader is told where and how many events went missing, then gets the rest
    assert [sink.get(0) for _ in range(4)] == [rt.EventsDroppedEvent(count=2), *events[2:]]
    assert sink.get(0) is None
    assert sum("buffer full" in r.getMessage() for r in caplog.records) == 1
