"""Diagnostics of the realtime service: a minimal raw probe and skip-reason classification."""

from __future__ import annotations

from .classify import (
    INSUFFICIENT_QUOTA,
    MODEL_UNAVAILABLE,
    PROTOCOL_INCOMPATIBLE,
    UPSTREAM_SERVER_ERROR,
    extract_session_id,
    skip_reason_for_error,
)
from .probe import DEFAULT_PROBE_PROMPT, build_probe_request, probe_text_turn
from .types import (
    DiagnosticsInputError,
    ProbeError,
    ProbeProof,
    format_probe_failure,
)

__all__ = [
    "DEFAULT_PROBE_PROMPT",
    "INSUFFICIENT_QUOTA",
    "MODEL_UNAVAILABLE",
    "PROTOCOL_INCOMPATIBLE",
    "UPSTREAM_SERVER_ERROR",
    "DiagnosticsInputError",
    "ProbeError",
    "ProbeProof",
    "build_probe_request",
    "extract_session_id",
    "format_probe_failure",
    "probe_text_turn",
    "skip_reason_for_error",
]
