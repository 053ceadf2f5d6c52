"""Text and audio turns through ``rt.run`` against the simulator."""

from __future__ import annotations

import base64

import numpy as np
import pytest

import realtime_actors as rt
from realtime_actors.simulator import Simulator
from realtime_actors.simulator.speech_codec import decode, synthesize
from tests.realtime.support import Harness, frames_of, of_type, text_settings, until

TURN_KINDS = (rt.AgentStartEvent, rt.TextDeltaEvent, rt.TranscriptCompletedEvent,
              rt.AgentEndEvent)


def _echo() -> rt.RealtimeAgent:
    return rt.agent("Echo", instructions="Repeat what the user says.")


def test_text_turn_emits_events_in_order_and_records_history(
    harness: Harness, sim: Simulator
) -> None:
    session = harness.run(_echo(), model_settings=text_settings())
    session.send_message("Hello there")
    events = until(session, rt.AgentEndEvent)

    turn = [e for e in events if isinstance(e, TURN_KINDS)]
    assert isinstance(turn[0], rt.AgentStartEvent)
    assert isinstance(turn[-2], rt.TranscriptCompletedEvent)
    assert isinstance(turn[-1], rt.AgentEndEvent)
    deltas = turn[1:-2]
    assert deltas and all(isinstance(e, rt.TextDeltaEvent) for e in deltas)
    assert "".join(e.delta for e in deltas) == "You said: Hello there"
    assert turn[-2].transcript == "You said: Hello there"
    assert turn[-2].role == "assistant"
    assert turn[0].agent.name == "Echo"
    assert turn[-1].status == "completed"
    assert turn[-1].response_id == turn[0].response_id
    assert turn[0].response_id is not None and turn[0].response_id.startswith("resp_")

    history = session.history()
    assert [(h.type, h.role, h.text) for h in history] == [
        ("message", "user", "Hello there"),
        ("message", "assistant", "You said: Hello there"),
    ]
    assert all(h.item_id.startswith("item_") for h in history)
    server_ids = [e["item"]["id"] for e in sim.server_events()
                  if e["type"] == "conversation.item.done"]
    assert [h.item_id for h in history] == server_ids


def _audio_settings() -> rt.SessionModelSettings:
    return rt.SessionModelSettings(
        output_modalities=("audio",),
        turn_detection=None,
        transcription=rt.TranscriptionConfig(model="gpt-4o-transcribe"),
    )


def _audio_turn(session: rt.Session, audio: bytes | np.ndarray) -> list[rt.SessionEvent]:
    session.send_audio(audio, commit=True)
    return until(session, rt.AgentEndEvent)


def test_audio_turn_with_commit_yields_audio_and_transcripts(
    harness: Harness, sim: Simulator
) -> None:
    session = harness.run(_echo(), model_settings=_audio_settings())
    events = _audio_turn(session, synthesize("what time is it").tobytes())

    transcripts = of_type(events, rt.TranscriptCompletedEvent)
    assert [(t.role, t.transcript) for t in transcripts] == [
        ("user", "what time is it"),
        ("assistant", "You said: what time is it"),
    ]
    audio = of_type(events, rt.AudioEvent)
    assert audio
    for chunk in audio:
        assert isinstance(chunk.data, bytes) and len(chunk.data) % 2 == 0
        view = chunk.pcm
        assert view.dtype == np.dtype("<i2") and view.size == len(chunk.data) // 2
        assert not view.flags.writeable
    assert len({(a.item_id, a.content_index) for a in audio}) == 1
    ends = of_type(events, rt.AudioEndEvent)
    assert [(e.item_id, e.content_index) for e in ends] == [(audio[0].item_id, 0)]
    assert events.index(ends[0]) > events.index(audio[-1])
    assert events[-1].status == "completed"

    # the model's audio is codec speech of its reply: decode what the session delivered
    delivered = np.frombuffer(b"".join(a.data for a in audio), dtype="<i2")
    assert decode(delivered) == "You said: what time is it"

    # turn detection off: the client asked for the response itself, once
    assert len(frames_of(sim, "input_audio_buffer.commit")) == 1
    assert len(frames_of(sim, "response.create")) == 1
    history = session.history()
    assert history[0].role == "user" and history[0].has_audio
    assert history[0].transcript == "what time is it"
    assert history[1].role == "assistant" and history[1].transcript == (
        "You said: what time is it")


@pytest.mark.parametrize("dtype", [np.float32, np.int16])
def test_audio_turn_accepts_numpy_arrays(harness: Harness, sim: Simulator,
                                         dtype: type[np.generic]) -> None:
    session = harness.run(_echo(), model_settings=_audio_settings())
    speech = synthesize("numpy input")
    audio = speech.astype(np.float32) / 32768.0 if dtype is np.float32 else speech
    events = _audio_turn(session, audio)
    transcripts = of_type(events, rt.TranscriptCompletedEvent)
    assert transcripts[0].role == "user" and transcripts[0].transcript == "numpy input"
    appended = frames_of(sim, "input_audio_buffer.append")
    sent = b"".join(base64.b64decode(f["audio"]) for f in appended)
    assert len(sent) == speech.size * 2


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(b"\x00\x01\x02", id="odd-length-bytes"),
        pytest.param(np.zeros(480, dtype=np.int32), id="int32-array"),
        pytest.param(np.array([0.0, np.nan, 0.5], dtype=np.float32), id="nan"),
    ],
)
def test_invalid_audio_raises_synchronously_and_session_keeps_working(
    harness: Harness, sim: Simulator, bad: bytes | np.ndarray
) -> None:
    session = harness.run(_echo(), model_settings=text_settings(turn_detection=None))
    with pytest.raises(rt.AudioFormatError):
        session.send_audio(bad, commit=True)
    session.send_message("still here?")
    events = until(session, rt.AgentEndEvent)
    assert of_type(events, rt.TranscriptCompletedEvent)[-1].transcript == (
        "You said: still here?")
    assert not of_type(events, rt.ErrorEvent)
    assert not frames_of(sim, "input_audio_buffer.append")
    assert not frames_of(sim, "input_audio_buffer.commit")
