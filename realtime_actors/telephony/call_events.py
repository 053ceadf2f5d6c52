"""Events of a bridged call, given to the bridge's ``on_event`` hook with the session's own
events (frozen attrs classes, like :mod:`realtime_actors.session.events`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import attrs


@attrs.frozen(kw_only=True)
class CallEvent:
    """Base class of the telephony events."""


@attrs.frozen(kw_only=True)
class CallStartedEvent(CallEvent):
    """The carrier's ``start``: the call is bridged to a new session."""

    stream_sid: str
    call_sid: str
    custom_parameters: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class DtmfEvent(CallEvent):
    """The caller pressed a key."""

    digit: str
    stream_sid: str


@attrs.frozen(kw_only=True)
class CallClearedEvent(CallEvent):
    """The bridge sent ``clear`` after an interruption; ``heard_ms`` is what the caller heard
    of the cut item (the truncation point), ``dropped_frames`` the frames never sent."""

    item_id: str
    heard_ms: int
    dropped_frames: int


@attrs.frozen(kw_only=True)
class AnswerPlayedEvent(CallEvent):
    """The carrier played the closing mark of an answer: the caller heard all of it."""

    item_id: str
    content_index: int


EndReason = Literal["stop", "hangup", "session_ended"]
"""How a call ended: the carrier's ``stop``, the socket closed without one, or the session
ended by itself."""


@attrs.frozen(kw_only=True)
class CallSummary:
    """What happened on one bridged call (returned by :meth:`TelephonyBridge.run`)."""

    stream_sid: str | None
    ended_by: EndReason
    frames_in: int = 0
    frames_out: int = 0
    marks_sent: int = 0
    marks_heard: int = 0
    clears: int = 0
    digits: str = ""
