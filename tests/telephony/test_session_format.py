"""A G.711 session counts delivered audio at 8 bytes per ms (truncation positions)."""

from __future__ import annotations

import pytest

import realtime_actors as rt
from realtime_actors.session.core.session_core import SessionCore


@pytest.mark.parametrize(("fmt", "ms"), [("audio/pcmu", 100), ("audio/pcm", 16), (None, 16)])
def test_the_estimator_follows_the_output_format_of_the_session_update(
        fmt: str | None, ms: int) -> None:
    settings = (rt.SessionModelSettings(output_audio_format=fmt) if fmt
                else rt.SessionModelSettings())
    core = SessionCore(rt.agent("Phone"), rt.RunConfig(model_settings=settings),
                       clock=lambda: 0.0)
    core.session_update()
    core.audio.estimator.add_delta("item_1", 0, 800, 0.0)
    assert core.audio.estimator.delivered_ms() == ms


def test_an_override_to_pcmu_applies_from_the_next_update() -> None:
    core = SessionCore(rt.agent("Phone"), rt.RunConfig(), clock=lambda: 0.0)
    core.on_connected()
    core.update_session(rt.SessionModelSettings(output_audio_format="audio/pcmu"))
    core.audio.estimator.add_delta("item_1", 0, 800, 0.0)
    assert core.audio.estimator.delivered_ms() == 100
