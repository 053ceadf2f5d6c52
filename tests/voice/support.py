"""Helpers of the voice pipeline tests."""

from __future__ import annotations

import voice_actors as va
from realtime_actors.audio.pcm import write_wav
from realtime_actors.simulator.speech_codec import synthesize

TEST_KEY = "sk-test-voice-0123456789abcdef"


def speech_wav(text: str, rate: int = 24000) -> bytes:
    """A WAV file of the simulator's synthetic speech saying ``text``."""
    return write_wav(synthesize(text, rate), rate)


def collect(result: va.VoiceResult, timeout: float = 30.0) -> list[va.VoiceStreamEvent]:
    """Every event of a run."""
    return list(result.stream(timeout=timeout))


def kinds(events: list[va.VoiceStreamEvent]) -> list[str]:
    """Events as names: lifecycle names, ``audio``, ``transcript``, ``delta`` (a transcript
    delta) and ``error:<ErrorClass>``; runs of audio or deltas are collapsed into one entry."""
    names: list[str] = []
    for event in events:
        if isinstance(event, va.VoiceStreamEventAudio):
            name = "audio"
        elif isinstance(event, va.VoiceStreamEventLifecycle):
            name = event.event
        elif isinstance(event, va.VoiceStreamEventTranscript):
            name = "transcript" if event.final else "delta"
        else:
            name = f"error:{type(event.error).__name__}"
        if not (name in ("audio", "delta") and names and names[-1] == name):
            names.append(name)
    return names


def audio_bytes(events: list[va.VoiceStreamEvent]) -> bytes:
    """All audio of a run, concatenated."""
    return b"".join(e.data for e in events if isinstance(e, va.VoiceStreamEventAudio))
