"""The reconnect rules and the session core's restore, driven directly (no sockets, no threads)."""

from __future__ import annotations

from typing import Any

import pytest

import realtime_actors as rt
from realtime_actors.protocol.parser import parse_server_event
from realtime_actors.session.core.effects import Emit, RunTool, Send
from realtime_actors.session.core.history import HistoryItem
from realtime_actors.session.core.session_core import SessionCore
from realtime_actors.transport.reconnect import DisconnectKind, classify_disconnect, restore_item
from tests.protocol.openai_schema import client_event_problems


def make_core(agent: rt.RealtimeAgent | None = None) -> SessionCore:
    return SessionCore(agent or rt.agent("Echo"), rt.RunConfig(), clock=lambda: 0.0)


def sent(effects: list[Any]) -> list[dict[str, Any]]:
    return [e.frame for e in effects if isinstance(e, Send)]


def server(core: SessionCore, event: dict[str, Any]) -> list[Any]:
    event.setdefault("event_id", "ev_1")
    return core.on_server_event(parse_server_event(event))


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        (None, None, DisconnectKind.RECONNECT),  # network failure, refused, reset
        (1006, None, DisconnectKind.RECONNECT),
        (1001, None, DisconnectKind.RECONNECT),  # going away / session_expired
        (1011, None, DisconnectKind.RECONNECT),
        (1012, None, DisconnectKind.RECONNECT),
        (1013, None, DisconnectKind.RECONNECT),
        (4000, None, DisconnectKind.FATAL),  # the retired beta protocol
        (1008, None, DisconnectKind.FATAL),
        (1002, None, DisconnectKind.FATAL),
        (None, 401, DisconnectKind.FATAL),
        (None, 403, DisconnectKind.FATAL),
        (None, 404, DisconnectKind.FATAL),
        (None, 429, DisconnectKind.RECONNECT),
        (None, 500, DisconnectKind.RECONNECT),
        (None, 503, DisconnectKind.RECONNECT),
        (None, 418, DisconnectKind.FATAL),
    ],
)
def test_classify_disconnect(code: int | None, status: int | None, kind: DisconnectKind) -> None:
    assert classify_disconnect(code, status) is kind


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(rt.ConfigError):
        rt.ReconnectPolicy(window_s=0)
    with pytest.raises(rt.ConfigError):
        rt.ReconnectPolicy(max_attempts=-1)
    assert rt.ReconnectPolicy(initial_delay_s=0.5, max_delay_s=2).backoff().cap_s == 2


@pytest.mark.parametrize(
    "item",
    [
        HistoryItem(item_id="i1", type="message", role="user", text="hi"),
        HistoryItem(item_id="i2", type="message", role="user", transcript="spoken", has_audio=True),
        HistoryItem(item_id="i3", type="message", role="assistant", transcript="said"),
        HistoryItem(item_id="i4", type="message", role="system", text="note"),
        HistoryItem(item_id="i5", type="function_call", call_id="c1", name="f", arguments="{}"),
        HistoryItem(item_id="i6", type="function_call_output", call_id="c1", output="42"),
    ],
    ids=lambda i: i.item_id,
)
def test_restored_items_keep_id_and_words_and_are_valid_client_events(item: HistoryItem) -> None:
    wire = restore_item(item)
    assert wire is not None and wire["id"] == item.item_id
    frame = {"type": "conversation.item.create", "item": wire}
    assert client_event_problems(frame) == []
    if item.type == "message":
        assert wire["role"] == item.role
        assert wire["content"][0]["text"] == item.content_text


def test_empty_message_is_not_restored() -> None:
    assert restore_item(HistoryItem(item_id="x", type="message", role="user")) is None


def test_second_connection_restores_history_resends_unconfirmed_and_resumes() -> None:
    core = make_core()
    first = sent(core.on_connected())
    assert [f["type"] for f in first] == ["session.update"]
    # one acknowledged exchange, then a message the server never acknowledged
    msg = sent(core.send_message("hello"))
    item_id = msg[0]["item"]["id"]
    server(core, {"type": "conversation.item.added", "item": {
        "id": item_id, "type": "message", "role": "user", "status": "completed",
        "content": [{"type": "input_text", "text": "hello"}]}})
    server(core, {"type": "response.created", "response": {
        "id": "r1", "status": "in_progress", "conversation_id": "conv_1", "output": []}})
    server(core, {"type": "conversation.item.added", "item": {
        "id": "a1", "type": "message", "role": "assistant", "status": "in_progress",
        "content": []}})
    lost = sent(core.send_message("are you there?"))  # deferred create: r1 is active
    assert [f["type"] for f in lost] == ["conversation.item.create"]
    effects = core.on_disconnected()
    interrupted = [e.event for e in effects if isinstance(e, Emit)]
    assert [(type(e).__name__, e.status) for e in interrupted] == [("AgentEndEvent",
                                                                    "interrupted")]
    second = sent(core.on_connected())
    assert [f["type"] for f in second] == ["session.update", "conversation.item.create",
                                           "conversation.item.create"]
    assert second[1]["item"]["id"] == item_id
    assert second[2]["item"]["id"] == lost[0]["item"]["id"]  # re-sent, same id
    # the cut-off assistant item is not restored; the response is redone afterwards
    assert all(f["item"]["id"] != "a1" for f in second[1:])
    assert [f["type"] for f in sent(core.resume_after_restore())] == ["response.create"]
    assert sent(core.resume_after_restore()) == []


def test_items_still_queued_are_not_resent_twice() -> None:
    core = make_core()
    core.on_connected()
    core.on_disconnected()
    queued = sent(core.send_message("while away"))
    ids = {f["item"]["id"] for f in queued if "item" in f}
    second = sent(core.on_connected(queued_item_ids=ids))
    assert [f["type"] for f in second] == ["session.update"]
    assert sent(core.resume_after_restore()) == []  # the queued create answers it


def test_update_session_before_connect_is_carried_by_the_first_update() -> None:
    core = make_core()
    assert core.update_session(rt.SessionModelSettings(instructions="Be brief.")) == []
    frames = sent(core.on_connected())
    assert frames[0]["session"]["instructions"] == "Be brief."


def test_session_expired_error_is_not_a_user_error() -> None:
    core = make_core()
    core.on_connected()
    effects = server(core, {"type": "error", "error": {
        "type": "invalid_request_error", "code": "session_expired",
        "message": "Your session hit the maximum duration of 60 minutes."}})
    assert not [e for e in effects if isinstance(e, Emit)
                and isinstance(e.event, rt.ErrorEvent)]
    assert core.expiring


def test_disabled_handoff_called_anyway_is_refused() -> None:
    support = rt.agent("Support")
    greeter = rt.agent("Greeter", handoffs=[rt.handoff(support, is_enabled=False)])
    core = make_core(greeter)
    core.on_connected()
    name = rt.handoff(support).tool_name
    effects = core.tool_calls.on_function_call("call_1", name, "{}")
    runs = [e for e in effects if isinstance(e, RunTool)]
    assert len(runs) == 1 and runs[0].tool is None  # answered as an unknown tool
    assert core.agent is greeter


def test_enabled_handoff_is_honoured() -> None:
    support = rt.agent("Support")
    core = make_core(rt.agent("Greeter", handoffs=[support]))
    core.on_connected()
    core.tool_calls.on_function_call("call_1", rt.handoff(support).tool_name, "{}")
    assert core.agent is support
