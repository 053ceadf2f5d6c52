"""SessionSnapshot: a small, versioned, JSON-serialisable picture of one session's
conversation, from which a new session (in this process or another) carries on."""

from __future__ import annotations

import enum
import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ..errors import RealtimeError
from ..protocol.config_checks import UNSET
from ..protocol.session_config import SessionModelSettings
from ..session.core.history import HistoryItem

logger = logging.getLogger(__name__)

SNAPSHOT_VERSION = 1
"""The snapshot format this library writes and reads."""

_ITEM_FIELDS = {f.name: f for f in attrs.fields(HistoryItem)}


class SnapshotError(RealtimeError, ValueError):
    """A snapshot could not be read: not JSON, a missing or mistyped field, or an unknown
    agent or setting."""


class SnapshotVersionError(SnapshotError):
    """A snapshot of a format version this library does not read."""

    def __init__(self, version: object) -> None:
        self.version = version
        super().__init__(f"snapshot version {version!r} is not supported "
                         f"(this library reads version {SNAPSHOT_VERSION})")


def _items(items: Iterable[HistoryItem]) -> tuple[HistoryItem, ...]:
    return tuple(items)


def _call_ids(call_ids: Iterable[str]) -> frozenset[str]:
    return frozenset(call_ids)


def _frames(frames: Iterable[Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...]:
    return tuple(frames)


@attrs.frozen(kw_only=True)
class SessionSnapshot:
    """What a session needs to carry on elsewhere: the answering agent's name, the settings
    overrides (``Session.update_session``), the conversation items with their ids, the tool
    call_ids already run, the client events not yet acknowledged (audio excepted) and whether
    a response is owed. Audio is kept as transcripts, like a reconnect does."""

    session_id: str
    agent_name: str
    items: tuple[HistoryItem, ...] = attrs.field(default=(), converter=_items)
    handled_calls: frozenset[str] = attrs.field(default=frozenset(), converter=_call_ids)
    pending: tuple[Mapping[str, Any], ...] = attrs.field(default=(), converter=_frames)
    """Client events queued or unacknowledged when the snapshot was taken (item creates,
    raw events); each is sent once more on the resumed session's first connection."""
    settings: Mapping[str, Any] = attrs.field(factory=dict)
    """Settings overrides as JSON values (see :func:`encode_settings`)."""
    response_owed: bool = False
    """A response was requested or cut off: the resumed session asks for it again."""
    sequence: int = 0
    """Counts the snapshots of this session (a store keeps the newest)."""
    version: int = SNAPSHOT_VERSION

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of this snapshot."""
        return {
            "version": self.version,
            "session_id": self.session_id,
            "agent_name": self.agent_name,
            "sequence": self.sequence,
            "response_owed": self.response_owed,
            "settings": dict(self.settings),
            "handled_calls": sorted(self.handled_calls),
            "pending": [dict(frame) for frame in self.pending],
            "items": [_item_to_dict(item) for item in self.items],
        }

    def to_json(self) -> str:
        """Compact JSON text of this snapshot."""
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: object) -> SessionSnapshot:
        """Read a snapshot object; :class:`SnapshotError` if it is not a valid one."""
        if not isinstance(data, Mapping):
            raise SnapshotError(f"a snapshot is a JSON object, not {type(data).__name__}")
        version = data.get("version")
        if version != SNAPSHOT_VERSION:
            raise SnapshotVersionError(version)
        items = _field(data, "items", list)
        pending = _field(data, "pending", list)
        calls = _field(data, "handled_calls", list)
        if not all(isinstance(c, str) for c in calls):
            raise SnapshotError("snapshot field 'handled_calls' must be a list of strings")
        if not all(isinstance(f, Mapping) and isinstance(f.get("type"), str) for f in pending):
            raise SnapshotError("snapshot field 'pending' must be a list of client events")
        settings = _field(data, "settings", Mapping)
        decode_settings(settings)  # refuses unknown or invalid settings now, not on resume
        return cls(
            session_id=_field(data, "session_id", str),
            agent_name=_field(data, "agent_name", str),
            sequence=_field(data, "sequence", int),
            response_owed=_field(data, "response_owed", bool),
            settings=dict(settings),
            handled_calls=frozenset(calls),
            pending=tuple(dict(f) for f in pending),
            items=tuple(_item_from_dict(i, n) for n, i in enumerate(items)),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> SessionSnapshot:
        """Parse :meth:`to_json` output; :class:`SnapshotError` on anything else."""
        try:
            data = json.loads(text)
        except (ValueError, TypeError) as exc:
            raise SnapshotError(f"a snapshot must be JSON: {exc}") from None
        return cls.from_dict(data)


def _field(data: Mapping[str, Any], name: str, kind: type | Any) -> Any:
    value = data.get(name)
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        raise SnapshotError(f"snapshot field {name!r} must be {getattr(kind, '__name__', kind)}, "
                            f"not {type(value).__name__}")
    return value


def _item_to_dict(item: HistoryItem) -> dict[str, Any]:
    return {k: v for k, v in attrs.asdict(item).items() if v is not None and v is not False}


def _item_from_dict(data: object, index: int) -> HistoryItem:
    if not isinstance(data, Mapping):
        raise SnapshotError(f"snapshot item {index} is not an object")
    unknown = set(data) - set(_ITEM_FIELDS)
    if unknown:
        raise SnapshotError(f"snapshot item {index} has unknown fields {sorted(unknown)}")
    for name in ("item_id", "type"):
        if not isinstance(data.get(name), str):
            raise SnapshotError(f"snapshot item {index} needs a string {name!r}")
    for name, value in data.items():
        want = (bool,) if name == "has_audio" else (int,) if name == "truncated_at_ms" else (str,)
        if value is not None and not isinstance(value, want):
            raise SnapshotError(f"snapshot item {index}: {name!r} has the wrong type "
                                f"({type(value).__name__})")
    return HistoryItem(**data)


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if attrs.has(type(value)):
        return {f.name: _jsonable(getattr(value, f.name)) for f in attrs.fields(type(value))
                if getattr(value, f.name) is not UNSET}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def encode_settings(settings: SessionModelSettings) -> dict[str, Any]:
    """The set fields of ``settings`` as JSON values; a field that would not read back the
    same is left out with a warning (it is not part of the snapshot)."""
    encoded: dict[str, Any] = {}
    for name, value in settings.set_fields().items():
        wire = _jsonable(value)
        try:
            same = getattr(SessionModelSettings.from_mapping({name: wire}), name) == value
            json.dumps(wire)
        except (RealtimeError, TypeError, ValueError):
            same = False
        if same:
            encoded[name] = wire
        else:
            logger.warning("setting %r cannot be kept in a snapshot; left out", name)
    return encoded


def decode_settings(data: Mapping[str, Any]) -> SessionModelSettings:
    """The settings :func:`encode_settings` wrote; :class:`SnapshotError` if invalid."""
    try:
        return SessionModelSettings.from_mapping(data)
    except (RealtimeError, TypeError, ValueError) as exc:
        raise SnapshotError(f"snapshot settings are invalid: {exc}") from None
