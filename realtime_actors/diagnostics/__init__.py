"""Diagnostics for the realtime service: a minimal raw probe and skip-reason classification.

- :func:`probe_text_turn` opens its own connection, runs one out-of-band text response and
  returns a :class:`ProbeProof` (model, session id, event types seen, error).
- :func:`skip_reason_for_error` tells environment problems (quota, model access, protocol
  drift, upstream outages) from real failures; see :mod:`realtime_actors.diagnostics.classify`
  for the codes it maps and why.
- :func:`format_probe_failure` gives the one-line report of a proof.
"""

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
