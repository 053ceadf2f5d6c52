"""Outgoing call audio, sans-I/O: carrier-sized frames, marks, pacing and what was heard.

:class:`Playout` cuts the answer's μ-law audio into 20 ms frames (160 bytes), places a mark
after every ``mark_every`` frames and one closing each answer, and releases frames in real
time: a frame goes out once the audio already sent would finish playing within ``lead_ms``
(so the carrier holds little that a ``clear`` must throw away, and tiny chunks never reach
it). When the carrier reports a mark played, :meth:`Playout.on_mark` says how many
milliseconds of which item the caller has now heard: the bridge feeds that to the session's
:class:`~realtime_actors.PlaybackTracker`, so a barge-in truncates at the heard position.
Marks sent before a :meth:`Playout.clear` are forgotten: a carrier that echoes them when it
empties its buffer does not count unplayed audio as heard.

Times are seconds on a monotonic clock passed in by the caller.
"""

from __future__ import annotations

import collections
import logging

import attrs

from ..errors import ConfigError

logger = logging.getLogger(__name__)

ULAW_BYTES_PER_MS = 8
FRAME_MS = 20
"""A carrier frame: 20 ms of μ-law 8 kHz (160 bytes)."""


@attrs.frozen(kw_only=True)
class FrameOut:
    """A media frame to send now."""

    payload: bytes = attrs.field(repr=lambda p: f"<{len(p)} bytes>")


@attrs.frozen(kw_only=True)
class MarkOut:
    """A mark to send now, after the frames before it."""

    name: str


@attrs.frozen(kw_only=True)
class Heard:
    """The caller heard ``ms`` more milliseconds of this item's audio."""

    item_id: str
    content_index: int
    ms: float
    done: bool = False
    """The item's closing mark: the caller has heard all of its audio."""


@attrs.frozen
class _Pending:
    name: str
    item_id: str
    content_index: int
    ms: float
    done: bool


class Playout:
    """Frames, marks and pacing of the audio sent to one call (one owner, not thread-safe)."""

    def __init__(self, *, mark_every: int = 5, lead_ms: float = 100.0,
                 max_buffer_ms: float = 600_000.0) -> None:
        if isinstance(mark_every, bool) or not isinstance(mark_every, int) or mark_every < 1:
            raise ConfigError(f"mark_every must be an int >= 1, got {mark_every!r}")
        if not isinstance(lead_ms, int | float) or lead_ms < 0:
            raise ConfigError(f"lead_ms must be a number >= 0, got {lead_ms!r}")
        self.mark_every = mark_every
        self.lead_s = lead_ms / 1000.0
        self._max_bytes = int(max_buffer_ms * ULAW_BYTES_PER_MS)
        self._out: collections.deque[FrameOut | MarkOut] = collections.deque()
        self._out_bytes = 0
        self._partial = b""
        self._item: tuple[str, int] | None = None
        self._since_mark = 0
        self._since_mark_ms = 0.0
        self._pending: collections.deque[_Pending] = collections.deque()
        self._marks = 0
        self._playing_until = 0.0
        self.frames_sent = 0
        self.marks_sent = 0
        self.marks_heard = 0

    @property
    def pending_marks(self) -> int:
        """Marks sent that the carrier has not reported played."""
        return len(self._pending)

    def add(self, item_id: str, content_index: int, ulaw: bytes) -> None:
        """Queue answer audio of ``(item_id, content_index)``; a new item ends the previous."""
        if self._item is not None and self._item != (item_id, content_index):
            self.end_item()
        self._item = (item_id, content_index)
        data = self._partial + ulaw
        frame_bytes = FRAME_MS * ULAW_BYTES_PER_MS
        cut = len(data) - len(data) % frame_bytes
        self._partial = data[cut:]
        for start in range(0, cut, frame_bytes):
            self._queue_frame(data[start:start + frame_bytes])

    def end_item(self) -> None:
        """The item's audio is complete: send what is left and a closing mark (the mark
        just queued after the last frame, if any, becomes it), so the carrier's report of it
        means the whole item was heard."""
        if self._item is None:
            return
        if self._partial:
            self._queue_frame(self._partial)
            self._partial = b""
        last = self._out[-1] if self._out else None
        if (self._since_mark == 0 and isinstance(last, MarkOut) and self._pending
                and self._pending[-1].name == last.name):
            self._pending[-1] = attrs.evolve(self._pending[-1], done=True)
        else:
            self._queue_mark(done=True)
        self._item = None

    def _queue_frame(self, payload: bytes) -> None:
        if self._out_bytes + len(payload) > self._max_bytes:
            raise ConfigError(f"more than {self._max_bytes // ULAW_BYTES_PER_MS} ms of call "
                              "audio queued: the carrier is not keeping up")
        self._out.append(FrameOut(payload=payload))
        self._out_bytes += len(payload)
        self._since_mark += 1
        self._since_mark_ms += len(payload) / ULAW_BYTES_PER_MS
        if self._since_mark >= self.mark_every:
            self._queue_mark()

    def _queue_mark(self, done: bool = False) -> None:
        assert self._item is not None
        self._marks += 1
        name = f"m{self._marks}"
        item_id, index = self._item
        self._out.append(MarkOut(name=name))
        self._pending.append(_Pending(name, item_id, index, self._since_mark_ms, done))
        self._since_mark = 0
        self._since_mark_ms = 0.0

    def next_due(self, now: float) -> float | None:
        """When the next frame may go out (``now`` or later); None when nothing is queued."""
        if not self._out:
            return None
        return max(now, self._playing_until - self.lead_s)

    def due(self, now: float) -> list[FrameOut | MarkOut]:
        """Frames (and the marks after them) to send at ``now``, in order."""
        sent: list[FrameOut | MarkOut] = []
        while self._out:
            head = self._out[0]
            if isinstance(head, FrameOut):
                if self._playing_until - now > self.lead_s + 1e-9:
                    break
                self._playing_until = (max(self._playing_until, now)
                                       + len(head.payload) / ULAW_BYTES_PER_MS / 1000.0)
                self._out_bytes -= len(head.payload)
                self.frames_sent += 1
            elif isinstance(head, MarkOut):
                self.marks_sent += 1
            self._out.popleft()
            sent.append(head)
        return sent

    def on_mark(self, name: str) -> list[Heard]:
        """The carrier played up to mark ``name``: what the caller heard since the last one
        (marks are played in order; an unknown or cleared mark gives nothing)."""
        if not any(p.name == name for p in self._pending):
            logger.debug("mark %r is not pending (cleared or unknown); ignored", name)
            return []
        heard: list[Heard] = []
        while self._pending:
            mark = self._pending.popleft()
            heard.append(Heard(item_id=mark.item_id, content_index=mark.content_index,
                               ms=mark.ms, done=mark.done))
            self.marks_heard += 1
            if mark.name == name:
                break
        return heard

    def clear(self, now: float) -> int:
        """Drop everything not yet sent and forget the marks not yet played (the carrier is
        told to ``clear``); returns how many frames were dropped."""
        dropped = sum(1 for x in self._out if isinstance(x, FrameOut))
        self._out.clear()
        self._out_bytes = 0
        self._partial = b""
        self._pending.clear()
        self._item = None
        self._since_mark = 0
        self._since_mark_ms = 0.0
        self._playing_until = now
        return dropped
