"""Inputs, settings, sentence splitting and result streams without a server."""

from __future__ import annotations

import numpy as np
import pytest

import voice_actors as va
from realtime_actors.audio.pcm import read_wav, write_wav
from realtime_actors.errors import AudioFormatError, ConfigError


def test_from_wav_converts_any_rate_and_channels_to_24k_mono() -> None:
    tone = (np.sin(np.arange(16000) / 5) * 8000).astype(np.int16)
    stereo = np.stack([tone, tone], axis=1)
    audio = va.AudioInput.from_wav(write_wav(stereo, 16000))
    assert len(audio.pcm) == 2 * 24000  # one second at 24 kHz mono
    decoded = read_wav(audio.to_wav())
    assert (decoded.rate, decoded.channels) == (24000, 1)


def test_from_numpy_and_from_pcm() -> None:
    floats = np.zeros(2400, dtype=np.float32)
    assert len(va.AudioInput.from_numpy(floats).pcm) == 4800
    assert va.AudioInput.from_pcm(b"\x01\x00" * 10).pcm == b"\x01\x00" * 10
    with pytest.raises(AudioFormatError):
        va.AudioInput.from_pcm(b"\x01")
    with pytest.raises(AudioFormatError):
        va.AudioInput.from_pcm(write_wav(np.zeros(10, dtype=np.int16), 24000))


def test_settings_validation() -> None:
    with pytest.raises(ConfigError):
        va.STTSettings(temperature=2.0)
    with pytest.raises(ConfigError):
        va.TTSSettings(speed=10.0)
    with pytest.raises(ConfigError):
        va.VoicePipelineConfig(tts_concurrency=0)
    with pytest.raises(ConfigError):
        va.SimpleWorkflow("not callable")  # type: ignore[arg-type]


def test_sentence_splitter_holds_incomplete_text_and_joins_short_sentences() -> None:
    splitter = va.SentenceSplitter(min_chars=20)
    assert splitter.feed("Hello there, this is a long ") == []
    first = splitter.feed("first sentence. And a ")
    assert first == ["Hello there, this is a long first sentence."]
    assert splitter.feed("second one") == []
    assert splitter.flush() == "And a second one"
    assert splitter.feed("Short. Tiny") == []
    assert splitter.flush() == "Short. Tiny"
    assert splitter.flush() is None


def test_stream_ends_with_an_error_when_the_actor_is_gone() -> None:
    result = va.VoiceResult(is_alive=lambda: False)
    events = list(result.stream(timeout=10))
    names = [type(e).__name__ for e in events]
    assert names == ["VoiceStreamEventError", "VoiceStreamEventLifecycle"]
    assert isinstance(events[0].error, va.PipelineStoppedError)  # type: ignore[union-attr]


def test_events_after_the_end_are_dropped() -> None:
    result = va.VoiceResult(is_alive=lambda: True)
    assert result.lifecycle("turn_started")
    assert result.finish()
    assert not result.audio(b"\x00\x00")
    assert not result.finish(RuntimeError("late"))
    events = list(result.stream(timeout=10))
    assert [getattr(e, "event", None) for e in events] == ["turn_started", "session_ended"]


def test_audio_event_pcm_view() -> None:
    event = va.VoiceStreamEventAudio(data=b"\x01\x00\xff\xff")
    assert event.pcm.tolist() == [1, -1]
    assert "bytes" in repr(event)


def test_pipeline_rejects_bad_arguments() -> None:
    with pytest.raises(ConfigError):
        va.Pipeline.start(workflow=object(), api_key="sk-x")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        va.Pipeline.start(
            workflow=va.SimpleWorkflow(lambda t: [t]), base_url="ftp://x", api_key="sk-x"
        )
