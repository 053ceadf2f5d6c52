"""How much assistant audio has actually been played, for ``conversation.item.truncate``.

Two sources:

* :class:`PlaybackTracker`: the application reports what it played (``on_play_bytes`` /
  ``on_play_ms``, e.g. when a telephony ``mark`` is acknowledged). Thread-safe.
* :class:`AudioDeliveryEstimator`: used when the application never reports. It assumes playback
  starts with the first delta of an item and runs in real time, bounded by the audio delivered:
  ``played = min(delivered ms, wall time since the first delta)``. Sans-I/O: the caller passes
  ``now`` (``time.monotonic()`` seconds), so it is testable without sleeping.

Byte rates: PCM16 mono 24 kHz = 48 bytes/ms; G.711 (μ-law/A-law) 8 kHz = 8 bytes/ms.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping

import attrs

from realtime_actors.errors import ConfigError

PCM16_BYTES_PER_MS = 48
G711_BYTES_PER_MS = 8

_BYTES_PER_MS: dict[str, int] = {
    "audio/pcm": PCM16_BYTES_PER_MS,
    "pcm16": PCM16_BYTES_PER_MS,
    "pcm": PCM16_BYTES_PER_MS,
    "audio/pcmu": G711_BYTES_PER_MS,
    "audio/pcma": G711_BYTES_PER_MS,
    "g711_ulaw": G711_BYTES_PER_MS,
    "g711_alaw": G711_BYTES_PER_MS,
    "pcmu": G711_BYTES_PER_MS,
    "pcma": G711_BYTES_PER_MS,
}

AudioFormatSpec = str | Mapping[str, object]
"""A format name (``"audio/pcm"``, ``"pcm16"``, ``"audio/pcmu"``, ``"g711_alaw"``, ...) or a GA
format object such as ``{"type": "audio/pcm", "rate": 24000}``."""


def bytes_per_ms(audio_format: AudioFormatSpec = "audio/pcm") -> int:
    """Return the byte rate per millisecond of an output audio format.

    Raises :class:`ConfigError` for an unknown format or a PCM rate other than 24000.
    """
    name: object = audio_format
    if isinstance(audio_format, Mapping):
        name = audio_format.get("type")
        rate = audio_format.get("rate")
        if name == "audio/pcm" and rate is not None and rate != 24000:
            raise ConfigError(f"PCM audio must be 24000 Hz, got rate {rate!r}")
    if not isinstance(name, str) or name.strip().lower() not in _BYTES_PER_MS:
        raise ConfigError(
            f"unknown audio format {audio_format!r}; expected one of {sorted(_BYTES_PER_MS)}"
        )
    return _BYTES_PER_MS[name.strip().lower()]


def _whole_ms(ms: float) -> int:
    # The epsilon absorbs float error such as (t + 0.4 - t) * 1000 == 399.99999999999994.
    return max(0, math.floor(ms + 1e-6))


def _check_item(item_id: object, content_index: object) -> None:
    if not isinstance(item_id, str) or not item_id:
        raise ConfigError(f"item_id must be a non-empty str, got {item_id!r}")
    if isinstance(content_index, bool) or not isinstance(content_index, int) or content_index < 0:
        raise ConfigError(f"content_index must be an int >= 0, got {content_index!r}")


def _check_bytes(n_bytes: object) -> int:
    if isinstance(n_bytes, bool) or not isinstance(n_bytes, int) or n_bytes < 0:
        raise ConfigError(f"n_bytes must be an int >= 0, got {n_bytes!r}")
    return n_bytes


def _check_ms(ms: object) -> float:
    if isinstance(ms, bool) or not isinstance(ms, int | float) or not math.isfinite(ms) or ms < 0:
        raise ConfigError(f"ms must be a finite number >= 0, got {ms!r}")
    return float(ms)


def _check_now(now: object) -> float:
    if isinstance(now, bool) or not isinstance(now, int | float) or not math.isfinite(now):
        raise ConfigError(f"now must be a finite number of seconds, got {now!r}")
    return float(now)


@attrs.frozen(kw_only=True)
class PlaybackState:
    """What is being played: the item and content part, and whole milliseconds played so far.

    An idle state (nothing played since the last interruption) has ``item_id`` and
    ``content_index`` None and ``played_ms`` 0.
    """

    item_id: str | None = None
    content_index: int | None = None
    played_ms: int = 0

    @property
    def is_idle(self) -> bool:
        """True when no item is being tracked."""
        return self.item_id is None


class PlaybackTracker:
    """Playback progress reported by the application. Thread-safe.

    Reports for the same ``(item_id, content_index)`` accumulate; a report for another part
    starts counting afresh. ``on_interrupted`` clears the state.
    """

    def __init__(self, audio_format: AudioFormatSpec = "audio/pcm") -> None:
        self._lock = threading.Lock()
        self._bytes_per_ms = bytes_per_ms(audio_format)
        self._current: tuple[str, int] | None = None
        self._played_ms = 0.0

    def set_audio_format(self, audio_format: AudioFormatSpec) -> None:
        """Set the format used to convert the bytes of later ``on_play_bytes`` calls."""
        rate = bytes_per_ms(audio_format)
        with self._lock:
            self._bytes_per_ms = rate

    def on_play_bytes(self, item_id: str, content_index: int, n_bytes: int) -> None:
        """Report that ``n_bytes`` of this item's audio were played."""
        _check_item(item_id, content_index)
        count = _check_bytes(n_bytes)
        with self._lock:
            self._add(item_id, content_index, count / self._bytes_per_ms)

    def on_play_ms(self, item_id: str, content_index: int, ms: float) -> None:
        """Report that ``ms`` milliseconds of this item's audio were played."""
        _check_item(item_id, content_index)
        value = _check_ms(ms)
        with self._lock:
            self._add(item_id, content_index, value)

    def _add(self, item_id: str, content_index: int, ms: float) -> None:
        key = (item_id, content_index)
        if self._current == key:
            self._played_ms += ms
        else:
            self._current = key
            self._played_ms = ms

    def on_interrupted(self) -> None:
        """Forget the current item (playback was stopped)."""
        with self._lock:
            self._current = None
            self._played_ms = 0.0

    def state(self) -> PlaybackState:
        """Return the current state (``played_ms`` floored to whole milliseconds)."""
        with self._lock:
            if self._current is None:
                return PlaybackState()
            item_id, content_index = self._current
            return PlaybackState(
                item_id=item_id,
                content_index=content_index,
                played_ms=_whole_ms(self._played_ms),
            )


class AudioDeliveryEstimator:
    """Estimates playback from the audio deltas delivered by the server. Sans-I/O, not
    thread-safe: one owner (the session actor) calls it.

    A delta for a new ``(item_id, content_index)`` restarts the estimate at that delta's ``now``.
    ``now`` is in seconds on a monotonic clock; a ``now`` earlier than the first delta counts as
    zero elapsed time.
    """

    def __init__(self, audio_format: AudioFormatSpec = "audio/pcm") -> None:
        self._bytes_per_ms = bytes_per_ms(audio_format)
        self._current: tuple[str, int] | None = None
        self._first_delta_at = 0.0
        self._delivered_ms = 0.0

    def set_audio_format(self, audio_format: AudioFormatSpec) -> None:
        """Set the format used to convert the bytes of later deltas."""
        self._bytes_per_ms = bytes_per_ms(audio_format)

    def add_delta(self, item_id: str, content_index: int, n_bytes: int, now: float) -> None:
        """Record an audio delta of ``n_bytes`` for this item, received at ``now``."""
        if (type(n_bytes) is int and n_bytes >= 0 and type(now) is float and now - now == 0.0
                and type(content_index) is int and (item_id, content_index) == self._current):
            # the hot path: another delta of the item already checked (``now - now == 0.0``
            # holds for finite floats only)
            self._delivered_ms += n_bytes / self._bytes_per_ms
            return
        _check_item(item_id, content_index)
        count = _check_bytes(n_bytes)
        at = _check_now(now)
        key = (item_id, content_index)
        if self._current != key:
            self._current = key
            self._first_delta_at = at
            self._delivered_ms = 0.0
        self._delivered_ms += count / self._bytes_per_ms

    def delivered_ms(self) -> int:
        """Whole milliseconds of audio delivered for the current item (0 when idle); the upper
        bound for a truncate's ``audio_end_ms``."""
        return _whole_ms(self._delivered_ms) if self._current is not None else 0

    def played_ms(self, now: float) -> int:
        """Estimated whole milliseconds played at ``now``: min(delivered, elapsed since first
        delta). 0 when idle."""
        at = _check_now(now)
        if self._current is None:
            return 0
        elapsed_ms = max(0.0, (at - self._first_delta_at) * 1000.0)
        return _whole_ms(min(self._delivered_ms, elapsed_ms))

    def state(self, now: float) -> PlaybackState:
        """Return the estimated state at ``now``."""
        played = self.played_ms(now)
        if self._current is None:
            return PlaybackState()
        item_id, content_index = self._current
        return PlaybackState(item_id=item_id, content_index=content_index, played_ms=played)

    def on_interrupted(self) -> None:
        """Forget the current item."""
        self._current = None
        self._first_delta_at = 0.0
        self._delivered_ms = 0.0
