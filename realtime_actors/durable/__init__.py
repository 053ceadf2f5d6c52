"""Durable sessions: snapshots, stores and checkpoints (no Ray needed)."""

from __future__ import annotations

from .capture import capture_snapshot, find_agent, restore_snapshot, seed_snapshot
from .checkpointer import (
    DEFAULT_CHECKPOINTER,
    Checkpoint,
    Checkpointer,
    CheckpointPolicy,
    CheckpointSink,
    CheckpointStats,
    take_snapshot,
)
from .file_store import FileStore
from .memory_store import MemoryStore
from .snapshot import (
    SNAPSHOT_VERSION,
    SessionSnapshot,
    SnapshotError,
    SnapshotVersionError,
    decode_settings,
    encode_settings,
)
from .store import (
    Fence,
    FencedStore,
    Lease,
    LeaseBook,
    SessionStore,
    StaleEpochError,
    StoreError,
    check_session_id,
)

__all__ = [
    "DEFAULT_CHECKPOINTER",
    "SNAPSHOT_VERSION",
    "Checkpoint",
    "CheckpointPolicy",
    "CheckpointSink",
    "CheckpointStats",
    "Checkpointer",
    "Fence",
    "FencedStore",
    "FileStore",
    "Lease",
    "LeaseBook",
    "MemoryStore",
    "SessionSnapshot",
    "SessionStore",
    "SnapshotError",
    "SnapshotVersionError",
    "StaleEpochError",
    "StoreError",
    "capture_snapshot",
    "check_session_id",
    "decode_settings",
    "encode_settings",
    "find_agent",
    "restore_snapshot",
    "seed_snapshot",
    "take_snapshot",
]
