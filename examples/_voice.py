"""Helpers of the voice pipeline examples: start a pipeline on the example's target and print
the events of a run, one line per turn boundary and per turn's audio."""

from __future__ import annotations

from _audio import BYTES_PER_MS
from _common import ExampleFailure, LiveGuard, Target, say

import voice_actors as va

STT = va.STTSettings(model="gpt-4o-transcribe")
TTS = va.TTSSettings(model="gpt-4o-mini-tts", voice="nova")


def start_pipeline(workflow: va.VoiceWorkflowBase, target: Target, name: str) -> va.Pipeline:
    """A pipeline on the simulator's REST server offline, on the real service live."""
    config = va.VoicePipelineConfig(workflow_name=name, stt_settings=STT, tts_settings=TTS)
    return va.Pipeline.start(workflow=workflow, config=config, base_url=target.rest_url,
                             api_key=target.rest_api_key)


def play(result: va.VoiceResult, guard: LiveGuard, timeout: float,
         first_turn: int = 1) -> list[bytes]:
    """Print a run's events and return the audio of each turn (PCM16 24 kHz mono); turns
    are numbered from ``first_turn``.

    An error event is checked against the live skip rules, then fails the example.
    """
    turns: list[bytes] = []
    offset = first_turn - 1
    current = bytearray()
    for event in result.stream(timeout=timeout):
        if isinstance(event, va.VoiceStreamEventAudio):
            current.extend(event.data)
        elif isinstance(event, va.VoiceStreamEventLifecycle):
            if event.event == "turn_started":
                current = bytearray()
                say(f"[voice] turn {offset + len(turns) + 1} started")
            elif event.event == "turn_ended":
                turns.append(bytes(current))
                say(f"[audio] {len(current)} bytes ({len(current) // BYTES_PER_MS} ms) "
                      f"in turn {offset + len(turns)}")
                say(f"[voice] turn {offset + len(turns)} ended")
            else:
                say(f"[voice] {event.event}")
        elif isinstance(event, va.VoiceStreamEventTranscript):  # with emit_transcripts=True
            say(f"[transcript] {event.text}")
        else:
            say(f"[error] {type(event.error).__name__}: {event.error}")
            raise guard.fail(event.error, "the voice run failed")
    return turns


def check_turns(turns: list[bytes], expected: int) -> None:
    """Fail unless there were ``expected`` turns, each with audio."""
    if len(turns) != expected or not all(turns):
        raise ExampleFailure(f"expected {expected} spoken turns, got "
                             f"{[len(t) // BYTES_PER_MS for t in turns]} ms of audio")
