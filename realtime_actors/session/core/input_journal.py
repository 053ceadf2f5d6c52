"""The input audio journal: the user's speech kept until the server has acknowledged it.

Part of the sans-I/O session core. A connection can be lost after ``input_audio_buffer.append``
frames (or a commit) left the client but before the server acknowledged the turn; the server
of the next connection starts with an empty buffer. The journal keeps the audio appended since
the last acknowledged commit, with its position in the connection's input stream, and the
*boundaries* that end turns in it: our own commits (replayed as commits) and the ends of
speech that server VAD reported (not replayed: the audio holds the speech and the silence
that ended it, so the new server's VAD ends the turn once, by itself). It also keeps the audio
of committed turns whose words are not known yet (no transcript), so the conversation can be
restored with it.

With server VAD on, audio that precedes detected speech by more than the prefix padding never
becomes part of a turn, so only its last :data:`VAD_KEEP_MS` (plus the padding) is kept.
Everything kept is bounded by ``limit_bytes``: the oldest audio goes first, with a warning.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Collection
from typing import Literal

import attrs
import numpy as np

from ...audio.g711 import alaw_decode, ulaw_decode

logger = logging.getLogger(__name__)

BYTES_PER_MS = 48
"""PCM16 mono at 24 kHz: 48 bytes per millisecond (the session's input format)."""
DEFAULT_LIMIT_BYTES = 60_000 * BYTES_PER_MS
"""60 s of PCM16 at 24 kHz (2.88 MB): the default bound of the audio kept for replay."""
VAD_KEEP_MS = 100
"""Under server VAD, quiet audio kept before detected speech, beyond the prefix padding."""
QUIET_RMS = 0.01 * 32768
"""A chunk whose RMS level is below this (-40 dBFS) holds no speech: under server VAD it may
be dropped before any speech was detected. Louder audio is kept until the server says where
speech started (a drop may have kept that news from us)."""


@attrs.define
class _Chunk:
    event_id: str
    data: bytes
    start_ms: float
    """Position of the chunk's first sample in the connection's input stream."""
    end_ms: float
    quiet: bool | None = None
    """Whether it holds no speech (measured once, when first needed)."""


@attrs.define
class _Boundary:
    position_ms: float
    commit_event_id: str | None
    """Our commit's event id; ``None`` for the end of speech found by server VAD."""


@attrs.frozen
class ReplayStep:
    """One frame to send again: an append of ``audio``, or a commit (``audio is None``)."""

    audio: bytes | None


class InputAudioJournal:
    """Input audio not yet acknowledged by the server (one owner: the session core)."""

    def __init__(self, limit_bytes: int = DEFAULT_LIMIT_BYTES) -> None:
        self.limit_bytes = limit_bytes
        self._chunks: list[_Chunk] = []
        self._boundaries: list[_Boundary] = []
        self._turn_audio: OrderedDict[str, bytes] = OrderedDict()
        """Audio of committed user items whose transcript is not known yet, by item id."""
        self._position_ms = 0.0
        self._vad_keep_ms: float | None = None
        self._size = 0
        self.bytes_per_ms: float = BYTES_PER_MS
        """Bytes per millisecond of the session's input format (48 for PCM16 at 24 kHz, 8
        for G.711)."""
        self._align = 1
        self._codec: Literal["pcm16", "ulaw", "alaw"] = "pcm16"
        self._over_limit = False

    # ------------------------------------------------------------------ configuration
    def set_vad(self, prefix_padding_ms: float | None) -> None:
        """Server VAD on (with its prefix padding) or off (``None``)."""
        self._vad_keep_ms = None if prefix_padding_ms is None else \
            prefix_padding_ms + VAD_KEEP_MS

    def set_format(self, codec: Literal["pcm16", "ulaw", "alaw"]) -> None:
        """The session's input audio format (positions are measured in it)."""
        self._codec = codec
        self.bytes_per_ms = 48 if codec == "pcm16" else 8
        self._align = 1 if codec == "pcm16" else 0

    @property
    def size(self) -> int:
        """Bytes of audio kept."""
        return self._size

    @property
    def pending_bytes(self) -> int:
        """Bytes appended and not yet acknowledged as part of a committed item."""
        return sum(len(c.data) for c in self._chunks)

    # ------------------------------------------------------------------ what we send
    def appended(self, event_id: str, data: bytes) -> None:
        """An ``input_audio_buffer.append`` with ``event_id`` was sent (or queued)."""
        if not data:
            return
        end = self._position_ms + len(data) / self.bytes_per_ms
        self._chunks.append(_Chunk(event_id, data, self._position_ms, end))
        self._position_ms = end
        self._size += len(data)
        if self._vad_keep_ms is not None:
            self._drop_open_before(self._position_ms - self._vad_keep_ms, quiet_only=True)
        self._bound()

    def commit_sent(self, event_id: str) -> None:
        """Our ``input_audio_buffer.commit`` ends the turn at the current position."""
        self._boundaries.append(_Boundary(self._position_ms, event_id))

    def cleared(self) -> None:
        """``input_audio_buffer.clear`` was sent: the audio after the last boundary is gone."""
        start = self._boundaries[-1].position_ms if self._boundaries else float("-inf")
        kept = [c for c in self._chunks if c.end_ms <= start]
        self._size -= sum(len(c.data) for c in self._chunks) - sum(len(c.data) for c in kept)
        self._chunks = kept

    def commit_rejected(self, event_id: str | None) -> bool:
        """The server refused our commit ``event_id`` (too little audio, say): the audio stays
        in its buffer and joins the next turn. False if ``event_id`` is no commit of ours."""
        for boundary in self._boundaries:
            if event_id is not None and boundary.commit_event_id == event_id:
                self._boundaries.remove(boundary)
                return True
        return False

    # ------------------------------------------------------------------ what the server says
    def speech_started(self, audio_start_ms: int | None) -> None:
        """Server VAD found speech: open audio before ``audio_start_ms`` is not in the turn."""
        if audio_start_ms is not None:
            self._drop_open_before(float(audio_start_ms))

    def speech_stopped(self, audio_end_ms: int | None) -> None:
        """Server VAD ended a turn at ``audio_end_ms`` (the server commits it next)."""
        position = self._position_ms if audio_end_ms is None else float(audio_end_ms)
        self._boundaries.append(_Boundary(min(position, self._position_ms), None))
        self._boundaries.sort(key=lambda b: b.position_ms)

    def committed(self, item_id: str) -> bool:
        """``input_audio_buffer.committed``: the audio up to the oldest boundary became user
        item ``item_id`` (a commit with no boundary known takes everything appended).
        Returns whether the server ended that turn itself (not our commit)."""
        by_server = True
        if self._boundaries:
            boundary = self._boundaries.pop(0)
            cut = boundary.position_ms
            by_server = boundary.commit_event_id is None
        else:
            cut = self._position_ms
        taken: list[bytes] = []
        rest: list[_Chunk] = []
        for chunk in self._chunks:
            if chunk.end_ms <= cut:
                taken.append(chunk.data)
            elif chunk.start_ms >= cut:
                rest.append(chunk)
            else:
                split = int((cut - chunk.start_ms) * self.bytes_per_ms) & ~self._align
                taken.append(chunk.data[:split])
                rest.append(_Chunk(chunk.event_id, chunk.data[split:], cut, chunk.end_ms))
        self._chunks = rest
        data = b"".join(taken)  # still counted in the size: it moves, nothing is added
        if data:
            self._turn_audio[item_id] = data
        return by_server

    def transcript_known(self, item_id: str) -> None:
        """The item's words are known (or it is gone): its audio need not be kept."""
        data = self._turn_audio.pop(item_id, None)
        if data is not None:
            self._size -= len(data)

    def turn_audio(self, item_id: str) -> bytes | None:
        """Audio of a committed user item whose transcript is not known, if kept."""
        return self._turn_audio.get(item_id)

    def turn_audio_ids(self) -> tuple[str, ...]:
        """Ids of the committed items whose audio is kept, oldest first."""
        return tuple(self._turn_audio)

    # ------------------------------------------------------------------ a new connection
    def replay(self, skip_event_ids: Collection[str] = ()) -> list[ReplayStep]:
        """The appends and commits the new connection must receive again, in order, leaving
        out what is still queued to go after them (``skip_event_ids``)."""
        steps: list[ReplayStep] = []
        commits = [b for b in self._boundaries if b.commit_event_id is not None
                   and b.commit_event_id not in skip_event_ids]
        for chunk in self._chunks:
            while commits and commits[0].position_ms <= chunk.start_ms:
                commits.pop(0)
                steps.append(ReplayStep(None))
            if chunk.event_id not in skip_event_ids:
                steps.append(ReplayStep(chunk.data))
        steps.extend(ReplayStep(None) for _ in commits)
        return steps

    def restart(self, skip_event_ids: Collection[str], event_ids: list[str]) -> None:
        """The steps of :meth:`replay` went out on a new connection with ``event_ids`` (one
        per step): positions now count from that connection's start, VAD boundaries are the
        new server's to find, and what was skipped follows the replay."""
        steps = iter(event_ids)
        replayed: list[_Chunk] = []
        boundaries: list[_Boundary] = []
        later: list[_Chunk] = []
        position = 0.0
        commits = [b for b in self._boundaries if b.commit_event_id is not None
                   and b.commit_event_id not in skip_event_ids]
        queued_commits = [b for b in self._boundaries if b.commit_event_id in skip_event_ids]
        for chunk in self._chunks:
            while commits and commits[0].position_ms <= chunk.start_ms:
                commits.pop(0)
                boundaries.append(_Boundary(position, next(steps)))
            if chunk.event_id in skip_event_ids:
                later.append(chunk)
                continue
            position = self._moved(replayed, next(steps), chunk.data, position)
        boundaries.extend(_Boundary(position, next(steps)) for _ in commits)
        # queued appends and commits go out after the replay, in their order
        for chunk in later:
            position = self._moved(replayed, chunk.event_id, chunk.data, position)
        boundaries.extend(_Boundary(position, b.commit_event_id) for b in queued_commits)
        self._chunks = replayed
        self._boundaries = boundaries
        self._position_ms = position

    def _moved(self, into: list[_Chunk], event_id: str, data: bytes, position: float) -> float:
        end = position + len(data) / self.bytes_per_ms
        into.append(_Chunk(event_id, data, position, end))
        return end

    # ------------------------------------------------------------------ bounds
    def _drop_open_before(self, position: float, *, quiet_only: bool = False) -> None:
        """Drop audio after the last boundary that ends before ``position`` (``quiet_only``:
        stop at the first chunk that may hold speech). The newest chunk always stays."""
        chunks = self._chunks
        first = 0
        if self._boundaries:
            start = self._boundaries[-1].position_ms
            while first < len(chunks) and chunks[first].start_ms < start:
                first += 1
        while first < len(chunks) - 1:
            chunk = chunks[first]
            if chunk.end_ms > position:
                return
            if quiet_only:
                if chunk.quiet is None:
                    chunk.quiet = self._quiet(chunk.data)
                if not chunk.quiet:
                    return
            del chunks[first]
            self._size -= len(chunk.data)

    def _quiet(self, data: bytes) -> bool:
        if self._codec == "pcm16":
            if data.count(0) == len(data):  # digital silence: no arithmetic needed
                return True
            samples = np.frombuffer(data, dtype="<i2", count=len(data) // 2)
        else:
            samples = (ulaw_decode if self._codec == "ulaw" else alaw_decode)(data)
        if not samples.size:
            return True
        values = samples.astype(np.float32)
        return float(np.dot(values, values)) < QUIET_RMS * QUIET_RMS * samples.size

    def _bound(self) -> None:
        if self._size <= self.limit_bytes:
            self._over_limit = False
            return
        dropped = 0
        while self._size > self.limit_bytes and self._turn_audio:
            _item, data = self._turn_audio.popitem(last=False)
            self._size -= len(data)
            dropped += len(data)
        while self._size > self.limit_bytes and len(self._chunks) > 1:
            chunk = self._chunks.pop(0)
            self._size -= len(chunk.data)
            dropped += len(chunk.data)
        if dropped and not self._over_limit:  # once per excursion over the limit
            self._over_limit = True
            logger.warning("input audio kept for replay exceeds %d bytes "
                           "(RunConfig.replay_audio_limit); dropping the oldest (a reconnect "
                           "now would not replay it)", self.limit_bytes)
