"""Taking a :class:`SessionSnapshot` of a running session's state, and putting one into a new
session's state before it connects (pure functions over the core; no I/O)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..agents.agent import Handoff, RealtimeAgent
from ..errors import ConfigError
from ..session.core.history import HistoryItem, item_from_wire
from .snapshot import SessionSnapshot, SnapshotError, decode_settings, encode_settings

if TYPE_CHECKING:
    from ..session.state import SessionState

logger = logging.getLogger(__name__)

_NOT_PENDING = frozenset({"session.update", "response.create", "response.cancel",
                          "conversation.item.truncate"})
"""Queued client events a snapshot does not carry: the resumed session configures itself,
asks for the owed response through its own tracker, and has no audio to cut."""


def capture_snapshot(state: SessionState, session_id: str, sequence: int) -> SessionSnapshot:
    """The snapshot of ``state`` now (run inside the session actor, which owns it).

    Output cut off mid-way and function calls without an output yet are left out and the
    response is marked owed: the resumed session redoes it. Queued input audio is left out.
    """
    core = state.core
    items = core.history.snapshot()
    answered = {i.call_id for i in items if i.type == "function_call_output"}
    owed = bool(core.responses.resume or core.responses.lost())
    kept: list[HistoryItem] = []
    unanswered: set[str] = set()
    for item in items:
        if item.item_id in core.conversation.cut_items or item.status == "in_progress":
            owed = True
        elif item.type == "function_call" and item.call_id not in answered:
            unanswered.add(item.call_id or "")
            owed = True
        else:
            kept.append(item)
    kept_ids = {item.item_id for item in kept}
    pending: dict[str, dict[str, Any]] = {}
    frames = [*core.conversation.unconfirmed.values(), *state.outbox]
    for n, frame in enumerate(frames):
        kind = frame.get("type")
        if kind == "response.create":
            owed = True
        if not isinstance(kind, str) or kind in _NOT_PENDING or kind.startswith("input_audio"):
            continue
        clean = {k: v for k, v in frame.items() if k != "event_id"}
        wire_item = clean.get("item")
        key = wire_item.get("id") \
            if isinstance(wire_item, dict) and kind == "conversation.item.create" else f"#{n}"
        if key not in kept_ids:
            pending.setdefault(str(key), clean)
    handled = core.tool_calls.handled - set(core.tool_calls.running) - unanswered
    return SessionSnapshot(
        session_id=session_id,
        agent_name=core.agent.name,
        items=tuple(kept),
        handled_calls=frozenset(handled),
        pending=tuple(pending.values()),
        settings=encode_settings(core.overrides),
        response_owed=owed,
        sequence=sequence,
    )


def restore_snapshot(state: SessionState, snapshot: SessionSnapshot,
                     root: RealtimeAgent) -> None:
    """Put ``snapshot`` into the fresh ``state`` of a session that has not connected yet:
    its first connection then restores the conversation like a reconnect does."""
    core = state.core
    if core.connections or core.connected:
        raise SnapshotError("a snapshot can only be restored before the session connects")
    core.seed(find_agent(root, snapshot.agent_name), decode_settings(snapshot.settings),
              snapshot.items, snapshot.handled_calls, snapshot.response_owed)
    for frame in snapshot.pending:
        state.outbox.append(core.send(dict(frame)).frame)


def find_agent(root: RealtimeAgent, name: str) -> RealtimeAgent:
    """The agent called ``name`` among ``root`` and every agent reachable by handoffs."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        agent = todo.pop()
        if id(agent) in seen:
            continue
        seen.add(id(agent))
        if agent.name == name:
            return agent
        for entry in agent.handoffs:
            target = entry.agent if isinstance(entry, Handoff) else entry
            if callable(target) and not isinstance(target, RealtimeAgent):
                target = target()
            if isinstance(target, RealtimeAgent):
                todo.append(target)
    raise SnapshotError(f"the snapshot's agent {name!r} is neither {root.name!r} nor reachable "
                        f"from it by a handoff")


def seed_snapshot(agent: RealtimeAgent, history: Iterable[HistoryItem | Mapping[str, Any]],
                  session_id: str) -> SessionSnapshot:
    """A snapshot holding ``history`` (``HistoryItem`` values or GA item dicts; an item
    without an id gets one) for a new session of ``agent``."""
    items: list[HistoryItem] = []
    for n, entry in enumerate(history):
        if isinstance(entry, HistoryItem):
            item: HistoryItem | None = entry
        elif isinstance(entry, Mapping):
            wire = dict(entry)
            wire.setdefault("id", f"item_{uuid.uuid4().hex[:24]}")
            item = item_from_wire(wire)
        else:
            raise ConfigError(f"history[{n}] must be a HistoryItem or an item dict, "
                              f"not {type(entry).__name__}")
        if item is None:
            raise ConfigError(f"history[{n}] needs a string 'type'")
        items.append(item)
    return SessionSnapshot(session_id=session_id, agent_name=agent.name, items=tuple(items))
