"""The input audio journal (sans-I/O): what is kept, what a new connection gets again, and the
bounds; and the session core's exactly-once rules around a drop, driven directly."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

import realtime_actors as rt
from realtime_actors.protocol.parser import parse_server_event
from realtime_actors.session.core.effects import RunTool, Send
from realtime_actors.session.core.input_journal import BYTES_PER_MS, InputAudioJournal
from realtime_actors.session.core.session_core import SessionCore


def ms(n: int, fill: int = 0x21) -> bytes:
    """``n`` ms of PCM16 at 24 kHz, every byte ``fill`` (0x21: loud enough to be speech)."""
    return bytes([fill]) * (n * BYTES_PER_MS)


def replayed(journal: InputAudioJournal, skip: set[str] | None = None) -> list[Any]:
    return [("commit" if s.audio is None else len(s.audio) // BYTES_PER_MS)
            for s in journal.replay(skip or set())]


def test_appends_and_our_commit_are_replayed_until_the_server_commits() -> None:
    journal = InputAudioJournal()
    journal.appended("a1", ms(100))
    journal.appended("a2", ms(50))
    journal.commit_sent("c1")
    journal.appended("a3", ms(20))  # the next turn has begun
    assert replayed(journal) == [100, 50, "commit", 20]
    journal.committed("item_1")
    assert replayed(journal) == [20]
    assert journal.turn_audio("item_1") == ms(100) + ms(50)
    journal.transcript_known("item_1")
    assert journal.turn_audio("item_1") is None
    assert journal.size == len(ms(20))


def test_what_is_still_queued_is_not_replayed_and_follows_the_replay() -> None:
    journal = InputAudioJournal()
    journal.appended("a1", ms(100))
    journal.appended("a2", ms(100))  # queued while disconnected
    journal.commit_sent("c1")  # queued too
    assert replayed(journal, {"a2", "c1"}) == [100]
    journal.restart({"a2", "c1"}, ["r1"])
    # after the restart the journal knows the replayed chunk and the queued ones, in order
    assert replayed(journal) == [100, 100, "commit"]
    journal.committed("item_1")
    assert journal.turn_audio("item_1") == ms(100) + ms(100)


def test_a_vad_turn_is_replayed_as_audio_only_and_cut_where_speech_stopped() -> None:
    journal = InputAudioJournal()
    journal.set_vad(prefix_padding_ms=300)
    journal.appended("a1", ms(600, 0x21))
    journal.appended("a2", ms(400, 0x22))
    journal.speech_stopped(800)  # the server commits the first 800 ms next
    assert replayed(journal) == [600, 400]  # no commit: the new server's VAD ends the turn
    journal.committed("item_1")
    assert journal.turn_audio("item_1") == ms(600, 0x21) + ms(200, 0x22)
    assert replayed(journal) == [200]  # only what came after the end of speech


def test_silence_before_speech_is_not_kept_under_server_vad() -> None:
    journal = InputAudioJournal()
    journal.set_vad(prefix_padding_ms=300)
    for i in range(100):  # 10 s of silence in 100 ms chunks
        journal.appended(f"a{i}", ms(100, 0))
    assert journal.pending_bytes <= (300 + 100 + 100) * BYTES_PER_MS
    journal.speech_started(9_900)
    assert journal.pending_bytes == len(ms(100))


def test_sound_is_kept_until_the_server_says_where_speech_starts() -> None:
    """No speech_started yet (it may be lost with the connection): audio that may be speech
    is kept, quiet audio before it is not."""
    journal = InputAudioJournal()
    journal.set_vad(prefix_padding_ms=300)
    noise = (np.random.default_rng(1).normal(0, 20, 2400)).astype("<i2").tobytes()  # -64 dBFS
    journal.appended("q", noise)
    for i in range(30):  # 3 s of talking
        journal.appended(f"s{i}", ms(100))
    assert journal.pending_bytes == 30 * len(ms(100))  # the quiet start went, the speech stays
    journal.speech_started(1_000)  # the server: speech from 1.0 s (with its padding)
    assert journal.pending_bytes == 21 * len(ms(100))


def test_a_rejected_commit_joins_the_next_turn() -> None:
    journal = InputAudioJournal()
    journal.appended("a1", ms(50))
    journal.commit_sent("c1")
    assert journal.commit_rejected("c1")
    assert not journal.commit_rejected("c1")
    journal.appended("a2", ms(100))
    journal.commit_sent("c2")
    journal.committed("item_1")
    assert journal.turn_audio("item_1") == ms(50) + ms(100)


def test_clear_drops_the_open_turn_only() -> None:
    journal = InputAudioJournal()
    journal.appended("a1", ms(100))
    journal.commit_sent("c1")
    journal.appended("a2", ms(100))
    journal.cleared()
    assert replayed(journal) == [100, "commit"]


def test_everything_kept_is_bounded_oldest_first() -> None:
    journal = InputAudioJournal(limit_bytes=len(ms(250)))
    journal.appended("a1", ms(100))
    journal.commit_sent("c1")
    journal.committed("item_1")  # kept for the restore: no transcript yet
    journal.appended("a2", ms(100))
    journal.appended("a3", ms(100))
    assert journal.size <= len(ms(250))
    assert journal.turn_audio("item_1") is None  # the oldest audio went first
    assert replayed(journal) == [100, 100]


# ---------------------------------------------------------------------- the core around a drop
def make_core(**config: Any) -> SessionCore:
    core = SessionCore(rt.agent("Bank", tools=[transfer]),
                       rt.RunConfig(model_settings=rt.SessionModelSettings(turn_detection=None),
                                    **config), clock=lambda: 0.0)
    core.on_connected()
    return core


@rt.function_tool
def transfer(amount: int) -> str:
    """Move money."""
    return f"sent {amount}"


def server(core: SessionCore, event: dict[str, Any]) -> list[Any]:
    event.setdefault("event_id", "ev")
    return core.on_server_event(parse_server_event(event))


def frames(effects: list[Any]) -> list[dict[str, Any]]:
    return [e.frame for e in effects if isinstance(e, Send)]


CALL = {"id": "item_call", "type": "function_call", "status": "completed", "call_id": "call_1",
        "name": "transfer", "arguments": '{"amount": 5}', "object": "realtime.item"}


def _start_response(core: SessionCore) -> None:
    [create, _response] = frames(core.send_message("send five"))
    server(core, {"type": "conversation.item.added",
                  "item": dict(create["item"], object="realtime.item", status="completed")})
    server(core, {"type": "response.created",
                  "response": {"id": "resp_1", "object": "realtime.response",
                               "status": "in_progress", "output": [],
                               "conversation_id": "conv_1"}})
    server(core, {"type": "response.output_item.added", "response_id": "resp_1",
                  "output_index": 0, "item": dict(CALL, status="in_progress", arguments="")})


def test_a_complete_call_is_kept_and_its_response_not_redone() -> None:
    core = make_core()
    _start_response(core)
    effects = server(core, {"type": "response.output_item.done", "response_id": "resp_1",
                            "output_index": 0, "item": CALL})
    assert [e.call_id for e in effects if isinstance(e, RunTool)] == ["call_1"]
    core.on_disconnected()
    assert not core.responses.resume  # the tool's output asks for the next response
    restored = frames(core.on_connected())
    assert [f["item"]["type"] for f in restored
            if f["type"] == "conversation.item.create"] == ["message", "function_call"]
    assert not frames(core.resume_after_restore())
    # the same call arriving again (a replayed event, say) does not run again
    again = server(core, {"type": "response.output_item.done", "response_id": "resp_2",
                          "output_index": 0, "item": CALL})
    assert not [e for e in again if isinstance(e, RunTool)]
    # the tool's output goes out once, with one request for the next response
    done = frames(core.on_tool_outcome("call_1", "sent 5", ok=True))
    assert [f["type"] for f in done] == ["conversation.item.create", "response.create"]


def test_a_call_cut_mid_way_is_dropped_and_its_response_redone() -> None:
    core = make_core()
    _start_response(core)
    core.on_disconnected()
    assert core.responses.resume
    restored = frames(core.on_connected())
    assert [f["item"]["type"] for f in restored
            if f["type"] == "conversation.item.create"] == ["message"]
    assert "item_call" not in core.history
    assert [f["type"] for f in frames(core.resume_after_restore())] == ["response.create"]


def test_a_call_whose_output_the_conversation_holds_never_runs() -> None:
    core = make_core()
    server(core, {"type": "conversation.item.added",
                  "item": {"id": "out_1", "type": "function_call_output", "call_id": "call_1",
                           "output": "sent 5", "object": "realtime.item",
                           "status": "completed"}})
    _start_response(core)
    effects = server(core, {"type": "response.output_item.done", "response_id": "resp_1",
                            "output_index": 0, "item": CALL})
    assert not [e for e in effects if isinstance(e, RunTool)]


def test_a_committed_turn_without_its_item_is_restored_with_its_audio() -> None:
    core = make_core()
    audio = ms(200)
    core.send_audio(audio, commit=True, respond=True)
    server(core, {"type": "input_audio_buffer.committed", "item_id": "item_user",
                  "previous_item_id": None})
    core.on_disconnected()
    restored = [f for f in frames(core.on_connected())
                if f["type"] == "conversation.item.create"]
    assert [f["item"]["id"] for f in restored] == ["item_user"]
    assert base64.b64decode(restored[0]["item"]["content"][0]["audio"]) == audio
    assert [f["type"] for f in frames(core.resume_after_restore())] == ["response.create"]


def test_an_unacknowledged_turn_is_replayed_then_answered_once() -> None:
    core = make_core()
    core.send_audio(ms(100), commit=False, respond=None)
    core.send_audio(ms(100), commit=True, respond=True)
    core.on_disconnected()
    replay = [f["type"] for f in frames(core.on_connected())]
    assert replay[1:] == ["input_audio_buffer.append", "input_audio_buffer.append",
                          "input_audio_buffer.commit"]
    assert [f["type"] for f in frames(core.resume_after_restore())] == ["response.create"]
