"""TurnSpeech: sentences played in text order; the first one runs alone until its audio starts.

The synthesis function is a stand-in for the TTS request whose progress the test controls
(each sentence yields its chunks when the test allows it); threads are the real worker threads.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

import pytest

import voice_actors as va
from voice_actors.errors import VoiceConnectionError
from voice_actors.turn_speech import TurnSpeech
from voice_actors.worker_threads import WorkerThreads

WAIT_S = 10.0


class Scripted:
    """Synthesis whose chunks come when the test feeds them (``None`` ends a sentence)."""

    def __init__(self) -> None:
        self.started: queue.Queue[str] = queue.Queue()
        self._feeds: dict[str, queue.Queue[bytes | Exception | None]] = {}
        self._lock = threading.Lock()

    def feed(self, text: str, item: bytes | Exception | None) -> None:
        self._queue(text).put(item)

    def _queue(self, text: str) -> queue.Queue[bytes | Exception | None]:
        with self._lock:
            return self._feeds.setdefault(text, queue.Queue())

    def __call__(self, text: str) -> Iterator[bytes]:
        self.started.put(text)
        feed = self._queue(text)
        while True:
            item = feed.get(timeout=WAIT_S)
            if item is None:
                return
            if isinstance(item, Exception):
                raise item
            yield item


@pytest.fixture
def workers() -> Iterator[WorkerThreads]:
    pool = WorkerThreads(name="test-tts")
    yield pool
    assert pool.shutdown(timeout=WAIT_S)


def _speech(workers: WorkerThreads, scripted: Scripted, played: list[bytes]) -> TurnSpeech:
    return TurnSpeech(workers=workers, limit=3, synthesise=scripted, emit=played.append)


def _wait_in_thread(speech: TurnSpeech, token: va.CancelToken) -> tuple[threading.Thread, list]:
    outcome: list[BaseException | None] = []

    def wait() -> None:
        try:
            speech.wait(token)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=wait, name="turn-wait")
    thread.start()
    return thread, outcome


def test_first_sentence_runs_alone_until_its_first_audio(workers: WorkerThreads) -> None:
    scripted, played = Scripted(), []
    speech = _speech(workers, scripted, played)
    for text in ("one", "two", "three"):
        speech.add(text)
    speech.end()
    assert scripted.started.get(timeout=WAIT_S) == "one"
    assert scripted.started.empty()  # "two" and "three" wait for the first audio
    scripted.feed("one", b"1a")
    assert {scripted.started.get(timeout=WAIT_S) for _ in range(2)} == {"two", "three"}
    for text, chunk in (("three", b"3a"), ("two", b"2a"), ("one", b"1b")):
        scripted.feed(text, chunk)
    for text in ("three", "two", "one"):
        scripted.feed(text, None)
    thread, outcome = _wait_in_thread(speech, va.CancelToken())
    thread.join(timeout=WAIT_S)
    assert outcome == [None]
    assert played == [b"1a", b"1b", b"2a", b"3a"]  # text order, whatever order they came in
    assert speech.close(timeout=WAIT_S)


def test_a_failed_sentence_fails_the_turn_after_the_audio_before_it(
    workers: WorkerThreads,
) -> None:
    scripted, played = Scripted(), []
    speech = _speech(workers, scripted, played)
    speech.add("one")
    speech.add("two")
    speech.end()
    scripted.feed("one", b"1a")
    scripted.feed("two", VoiceConnectionError("cut off", endpoint="speech"))
    scripted.feed("one", b"1b")
    scripted.feed("one", None)
    thread, outcome = _wait_in_thread(speech, va.CancelToken())
    thread.join(timeout=WAIT_S)
    assert len(outcome) == 1 and isinstance(outcome[0], VoiceConnectionError)
    assert played == [b"1a", b"1b"]
    assert speech.close(timeout=WAIT_S)


def test_a_workflow_error_ends_the_turn_after_the_sentences_before_it(
    workers: WorkerThreads,
) -> None:
    scripted, played = Scripted(), []
    speech = _speech(workers, scripted, played)
    speech.add("one")
    speech.end(va.WorkflowError("the workflow raised"))
    scripted.feed("one", b"1a")
    scripted.feed("one", None)
    thread, outcome = _wait_in_thread(speech, va.CancelToken())
    thread.join(timeout=WAIT_S)
    assert len(outcome) == 1 and isinstance(outcome[0], va.WorkflowError)
    assert played == [b"1a"]
    assert speech.close(timeout=WAIT_S)


def test_cancelling_ends_the_wait_and_close_drops_sentences_not_started(
    workers: WorkerThreads,
) -> None:
    scripted, played = Scripted(), []
    speech = _speech(workers, scripted, played)
    speech.add("one")
    speech.add("two")
    assert scripted.started.get(timeout=WAIT_S) == "one"
    token = va.CancelToken()
    thread, outcome = _wait_in_thread(speech, token)
    token.cancel()
    thread.join(timeout=WAIT_S)
    assert len(outcome) == 1 and isinstance(outcome[0], va.VoiceCancelledError)
    scripted.feed("one", None)  # the running request ends (a real one fails at once)
    assert speech.close(timeout=WAIT_S)
    assert scripted.started.empty()  # "two" never started
    assert played == []
