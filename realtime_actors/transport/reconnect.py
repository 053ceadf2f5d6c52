"""Reconnect policy and the pure rules behind it: which disconnects are retried, and what a new
connection must be told so the conversation carries on (no sockets, no threads)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import attrs

from ..errors import ConfigError
from ..protocol import item_builders as ib
from ..session.core.history import HistoryItem
from ..supervision import BackoffPolicy

RECOVERABLE_CLOSE_CODES = frozenset({1001, 1005, 1006, 1011, 1012, 1013, 1014})
"""Close codes after which a new connection is worth trying: going away (``session_expired``
rollover), no status, abnormal drop, server error, service restart, try again later, bad
gateway."""

FATAL_HANDSHAKE_STATUSES = frozenset({400, 401, 403, 404})
"""HTTP statuses at the handshake that another attempt cannot fix (bad request, bad key,
no access, unknown model/endpoint)."""


class DisconnectKind(enum.StrEnum):
    """What a lost connection means for the session."""

    RECONNECT = "reconnect"
    """Transient: open a new connection and restore the conversation."""
    FATAL = "fatal"
    """Permanent: report it and end the session."""


_N = TypeVar("_N", bound=float)


def _check_non_negative(_inst: object, attribute: attrs.Attribute[_N], value: _N) -> None:
    if value < 0:
        raise ConfigError(f"ReconnectPolicy.{attribute.name} must be >= 0, got {value!r}")


def _check_positive(_inst: object, attribute: attrs.Attribute[_N], value: _N) -> None:
    if value <= 0:
        raise ConfigError(f"ReconnectPolicy.{attribute.name} must be > 0, got {value!r}")


@attrs.frozen(kw_only=True)
class ReconnectPolicy:
    """How a session survives dropped connections.

    A transient disconnect is followed by a new connection after an exponential backoff with
    jitter (``initial_delay_s`` doubling up to ``max_delay_s``, times a random factor in
    [0.5, 1]). More than ``max_attempts`` reconnects within ``window_s`` seconds end the session
    with an error. ``resume_responses`` re-requests a response the drop cut off.
    """

    enabled: bool = True
    max_attempts: int = attrs.field(default=5, validator=_check_non_negative)
    window_s: float = attrs.field(default=60.0, validator=_check_positive)
    initial_delay_s: float = attrs.field(default=0.25, validator=_check_non_negative)
    max_delay_s: float = attrs.field(default=8.0, validator=_check_non_negative)
    resume_responses: bool = True

    def backoff(self) -> BackoffPolicy:
        """The supervisor backoff this policy stands for."""
        return BackoffPolicy(base_s=self.initial_delay_s, cap_s=self.max_delay_s)


def classify_disconnect(code: int | None, handshake_status: int | None) -> DisconnectKind:
    """Classify a lost connection by its close code or handshake status.

    No code and no status means the network failed (refused, reset, timed out): transient.
    Close 4000 (the retired beta protocol), policy and protocol violations, and handshake
    rejections by 400/401/403/404 are permanent; 408, 429 and 5xx handshakes are transient.
    """
    if handshake_status is not None:
        if handshake_status in FATAL_HANDSHAKE_STATUSES:
            return DisconnectKind.FATAL
        if handshake_status in (408, 429) or handshake_status >= 500:
            return DisconnectKind.RECONNECT
        return DisconnectKind.FATAL
    if code is None or code in RECOVERABLE_CLOSE_CODES:
        return DisconnectKind.RECONNECT
    return DisconnectKind.FATAL


def restore_item(item: HistoryItem,
                 audio: Callable[[str], bytes | None] | None = None) -> dict[str, Any] | None:
    """The wire item that re-creates ``item`` on a new connection (same id), or ``None``.

    Audio is restored as its transcript: the words matter to the model, the samples do not.
    A user audio message whose transcript is not known is restored with its audio when
    ``audio(item_id)`` still has it.
    """
    if item.type == "message":
        words = item.content_text
        if not words:
            pcm = audio(item.item_id) if audio is not None and item.role == "user" else None
            return ib.user_audio_item(pcm, item_id=item.item_id) if pcm else None
        if item.role == "assistant":
            return ib.assistant_text_item(words, item_id=item.item_id)
        if item.role == "system":
            return ib.system_text_item(words, item_id=item.item_id)
        return ib.user_text_item(words, item_id=item.item_id)
    if item.type == "function_call" and item.call_id and item.name:
        return ib.function_call_item(item.call_id, item.name, item.arguments or "{}",
                                     item_id=item.item_id)
    if item.type == "function_call_output" and item.call_id:
        return ib.function_call_output_item(item.call_id, item.output or "",
                                            item_id=item.item_id)
    return None


def restore_items(items: Iterable[HistoryItem], skip: Iterable[str] = (),
                  audio: Callable[[str], bytes | None] | None = None) -> list[dict[str, Any]]:
    """Wire items re-creating the conversation, in order, leaving out the ids in ``skip``
    (output cut off by the drop); ``audio`` as in :func:`restore_item`."""
    skipped = set(skip)
    restored = []
    for item in items:
        if item.item_id in skipped:
            continue
        wire = restore_item(item, audio)
        if wire is not None:
            restored.append(wire)
    return restored
