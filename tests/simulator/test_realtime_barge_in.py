"""A question spoken while an audio answer plays is answered, however the audio is appended."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from realtime_actors.simulator import Scenario, Simulator
from realtime_actors.simulator.speech_codec import synthesize
from tests.simulator.realtime_client import RtClient, connect_session, silence, types

LONG = "This is a rather long answer that keeps the simulated speaker busy for a while."
ROUNDS = 5


def _answer(ctx: Any) -> str:
    return f"Answer to {ctx.user_text}. {LONG}"


def _heard_answer_to(client: RtClient, question: str) -> dict[str, Any]:
    """Read events until the playing response's transcript names ``question``; returns its
    ``response.created``."""
    created: dict[str, Any] | None = None
    text = ""
    while f"Answer to {question}." not in text:
        event = client.recv()
        if event["type"] == "response.created":
            created, text = event, ""
        elif event["type"] == "response.output_audio_transcript.delta":
            text += event["delta"]
        assert event["type"] != "response.done" or event["response"]["status"] != "completed", (
            "the answer finished before it was interrupted"
        )
    assert created is not None
    return created


@pytest.mark.parametrize("chunk", [None, 2400], ids=["one-append", "100ms-appends"])
def test_every_barge_in_is_answered(chunk: int | None) -> None:
    with Simulator(Scenario(reply=_answer, output_pacing=1.0)) as sim:
        with connect_session(sim.ws_url) as client:
            client.append_pcm(np.concatenate([synthesize("hello"), silence(400)]))
            previous = _heard_answer_to(client, "hello")["response"]["id"]
            for n in range(ROUNDS):
                question = f"question {n}"
                utterance = np.concatenate([synthesize(question), silence(400)])
                if chunk is None:
                    client.append_bytes(utterance.astype("<i2").tobytes())
                else:
                    client.append_pcm(utterance, chunk=chunk)
                events = client.recv_until("response.done")
                assert events[-1]["response"]["id"] == previous
                assert events[-1]["response"]["status_details"] == {
                    "type": "cancelled", "reason": "turn_detected"}
                assert "input_audio_buffer.speech_started" in types(events)
                created = _heard_answer_to(client, question)
                assert created["response"]["id"] != previous
                previous = created["response"]["id"]
            client.send({"type": "response.cancel"})
            done = client.recv_until("response.done")[-1]["response"]
            assert (done["id"], done["status"]) == (previous, "cancelled")
