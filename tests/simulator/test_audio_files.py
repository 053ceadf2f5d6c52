"""PyAV encoding and decoding of the simulator's compressed audio files (no sockets)."""

from __future__ import annotations

import pytest

from realtime_actors.simulator import audio_files
from realtime_actors.simulator.speech_codec import decode, synthesize

TEXT = "Round trip, 123!"
EXTENSIONS = sorted(set(audio_files.UPLOAD_ENCODINGS) | set(audio_files.SPEECH_ENCODINGS))


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_every_encoding_round_trips_the_synthetic_speech(extension: str) -> None:
    samples = synthesize(TEXT)
    decoded = audio_files.decode_file(audio_files.encode_file(samples, 24000, extension))
    assert abs(decoded.size - samples.size) <= 2048  # AAC adds priming samples
    assert decode(decoded) == TEXT


def test_other_rates_are_resampled_to_24khz() -> None:
    samples = synthesize(TEXT, 16000)
    decoded = audio_files.decode_file(audio_files.encode_file(samples, 16000, "flac"))
    assert decoded.size == samples.size * 3 // 2 and decode(decoded) == TEXT


def test_bad_input_is_a_typed_error() -> None:
    with pytest.raises(audio_files.AudioFileError, match="could not decode"):
        audio_files.decode_file(b"this is not audio" * 50)
    with pytest.raises(audio_files.AudioFileError, match="no encoding for 'aiff'"):
        audio_files.encode_file(synthesize(TEXT), 24000, "aiff")
