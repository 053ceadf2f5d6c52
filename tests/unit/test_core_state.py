"""The session core's state objects on their own: pure, no sockets, no core around them."""

from __future__ import annotations

from typing import Any

import pytest

import realtime_actors as rt
from realtime_actors.agents.agent import RunContext
from realtime_actors.audio.playback import PlaybackTracker
from realtime_actors.session.core.audio_output import AudioCut, AudioOutput
from realtime_actors.session.core.conversation import Conversation
from realtime_actors.session.core.effects import Effect, Emit, RunTool, Send
from realtime_actors.session.core.history import HistoryItem
from realtime_actors.session.core.input_journal import InputAudioJournal
from realtime_actors.session.core.responses import ResponseTracker
from realtime_actors.session.core.tool_calls import ToolCalls

MS = 48  # PCM16 bytes per millisecond


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# ---------------------------------------------------------------------------- audio output
def test_no_audio_nothing_to_cut() -> None:
    audio = AudioOutput(Clock())
    assert audio.truncate() is None
    assert audio.disconnected() is None


def test_truncate_cuts_at_the_played_position_once() -> None:
    clock = Clock()
    audio = AudioOutput(clock)
    assert audio.delta("item_1", 0, 1000 * MS, "resp_1")
    clock.now += 0.25
    assert audio.played_ms("item_1", 0) == 250
    assert audio.truncate() == AudioCut("item_1", 0, 250)
    assert audio.truncate() is None  # the item was cut already


def test_audio_played_to_its_end_is_not_cut() -> None:
    clock = Clock()
    audio = AudioOutput(clock)
    audio.delta("item_1", 0, 100 * MS, "resp_1")
    audio.ended("item_1", 0)
    clock.now += 1.0  # all 100 ms delivered have been played
    assert audio.truncate() is None


def test_audio_still_playing_after_its_last_delta_is_cut() -> None:
    clock = Clock()
    audio = AudioOutput(clock)
    audio.delta("item_1", 0, 100 * MS, "resp_1")
    audio.ended("item_1", 0)
    clock.now += 0.04
    assert audio.truncate() == AudioCut("item_1", 0, 40)


def test_the_end_of_another_item_leaves_the_current_one_open() -> None:
    audio = AudioOutput(Clock())
    audio.delta("item_1", 0, 100 * MS, "resp_1")
    audio.ended("item_0", 0)
    assert not audio.done


def test_a_new_item_of_a_tripped_response_is_dropped() -> None:
    audio = AudioOutput(Clock())
    assert audio.delta("item_1", 0, 10 * MS, "resp_1")
    # more of the item already playing is still counted, even once its response tripped
    assert audio.delta("item_1", 0, 10 * MS, "resp_1", {"resp_1"})
    assert audio.estimator.delivered_ms() == 20
    assert not audio.delta("item_2", 0, 10 * MS, "resp_1", {"resp_1"})
    assert audio.item == ("item_1", 0)


def test_the_applications_report_wins_bounded_by_the_audio_delivered() -> None:
    tracker = PlaybackTracker()
    audio = AudioOutput(Clock(), tracker)
    audio.delta("item_1", 0, 100 * MS, "resp_1")
    tracker.on_play_ms("item_1", 0, 30)
    assert audio.played_ms("item_1", 0) == 30
    tracker.on_play_ms("item_1", 0, 500)
    assert audio.played_ms("item_1", 0) == 100
    tracker.on_play_ms("item_other", 0, 5)  # not this item: the estimate (no time passed)
    assert audio.played_ms("item_1", 0) == 0


def test_a_drop_cuts_audio_still_arriving_at_the_estimate() -> None:
    clock = Clock()
    tracker = PlaybackTracker()
    audio = AudioOutput(clock, tracker)
    audio.delta("item_1", 0, 100 * MS, "resp_1")
    tracker.on_play_ms("item_1", 0, 5)
    clock.now += 0.06
    assert audio.disconnected() == AudioCut("item_1", 0, 60)
    assert audio.item is None and audio.done
    audio.delta("item_2", 0, 100 * MS, "resp_2")
    audio.ended("item_2", 0)
    assert audio.disconnected() is None  # it had all arrived


def test_delivered_audio_follows_the_output_format() -> None:
    audio = AudioOutput(Clock())
    audio.follow_output_format(rt.SessionModelSettings(output_audio_format="audio/pcmu"))
    audio.delta("item_1", 0, 800, "resp_1")
    assert audio.estimator.delivered_ms() == 100
    audio.follow_output_format(rt.SessionModelSettings())  # unset: unchanged
    audio.delta("item_1", 0, 800, "resp_1")
    assert audio.estimator.delivered_ms() == 200


# ---------------------------------------------------------------------------- responses
def test_a_response_keeps_its_agent_and_releases_a_deferred_create() -> None:
    first, second = rt.agent("First"), rt.agent("Second")
    tracker = ResponseTracker()
    assert tracker.request("e1")
    tracker.on_created("resp_1", True, first)
    assert not tracker.request("e2")  # deferred
    ended = tracker.on_done("resp_1")
    assert ended.agent is first and ended.send_deferred
    tracker.on_created("resp_2", False, second)  # out of band: not tracked
    assert tracker.on_done("resp_2").agent is None


def test_a_response_is_lost_unless_all_its_items_arrived_complete() -> None:
    tracker = ResponseTracker()
    tracker.on_created("resp_1", True, rt.agent("A"))
    assert tracker.lost()  # no item yet
    tracker.item_added("resp_1", "item_1")
    assert tracker.lost()
    tracker.item_done("resp_1", "item_1")
    assert not tracker.lost()
    tracker.turn_committed()
    assert tracker.lost()  # server VAD owes the committed turn an answer
    tracker.on_created("resp_2", True, rt.agent("A"))
    assert tracker.lost()  # resp_2 has no item yet; the turn is being answered
    tracker.item_added("resp_2", "item_2")
    tracker.item_done("resp_2", "item_2")
    assert not tracker.lost()


@pytest.mark.parametrize("resume", [True, False])
def test_a_drop_reports_the_active_responses_and_owes_the_lost_one(resume: bool) -> None:
    agent = rt.agent("A")
    tracker = ResponseTracker()
    tracker.on_created("resp_b", True, agent)
    tracker.on_created("resp_a", True, agent)
    assert tracker.on_disconnected(resume) == [("resp_a", agent), ("resp_b", agent)]
    assert not tracker.busy and not tracker.items
    assert tracker.take_resume() is resume
    assert not tracker.take_resume()


def test_a_response_trips_once() -> None:
    tracker = ResponseTracker()
    assert tracker.trip("resp_1")
    assert not tracker.trip("resp_1")
    assert tracker.tripped == {"resp_1"}


# ---------------------------------------------------------------------------- conversation
def test_a_created_item_gets_an_id_and_waits_for_its_acknowledgement() -> None:
    conversation = Conversation()
    frame: dict[str, Any] = {"type": "conversation.item.create",
                             "item": {"type": "message", "role": "user", "content": []}}
    conversation.track(frame)
    item_id = frame["item"]["id"]
    assert conversation.unconfirmed == {item_id: frame}
    [added] = conversation.upsert({**frame["item"], "status": "completed"})
    assert isinstance(added, Emit) and isinstance(added.event, rt.HistoryAddedEvent)
    assert conversation.unconfirmed == {}


def test_an_item_without_id_is_a_protocol_error() -> None:
    [effect] = Conversation().upsert({"type": "message"})
    assert isinstance(effect, Emit) and isinstance(effect.event, rt.ErrorEvent)
    assert effect.event.source == "protocol"


def test_update_and_delete_report_only_what_changed() -> None:
    conversation = Conversation()
    assert conversation.update("ghost", transcript="x") == []
    assert conversation.delete("ghost") == []
    conversation.history.upsert(HistoryItem(item_id="i1", type="message", role="user"))
    assert len(conversation.update("i1", transcript="hi")) == 1
    assert conversation.history.get("i1") == HistoryItem(item_id="i1", type="message",
                                                         role="user", transcript="hi")
    assert len(conversation.delete("i1")) == 1


def test_the_restore_drops_cut_items_and_resends_the_unacknowledged() -> None:
    conversation = Conversation()
    conversation.history.upsert(HistoryItem(item_id="u1", type="message", role="user",
                                            text="hi"))
    conversation.history.upsert(HistoryItem(item_id="a1", type="message", role="assistant",
                                            transcript="half", status="in_progress"))
    for text in ("lost", "queued"):
        conversation.track({"type": "conversation.item.create", "item": {
            "id": text, "type": "message", "role": "user",
            "content": [{"type": "input_text", "text": text}]}})
    conversation.cut_off()
    assert conversation.cut_items == {"a1"}
    ids = iter(range(1, 100))
    effects = conversation.restore(InputAudioJournal(), {"queued"}, lambda: f"e{next(ids)}")
    assert isinstance(effects[0], Emit)  # the cut item left the history
    frames = [e.frame for e in effects if isinstance(e, Send)]
    assert [(f["item"]["id"], f["event_id"]) for f in frames] == [("u1", "e1"), ("lost", "e2")]
    assert "a1" not in conversation.history and not conversation.cut_items


def test_has_output_finds_a_function_calls_output() -> None:
    conversation = Conversation()
    conversation.history.upsert(HistoryItem(item_id="o1", type="function_call_output",
                                            call_id="call_1", output="42"))
    assert conversation.has_output("call_1")
    assert not conversation.has_output("call_2")


# ---------------------------------------------------------------------------- tool calls
@rt.function_tool
def lookup(key: str) -> str:
    """Look a key up."""
    return key


class Host:
    """A stand-in for the session core (the ToolHost interface)."""

    def __init__(self, agent: rt.RealtimeAgent) -> None:
        self.agent = agent
        self.context = RunContext()
        self.closed = False
        self.advertised_tools: frozenset[str] = frozenset()
        self.switched: list[rt.RealtimeAgent] = []
        self.requests = 0

    def send(self, frame: dict[str, Any]) -> Send:
        return Send(frame)

    def request_response(self) -> list[Effect]:
        self.requests += 1
        return []

    def switch_agent(self, target: rt.RealtimeAgent) -> Send:
        self.agent = target
        self.switched.append(target)
        return Send({"type": "session.update"})


def make_calls(agent: rt.RealtimeAgent | None = None) -> tuple[ToolCalls, Host, Conversation]:
    host = Host(agent or rt.agent("A", tools=[lookup]))
    conversation = Conversation()
    return ToolCalls(host, conversation), host, conversation


def test_a_call_id_runs_once() -> None:
    calls, _host, _ = make_calls()
    effects = calls.on_function_call("call_1", "lookup", '{"key": "k"}')
    [run] = [e for e in effects if isinstance(e, RunTool)]
    assert run.tool is lookup and run.context is calls.running["call_1"]
    assert calls.on_function_call("call_1", "lookup", '{"key": "k"}') == []
    calls.restore_handled({"call_9"})
    assert calls.on_function_call("call_9", "lookup", "{}") == []


def test_a_call_whose_output_is_in_the_conversation_does_not_run() -> None:
    calls, _host, conversation = make_calls()
    conversation.history.upsert(HistoryItem(item_id="o1", type="function_call_output",
                                            call_id="call_1", output="k"))
    assert calls.on_function_call("call_1", "lookup", "{}") == []
    assert "call_1" in calls.handled and not calls.running


def test_an_outcome_sends_the_output_and_asks_for_a_response() -> None:
    calls, host, _ = make_calls()
    calls.on_function_call("call_1", "lookup", "{}")
    effects = calls.on_outcome("call_1", "boom", ok=False)
    events = [e.event for e in effects if isinstance(e, Emit)]
    assert [type(e).__name__ for e in events] == ["ToolEndEvent", "ErrorEvent"]
    [frame] = [e.frame for e in effects if isinstance(e, Send)]
    assert frame["item"]["output"] == "boom" and host.requests == 1
    assert not calls.running and not calls.calls


def test_abandon_cancels_and_answers_every_running_call() -> None:
    calls, _host, _ = make_calls()
    calls.on_function_call("call_1", "lookup", "{}")
    calls.on_function_call("call_2", "lookup", "{}")
    contexts = list(calls.running.values())
    effects = calls.abandon("worker gone")
    assert all(ctx.cancelled.is_set() for ctx in contexts)
    outputs = [e.frame["item"]["output"] for e in effects if isinstance(e, Send)]
    assert outputs == ["Error: tool cancelled (worker gone)"] * 2
    assert not calls.running


def test_nothing_is_reported_once_the_session_is_closed() -> None:
    calls, host, _ = make_calls()
    calls.on_function_call("call_1", "lookup", "{}")
    host.closed = True
    calls.cancel()
    assert calls.on_outcome("call_1", "late", ok=True) == []


def test_a_handoff_switches_the_hosts_agent() -> None:
    support = rt.agent("Support")
    calls, host, _ = make_calls(rt.agent("Greeter", handoffs=[support]))
    name = rt.handoff(support).tool_name
    assert [type(e).__name__ for e in calls.on_function_call("call_1", name, "{}")] == [
        "Emit", "RunTool"]  # not advertised: refused like an unknown tool
    host.advertised_tools = frozenset({name})
    effects = calls.on_function_call("call_2", name, "{}")
    assert host.switched == [support] and not calls.running.keys() - {"call_1"}
    events = [type(e.event).__name__ for e in effects if isinstance(e, Emit)]
    assert events == ["ToolStartEvent", "HandoffEvent", "ToolEndEvent"]
