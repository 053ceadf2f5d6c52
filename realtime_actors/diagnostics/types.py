"""Results of the realtime probe: :class:`ProbeError`, :class:`ProbeProof` and their one-line
report :func:`format_probe_failure`."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import attrs

from ..errors import RealtimeError


class DiagnosticsInputError(RealtimeError, TypeError):
    """A diagnostics helper was given a value of a type it cannot read."""


@attrs.frozen(kw_only=True)
class ProbeError:
    """Why a probe failed: a wire ``error`` event, a failed ``response.done``, a rejected
    handshake, a closed or refused connection, or the probe's own deadline.

    ``type`` is the wire error type when the service gave one; otherwise one of the probe's own
    kinds: ``handshake_error`` (HTTP status other than 101 without a JSON error body),
    ``connection_error`` (refused, DNS, reset), ``tls_error``, ``connection_closed`` (the socket
    closed before ``response.done``), ``probe_timeout``, ``response_<status>`` (a
    ``response.done`` that did not complete and carries no error object). Messages never hold
    the API key (any occurrence is masked).
    """

    message: str
    code: str | None = None
    type: str | None = None
    param: str | None = None
    status: int | None = None
    """HTTP status of a rejected WebSocket handshake."""
    session_id: str | None = None
    """The session id, when known (from ``session.created`` or the error text)."""
    close_code: int | None = None
    """WebSocket close code when the connection closed (1006 when it was lost)."""
    raw: Mapping[str, Any] | None = attrs.field(default=None, repr=False, eq=False)
    """The raw wire dict the error came from (error event, response.done, handshake body)."""


@attrs.frozen(kw_only=True)
class ProbeProof:
    """What a :func:`~realtime_actors.diagnostics.probe_text_turn` run saw.

    ``ok`` is True only when ``response.done`` arrived with status ``completed``; ``error`` is
    then None. ``event_types`` lists the server event types in the order received.
    ``model`` is the one ``session.created`` reports, else the one requested (None when joining
    a call by ``call_id``). ``elapsed_s`` runs from the start of the probe to its outcome
    (closing the socket excluded).
    ``url`` is the endpoint contacted (it holds no secret: the key travels in a header).
    """

    ok: bool
    model: str | None
    session_id: str | None
    event_types: tuple[str, ...]
    error: ProbeError | None
    elapsed_s: float
    url: str
    response_id: str | None = None
    output_text: str | None = None
    """The text the model answered with (successful probes)."""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _error_summary(error: ProbeError) -> str:
    label = error.code or error.type or "error"
    if error.status is not None:
        label = f"HTTP {error.status} {label}"
    return f"{label}: {_one_line(error.message)}"


def _event_list(event_types: tuple[str, ...]) -> str:
    """Event types joined by commas; a run of one type is written once as ``type(xN)``."""
    if not event_types:
        return "none"
    runs = [(kind, sum(1 for _ in group)) for kind, group in itertools.groupby(event_types)]
    return ",".join(kind if count == 1 else f"{kind}(x{count})" for kind, count in runs)


def format_probe_failure(proof: ProbeProof) -> str:
    """The one-line report of a probe, e.g. ``realtime probe failed: model=gpt-realtime
    session=sess_1 error=server_error: <message> (events: session.created,response.created,
    response.done) after 1.2s``. For a successful probe the line says it passed."""
    if not isinstance(proof, ProbeProof):
        raise DiagnosticsInputError(
            f"format_probe_failure() needs a ProbeProof, got {type(proof).__name__}"
        )
    events = _event_list(proof.event_types)
    head = (
        f"model={proof.model or 'unknown'} session={proof.session_id or 'unknown'}"
    )
    tail = f"(events: {events}) after {proof.elapsed_s:.2f}s"
    if proof.ok:
        return f"realtime probe passed: {head} {tail}"
    error = proof.error
    summary = _error_summary(error) if error is not None else "unknown failure"
    return f"realtime probe failed: {head} error={summary} {tail}"
