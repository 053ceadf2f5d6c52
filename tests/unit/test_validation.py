"""validation.checked: attrs validators on configuration classes raise ConfigError (or the
typed subclass asked for), naming the class and the field."""

from __future__ import annotations

import attrs
import pytest

import realtime_actors as rt
import voice_actors as va
from realtime_actors.errors import ConfigError
from realtime_actors.supervision import BackoffPolicy, SupervisionConfigError
from realtime_actors.validation import INTEGER, NUMBER, checked


@attrs.frozen(kw_only=True)
class Limits:
    count: int = attrs.field(default=1, validator=checked(INTEGER, attrs.validators.gt(0)))
    ratio: float = attrs.field(default=0.0, validator=checked(NUMBER, attrs.validators.ge(0)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"count": 0}, "Limits.count must be > 0: 0"),
        ({"count": True}, "Limits.count must be a number, not a bool"),
        ({"count": 1.5}, "Limits.count must be <class 'int'>"),
        ({"ratio": -0.5}, "Limits.ratio must be >= 0: -0.5"),
        ({"ratio": "1"}, "Limits.ratio must be int | float"),
    ],
)
def test_a_bad_value_raises_config_error_naming_class_and_field(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        Limits(**kwargs)  # type: ignore[arg-type]
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value.__cause__, ValueError | TypeError)


def test_good_values_pass() -> None:
    assert Limits(count=3, ratio=0) == Limits(count=3, ratio=0.0)


def test_library_configs_raise_their_typed_errors() -> None:
    with pytest.raises(SupervisionConfigError, match=r"BackoffPolicy\.cap_s must be >= 0"):
        BackoffPolicy(cap_s=-1.0)
    with pytest.raises(ConfigError, match=r"ReconnectPolicy\.window_s must be > 0"):
        rt.ReconnectPolicy(window_s=0)
    with pytest.raises(ConfigError, match=r"ModelConfig\.ping_interval_s must be > 0"):
        rt.ModelConfig(ping_interval_s=0)
    with pytest.raises(ConfigError, match=r"VADSettings\.pre_roll_ms must be >= 0"):
        va.VADSettings(pre_roll_ms=-1)
    with pytest.raises(ConfigError, match=r"VoicePipelineConfig\.tts_concurrency"):
        va.VoicePipelineConfig(tts_concurrency=True)
