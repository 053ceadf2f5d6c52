"""A bounded, thread-safe buffer of session events for ``Session.events()``.

Bounds: ``maxlen`` events (``RunConfig.event_buffer``) and ``max_bytes``
(``RunConfig.event_buffer_bytes``) on their approximate size
(:func:`~realtime_actors.session.event_size.event_size`, audio PCM included). While subscribers take
the session's events and the application has not read the buffer yet (``get``), it is lean:
no :class:`~realtime_actors.session.events.AudioEvent` is kept and the other events are held to
``unread_bytes`` (``RunConfig.event_buffer_unread_bytes``, 16 KiB; ``None``: never lean). A
server session whose subscribers take everything so costs next to nothing; a script without
subscribers (the buffer is its only source) misses nothing however late it reads; one with
subscribers that reads late still finds the text, tool and history events.

Overflow: the oldest ``AudioEvent`` goes first (its PCM is the bulk); only when no audio is
left, the oldest event of any other kind; the newest event other than audio is never dropped
(so ``SessionEndedEvent`` always arrives). The reader
finds an :class:`~realtime_actors.session.events.EventsDroppedEvent` where events went missing
(how many, how many were audio, how many audio bytes); ``dropped`` counts them all. Drops
while the application reads are logged as warnings (the first, then one per 1,000); drops
before the first read are expected (nobody asked for the events) and logged at debug level,
plus one warning when a reader arrives and finds some.

Every event gets a sequence number and, in its entry, the count and bytes of audio events
added before it, so a gap's size and content follow from its two neighbours: audio and
other events wait in two queues, each in order, and are merged by sequence number.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Literal, overload

from ..errors import ConfigError
from .event_size import AUDIO_OVERHEAD, event_size
from .events import AudioEvent, EventsDroppedEvent, SessionEndedEvent, SessionEvent

logger = logging.getLogger(__name__)

DEFAULT_EVENT_BUFFER_BYTES = 8 * 2**20
"""``RunConfig.event_buffer_bytes``: 8 MiB, about 170 s of PCM16 24 kHz audio."""
DEFAULT_UNREAD_BYTES = 16 * 2**10
"""``RunConfig.event_buffer_unread_bytes``: 16 KiB, about 45 transcript deltas."""
WARN_EVERY = 1000

# an entry: (sequence, audio events before it, audio bytes before it, size, event)
_Entry = tuple[int, int, int, int, SessionEvent]


@overload
def check_buffer_bytes(name: str, value: object, *, optional: Literal[False] = False) -> int: ...
@overload
def check_buffer_bytes(name: str, value: object, *, optional: bool) -> int | None: ...
def check_buffer_bytes(name: str, value: object, *, optional: bool = False) -> int | None:
    """``value`` if it is an int >= 0 (or None when ``optional``), else :class:`ConfigError`
    naming ``name``."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        wanted = "an int >= 0 or None" if optional else "an int >= 0"
        raise ConfigError(f"{name} must be {wanted}, not {value!r}")
    return value


class EventSink:
    """Keeps events until a script reads them, within bounds; never blocks the writer.

    ``maxlen`` (the run config's ``event_buffer``) must be an int >= 0, else ConfigError;
    0 disables the buffer (``put`` keeps only whether the session ended)."""

    def __init__(self, maxlen: int, *, max_bytes: int = DEFAULT_EVENT_BUFFER_BYTES,
                 unread_bytes: int | None = DEFAULT_UNREAD_BYTES,
                 subscribed: bool = False) -> None:
        if isinstance(maxlen, bool) or not isinstance(maxlen, int) or maxlen < 0:
            raise ConfigError(f"event_buffer must be an int >= 0, not {maxlen!r}")
        self._max_bytes = check_buffer_bytes("event_buffer_bytes", max_bytes)
        self._unread_bytes = check_buffer_bytes("event_buffer_unread_bytes", unread_bytes,
                                                optional=True)
        self._maxlen = maxlen
        self._audio: collections.deque[_Entry] = collections.deque()
        self._other: collections.deque[_Entry] = collections.deque()
        self._bytes = 0
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._waiting = 0
        # lean: subscribers take the events and nobody has read the buffer yet, so it keeps
        # no audio and holds the rest to unread_bytes (never with unread_bytes=None)
        self._read = False
        self._lean = False
        self._budget = self._max_bytes
        # writer side: what was added
        self._seq = 0
        self._audio_count = 0
        self._audio_bytes = 0
        self._dropped = 0
        self._dropped_unread = 0
        self._dropped_unread_audio = 0
        # reader side: what was accounted for (read, or reported as dropped)
        self._next_seq = 0
        self._audio_seen = 0
        self._audio_bytes_seen = 0
        self.ended = False
        if subscribed:
            self.subscriber_added()

    def subscriber_added(self) -> None:
        """A subscriber takes the session's events: until the first read, keep no audio and
        hold the other events to ``unread_bytes`` (audio already held is dropped now)."""
        with self._lock:
            if self._read or self._lean or self._unread_bytes is None or self._maxlen == 0:
                return
            self._lean = True
            self._budget = self._unread_bytes
            while self._audio:
                self._bytes -= self._audio.popleft()[3]
                self._count_unread_drop(True)
            self._shed()

    def put(self, event: SessionEvent) -> None:
        """Add an event; beyond a bound the oldest audio goes first (see the module doc)."""
        if self._maxlen == 0:
            if isinstance(event, SessionEndedEvent):
                with self._cond:
                    self.ended = True
                    self._cond.notify_all()
            return
        if type(event) is AudioEvent:
            is_audio, pcm = True, len(event.data)
            size = pcm + AUDIO_OVERHEAD
        else:
            is_audio, pcm, size = False, 0, event_size(event)
        with self._lock:  # the condition's lock, without its Python-level __enter__
            seq = self._seq
            self._seq = seq + 1
            if is_audio and self._lean:  # subscribers have it, nobody reads: counted only
                self._audio_count += 1
                self._audio_bytes += pcm
                self._count_unread_drop(True)
                return
            entry = (seq, self._audio_count, self._audio_bytes, size, event)
            if is_audio:
                self._audio.append(entry)
                self._audio_count += 1
                self._audio_bytes += pcm
            else:
                self._other.append(entry)
                if isinstance(event, SessionEndedEvent):
                    self.ended = True
            self._bytes += size
            if self._bytes > self._budget or len(self._audio) + len(self._other) > self._maxlen:
                self._shed()
            if self._waiting:
                self._cond.notify_all()

    def _shed(self) -> None:
        """Drop events until within the bounds (the lock held)."""
        while (self._bytes > self._budget
               or len(self._audio) + len(self._other) > self._maxlen):
            if self._audio:
                entry = self._audio.popleft()
            elif len(self._other) > 1:
                entry = self._other.popleft()
            else:
                return  # the newest event is kept, whatever its size
            self._bytes -= entry[3]
            audio = type(entry[4]) is AudioEvent
            if not self._lean:
                if (self._dropped - self._dropped_unread) % WARN_EVERY == 0:
                    logger.warning(
                        "session event buffer full (%d events / %d bytes): dropping the "
                        "oldest %s; read Session.events() faster or subscribe an actor",
                        self._maxlen, self._budget, "audio events" if audio else "events")
                self._dropped += 1
            else:
                self._count_unread_drop(audio)

    def _count_unread_drop(self, audio: bool) -> None:
        """Count an event dropped in the lean phase (the lock held)."""
        if self._dropped_unread % WARN_EVERY == 0:
            logger.debug("Session.events() not read yet: dropping %s",
                         "audio events" if audio else
                         f"the oldest events beyond {self._budget} bytes")
        self._dropped_unread += 1
        self._dropped_unread_audio += audio
        self._dropped += 1

    @property
    def enabled(self) -> bool:
        """Whether events are kept at all (``event_buffer > 0``)."""
        return self._maxlen > 0

    @property
    def dropped(self) -> int:
        """How many events were dropped because nobody read them in time."""
        return self._dropped

    @property
    def held_bytes(self) -> int:
        """Approximate bytes the events waiting in the buffer hold now."""
        return self._bytes

    def get(self, timeout: float | None) -> SessionEvent | None:
        """The next event (an :class:`EventsDroppedEvent` where events are missing), or
        ``None`` after ``timeout`` seconds without one. The first call starts reading."""
        if self._maxlen == 0:
            raise ConfigError("this session was started with RunConfig(event_buffer=0): "
                              "subscribe an actor to receive its events")
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            if not self._read:
                self._start_reading()
            while self._seq == self._next_seq:  # nothing new, not even a gap
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._waiting += 1
                try:
                    self._cond.wait(remaining)
                finally:
                    self._waiting -= 1
            return self._take()

    def get_batch(self, max_events: int, timeout: float | None) -> list[SessionEvent]:
        """Up to ``max_events`` events: waits up to ``timeout`` for the first, then takes
        what is already there (``[]`` after ``timeout`` without one)."""
        first = self.get(timeout)
        if first is None:
            return []
        batch = [first]
        with self._lock:
            while self._seq != self._next_seq and len(batch) < max_events:
                batch.append(self._take())
        return batch

    def _start_reading(self) -> None:
        """The first read: from now on the larger byte budget applies (the lock held)."""
        self._read = True
        self._lean = False
        self._budget = self._max_bytes
        if self._dropped_unread:
            logger.warning(
                "%d session events (%d of them audio) were dropped before Session.events() "
                "was first read: while subscribers take the events and nobody reads, it keeps "
                "no audio and at most RunConfig.event_buffer_unread_bytes=%d bytes of other "
                "events (None: keep them all); an EventsDroppedEvent marks each gap",
                self._dropped_unread,
                self._dropped_unread_audio, self._unread_bytes)

    def _take(self) -> SessionEvent:
        """The next event in order, or the marker of a gap before it, or of one after the
        last event so far (the lock held, something not yet accounted for)."""
        audio, other = self._audio, self._other
        if audio and (not other or audio[0][0] < other[0][0]):
            queue = audio
        elif other:
            queue = other
        else:  # only a gap: everything added since was dropped
            seq, audio_before, audio_bytes_before = self._seq, self._audio_count, self._audio_bytes
            return self._gap(seq, audio_before, audio_bytes_before)
        seq, audio_before, audio_bytes_before, size, event = queue[0]
        if seq != self._next_seq:
            return self._gap(seq, audio_before, audio_bytes_before)
        queue.popleft()
        self._bytes -= size
        self._next_seq = seq + 1
        if queue is audio:
            self._audio_seen = audio_before + 1
            self._audio_bytes_seen = audio_bytes_before + size - AUDIO_OVERHEAD  # its PCM bytes
        else:
            self._audio_seen, self._audio_bytes_seen = audio_before, audio_bytes_before
        return event

    def _gap(self, seq: int, audio_before: int, audio_bytes_before: int) -> EventsDroppedEvent:
        """The marker of the events missing before sequence number ``seq``."""
        marker = EventsDroppedEvent(count=seq - self._next_seq,
                                    audio=audio_before - self._audio_seen,
                                    audio_bytes=audio_bytes_before - self._audio_bytes_seen)
        self._next_seq = seq
        self._audio_seen, self._audio_bytes_seen = audio_before, audio_bytes_before
        return marker
