"""Realtime voice: stream a spoken question in 100 ms chunks, commit on the last one, and save
the spoken reply as a WAV file."""

from __future__ import annotations

import argparse
import sys
import threading

from _audio import BYTES_PER_MS, CHUNK_MS, chunks, save_wav, spoken, wav_pcm
from _common import ExampleFailure, LiveGuard, connect, run_example, say, summary
from _events import EventPrinter, finish_turn

import realtime_actors as rt

QUESTION = "What is a good name for a friendly robot?"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of this example."""
    parser.add_argument("--wav", type=str, default=None,
                        help="a WAV file with the spoken question (any rate, mono or stereo)")
    parser.add_argument("--text", default=QUESTION,
                        help="the question to speak when no --wav is given")
    parser.add_argument("--pace", action="store_true",
                        help="send the chunks in real time, as a microphone would")


def main(args: argparse.Namespace) -> int:
    """One spoken turn: stream, commit, receive the audio reply, write both WAV files."""
    assistant = rt.agent("VoiceAssistant", instructions="You are concise and friendly.")
    settings = rt.SessionModelSettings(
        output_modalities=["audio"],
        voice="alloy",
        turn_detection=None,  # explicit turn boundary: commit on the last chunk
        transcription=rt.TranscriptionConfig(model="gpt-4o-transcribe"),
    )
    config = rt.RunConfig(model_settings=settings, raw_events=False)
    printer = EventPrinter(keep_audio=True)
    pacer = threading.Event()  # never set: waiting on it paces the chunks
    with connect(args) as target:
        guard = LiveGuard(target)
        pcm = wav_pcm(args.wav) if args.wav else spoken(args.text, target, guard)
        if not pcm:
            raise ExampleFailure("the spoken input is empty")
        save_wav(args.out, "live_realtime_voice_input.wav", pcm)
        pieces = list(chunks(pcm, CHUNK_MS))
        try:
            session = rt.run(assistant, config=config, model_config=target.model_config)
        except rt.RealtimeError as err:
            raise guard.fail(err, "the session could not start") from err
        with session:
            source = args.wav or f"spoken {args.text!r}"
            printer.say(f"[user] streaming {len(pieces)} chunks of {CHUNK_MS} ms ({source})")
            for index, piece in enumerate(pieces, start=1):
                session.send_audio(piece, commit=index == len(pieces))
                if args.pace:
                    pacer.wait(len(piece) / BYTES_PER_MS / 1000)
            printer.say("[user] committed the audio buffer")
            finish_turn(session, printer, guard, target.timeout_s)
    if not printer.audio:
        raise ExampleFailure("the reply had no audio")
    save_wav(args.out, "live_realtime_voice_reply.wav", bytes(printer.audio))
    say(summary(turns=printer.turns, chunks=len(pieces), audio_in_ms=len(pcm) // BYTES_PER_MS,
                  audio_ms=printer.audio_ms))
    return 0 if printer.turns == 1 else 1


if __name__ == "__main__":
    sys.exit(run_example(main, __doc__ or "", add_arguments))
