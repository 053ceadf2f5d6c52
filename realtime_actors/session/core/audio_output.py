"""The assistant's output audio: which item is being delivered and how much of it was played.

Part of the sans-I/O session core. The played position comes from the application's
:class:`~realtime_actors.audio.playback.PlaybackTracker` when it reports the item, else from an
:class:`~realtime_actors.audio.playback.AudioDeliveryEstimator` fed with the deltas and the
session's clock. It decides where an interruption cuts the audio (``conversation.item.
truncate``), at most once per item.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import attrs

from ...audio.playback import AudioDeliveryEstimator, PlaybackTracker
from ...protocol.session_config import UNSET, SessionModelSettings


@attrs.frozen
class AudioCut:
    """Where the output audio was cut: truncate the item there."""

    item_id: str
    content_index: int
    audio_end_ms: int


class AudioOutput:
    """The output audio being delivered, until it ends or is interrupted (one owner: the
    session core)."""

    def __init__(self, clock: Callable[[], float],
                 tracker: PlaybackTracker | None = None) -> None:
        self.clock = clock
        """Monotonic seconds (the estimator's time base)."""
        self.tracker = tracker
        """The application's playback reports, if it makes any."""
        self.estimator = AudioDeliveryEstimator()
        self.item: tuple[str, int] | None = None
        """(item_id, content_index) of the output audio being delivered, until interrupted."""
        self.done = True
        """The server has sent all of :attr:`item` (``response.output_audio.done``)."""

    def delta(self, item_id: str, content_index: int, n_bytes: int, response_id: object,
              tripped: Collection[str] = ()) -> bool:
        """Count a delta of ``n_bytes``. A delta of another item starts that item, unless
        its response is among the ``tripped`` (stopped by an output guardrail): then it is
        dropped (False)."""
        key = (item_id, content_index)
        if self.item != key:
            if response_id in tripped:
                return False
            self.item = key
            self.done = False
        self.estimator.add_delta(item_id, content_index, n_bytes, self.clock())
        return True

    def ended(self, item_id: str, content_index: int) -> None:
        """The server sent the last delta of this item."""
        if self.item == (item_id, content_index):
            self.done = True

    def truncate(self) -> AudioCut | None:
        """Interrupt the audio being delivered: where to cut it, or None when there is none
        or everything delivered has already been played."""
        if self.item is None:
            return None
        item_id, index = self.item
        self.item = None
        played = self.played_ms(item_id, index)
        if self.done and played >= self.estimator.delivered_ms():
            return None
        self.done = True
        return AudioCut(item_id, index, played)

    def disconnected(self) -> AudioCut | None:
        """The connection was lost: the audio still arriving was cut where the estimate of
        its playback stands (None if none was arriving)."""
        cut = None
        if self.item is not None and not self.done:
            item_id, index = self.item
            cut = AudioCut(item_id, index, self.estimator.played_ms(self.clock()))
        self.item = None
        self.done = True
        return cut

    def played_ms(self, item_id: str, content_index: int) -> int:
        """Playback position: the application's tracker if it reported this item, else an
        estimate from the audio delivered and the time elapsed."""
        if self.tracker is not None:
            state = self.tracker.state()
            if state is not None and state.item_id == item_id:
                return min(state.played_ms, self.estimator.delivered_ms())
        return self.estimator.played_ms(self.clock())

    def follow_output_format(self, settings: SessionModelSettings) -> None:
        """Count delivered audio in the session's output format (``audio/pcmu`` is 8 bytes
        per ms, not PCM16's 48), so truncation positions stay right in G.711 sessions."""
        if settings.output_audio_format is not UNSET:
            self.estimator.set_audio_format(settings.output_audio_format.to_wire())
