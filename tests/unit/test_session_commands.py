"""The session's commands are frozen message classes, and the session actor handles every one
by its type (no string dispatch): each class has a handler, an unknown message is logged."""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Iterator
from typing import Any

import attrs
import pykka
import pytest

import realtime_actors as rt
from realtime_actors.session import commands as cmd
from realtime_actors.session.actor import SessionActor
from realtime_actors.session.core.session_core import SessionCore
from realtime_actors.session.event_sink import EventSink
from realtime_actors.session.state import SessionState

WAIT_S = 10.0


class Listener(pykka.ThreadingActor):
    """A subscriber that ignores what it is told."""

    def on_receive(self, message: Any) -> None:
        return None


def samples(ref: pykka.ActorRef[Any]) -> dict[type[cmd.SessionCommand], cmd.SessionCommand]:
    """One instance of every command class (``Close`` last: it ends the session)."""
    return {
        cmd.Subscribe: cmd.Subscribe(ref),
        cmd.Unsubscribe: cmd.Unsubscribe(ref),
        cmd.SendMessage: cmd.SendMessage("hello"),
        cmd.SendAudio: cmd.SendAudio(b"\x00\x01" * 240, commit=True, respond=False),
        cmd.SendRawEvent: cmd.SendRawEvent({"type": "input_audio_buffer.clear"}),
        cmd.UpdateSession: cmd.UpdateSession(rt.SessionModelSettings(voice="marin")),
        cmd.Interrupt: cmd.Interrupt(),
        cmd.GetHistory: cmd.GetHistory(),
        cmd.GetCurrentAgent: cmd.GetCurrentAgent(),
        cmd.TakeSnapshot: cmd.TakeSnapshot(),
        cmd.ReportOverflow: cmd.ReportOverflow("send_audio"),
        cmd.Close: cmd.Close(),
    }


@pytest.fixture
def listener() -> Iterator[pykka.ActorRef[Any]]:
    ref = Listener.start()
    yield ref
    ref.stop()


@pytest.fixture
def state() -> SessionState:
    config = rt.RunConfig(pending_limit=8)
    core = SessionCore(rt.agent("Echo"), config, clock=time.monotonic)
    return SessionState(core=core, run_config=config, sink=EventSink(1 << 20))


@pytest.fixture
def session(state: SessionState) -> Iterator[pykka.ActorRef[Any]]:
    """A session actor with no connection and no supervisor."""
    ref = SessionActor.start(state)
    yield ref
    if ref.is_alive():
        ref.stop()
    state.tools.close()


def test_the_command_list_names_every_command_class() -> None:
    defined = {value for value in vars(cmd).values() if inspect.isclass(value)
               and issubclass(value, cmd.SessionCommand) and value is not cmd.SessionCommand}
    assert set(cmd.COMMANDS) == defined
    assert len(cmd.COMMANDS) == len(defined)
    assert cmd.SENDING == {cmd.SendMessage, cmd.SendAudio, cmd.SendRawEvent}
    assert len({kind.label for kind in cmd.COMMANDS}) == len(cmd.COMMANDS)


def test_every_command_class_has_a_handler(state: SessionState) -> None:
    actor = SessionActor(state)
    assert set(actor._handlers) == set(cmd.COMMANDS)
    state.tools.close()


def test_the_commands_are_frozen(listener: pykka.ActorRef[Any]) -> None:
    instances = samples(listener)
    assert set(instances) == set(cmd.COMMANDS)
    for command in instances.values():
        assert attrs.has(type(command)) and command.reply
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            command.reply = False  # type: ignore[misc]
        for field in attrs.fields(type(command)):
            with pytest.raises(attrs.exceptions.FrozenInstanceError):
                setattr(command, field.name, None)
    audio = cmd.SendAudio(b"\x00\x00", reply=False, prepaid=7)
    assert (audio.reply, audio.prepaid, audio.commit, audio.respond) == (False, 7, False, None)


def test_the_session_actor_handles_every_command(
        session: pykka.ActorRef[Any], state: SessionState,
        listener: pykka.ActorRef[Any]) -> None:
    answers = {kind: session.ask(command, timeout=WAIT_S)
               for kind, command in samples(listener).items()}
    assert isinstance(answers.pop(cmd.GetHistory), tuple)
    assert answers.pop(cmd.GetCurrentAgent) == state.core.agent
    assert isinstance(answers.pop(cmd.TakeSnapshot), rt.SessionSnapshot)
    assert set(answers.values()) == {None}
    assert state.subscribers == []  # subscribed, then unsubscribed
    assert state.outbox  # not connected: the sends wait for the connection
    assert session.actor_stopped.wait(WAIT_S)  # closed
    events = state.sink.get_batch(100, 0)
    assert any(isinstance(e, rt.ErrorEvent) and e.code == "queue_full"
               and "send_audio" in e.message for e in events)  # the reported overflow
    assert isinstance(events[-1], rt.SessionEndedEvent) and events[-1].reason == "closed"


def test_a_told_command_reports_its_error_as_an_event(
        session: pykka.ActorRef[Any], state: SessionState) -> None:
    limit = state.run_config.pending_limit
    for _ in range(limit):
        session.tell(cmd.SendRawEvent({"type": "input_audio_buffer.clear"}, reply=False))
    session.tell(cmd.SendRawEvent({"type": "input_audio_buffer.clear"}, reply=False))
    assert session.ask(cmd.GetHistory(), timeout=WAIT_S) == ()  # the tells were handled
    assert len(state.outbox) == limit
    events = state.sink.get_batch(100, 0)
    assert [e.code for e in events if isinstance(e, rt.ErrorEvent)] == ["queue_full"]
    with pytest.raises(rt.QueueFullError):  # asked: the caller gets the error
        session.ask(cmd.SendRawEvent({"type": "input_audio_buffer.clear"}), timeout=WAIT_S)
    assert session.is_alive()


def test_an_unknown_message_is_logged_and_an_unknown_command_refused(
        session: pykka.ActorRef[Any], caplog: pytest.LogCaptureFixture) -> None:
    @attrs.frozen
    class Unknown(cmd.SessionCommand):
        label = "unknown"

    with caplog.at_level(logging.WARNING, logger="realtime_actors.session.actor"):
        assert session.ask("send_message", timeout=WAIT_S) is None
    assert any("unexpected message" in r.getMessage() for r in caplog.records)
    with pytest.raises(ValueError, match="unknown session command Unknown"):
        session.ask(Unknown(), timeout=WAIT_S)
    assert session.is_alive()
    assert isinstance(session.ask(cmd.GetCurrentAgent(), timeout=WAIT_S), rt.RealtimeAgent)
