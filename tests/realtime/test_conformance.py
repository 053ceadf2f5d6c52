"""The conformance check every test of this directory ends with (see conftest.harness)."""

from __future__ import annotations

import pytest

import realtime_actors as rt
from tests.realtime.support import Harness, frames_of, text_settings, until


def test_harness_rejects_a_frame_that_is_not_a_ga_client_event(harness: Harness) -> None:
    session = harness.run(rt.agent("Echo"), model_settings=text_settings())
    session.send_raw_event({"type": "input_audio_buffer.clear", "bogus_field": 1})
    error = session.wait_for(rt.ErrorEvent, 10)
    assert (error.source, error.param) == ("server", "bogus_field")
    session.send_message("after the bad frame")
    until(session, rt.AgentEndEvent)
    with pytest.raises(AssertionError, match="bogus_field"):
        harness.check_conformance()
    # release this simulator here so the end-of-test check sees only conformant frames
    session.close()
    sim = harness.sims.pop()
    sim.stop()


def test_every_client_event_kind_of_a_session_is_conformant(harness: Harness) -> None:
    """A session that sends each kind of client event the library produces."""
    greeter = rt.agent("Greeter", handoffs=[rt.agent("Billing", instructions="Bill.")])
    session = harness.run(greeter, model_settings=text_settings(turn_detection=None))
    session.send_audio(b"\x00\x00" * 4800, commit=True)
    until(session, rt.AgentEndEvent)
    session.send_message("transfer to billing")
    until(session, lambda e: isinstance(e, rt.AgentEndEvent) and e.agent.name == "Billing")
    session.send_message({"type": "message", "role": "user",
                          "content": [{"type": "input_text", "text": "an item dict"}]})
    until(session, rt.AgentEndEvent)
    kinds = {f["type"] for f in harness.sim.client_frames()}
    assert kinds >= {"session.update", "input_audio_buffer.append",
                     "input_audio_buffer.commit", "conversation.item.create",
                     "response.create"}
    assert len(frames_of(harness.sim, "session.update")) == 2
    harness.check_conformance()
