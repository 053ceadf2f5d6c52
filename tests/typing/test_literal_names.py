"""The ``Literal`` names that typed arguments accept beside each enum name exactly its values,
and the ``Literal`` event fields hold what the library emits."""

from __future__ import annotations

import enum
import typing

import pytest

from realtime_actors.protocol import audio_config, response_params, settings_fields
from realtime_actors.protocol import turn_detection as td
from realtime_actors.session import events as ev
from realtime_actors.supervision import spec


@pytest.mark.parametrize(("names", "enum_cls"), [
    (td.TurnDetectionTypeName, td.TurnDetectionType),
    (td.EagernessName, td.Eagerness),
    (audio_config.VoiceName, audio_config.Voice),
    (audio_config.NoiseReductionTypeName, audio_config.NoiseReductionType),
    (settings_fields.ModalityName, settings_fields.Modality),
    (response_params.ConversationModeName, response_params.ConversationMode),
    (spec.RestartName, spec.Restart),
    (spec.StrategyName, spec.Strategy),
])
def test_literal_names_are_the_enum_values(names: object, enum_cls: type[enum.Enum]) -> None:
    assert set(typing.get_args(names)) == {member.value for member in enum_cls}


def test_audio_format_names_are_every_alias_the_parser_accepts() -> None:
    names = set(typing.get_args(audio_config.AudioFormatName))
    assert names == set(audio_config._ALIASES)
    for name in names:
        assert audio_config.AudioFormat.parse(name) in audio_config.AudioFormat


def test_response_status_maps_the_final_statuses_and_nothing_else() -> None:
    final = set(typing.get_args(ev.ResponseStatus)) - {"interrupted"}
    assert {status: ev.response_status(status) for status in final} == {s: s for s in final}
    assert ev.response_status("in_progress") is None
    assert ev.response_status("interrupted") is None  # the library's own, never the server's
    assert ev.response_status(None) is None
