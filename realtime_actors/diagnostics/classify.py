"""Classify realtime failures into skip reasons for live tests and demos.

:func:`skip_reason_for_error` answers "is this failure the environment's fault (no quota, no
model access, an incompatible protocol, an upstream outage) rather than a bug?". It looks at the
structured fields first (``code``, the HTTP status, ``type``, the close code) and only then at
the message text. The Elixir original searched the message only, so real quota payloads
(``"You exceeded your current quota, ..."`` with ``code: insufficient_quota``) were missed.

Mapped codes, and why:

``insufficient_quota`` reason
    ``insufficient_quota`` (the account has no credit), ``billing_hard_limit_reached`` (the
    monthly hard limit is hit), ``billing_not_active`` (no payment method or billing
    suspended), ``credit_balance_exhausted``, ``organization_spend_limit_exceeded``,
    ``project_spend_limit_exceeded``, ``organization_usage_limit_exceeded`` (spend or usage
    caps): none clears by retrying, and the error type of all of them is ``insufficient_quota``,
    which is mapped on its own too (whatever the code). Quota payloads also come with type
    ``invalid_request_error`` and code ``insufficient_quota``: the code wins.
``realtime_model_unavailable`` reason
    ``model_not_found`` (the model does not exist or the key's project cannot use it),
    ``inference_not_authorized_error`` (the key lacks the ``model.request`` scope) and HTTP 403
    at the handshake (accounts without realtime access are refused before the upgrade).
``realtime_protocol_incompatible`` reason
    ``unknown_parameter`` and ``unsupported_parameter`` (the service no longer accepts a field
    we send: schema drift), ``invalid_event`` (the service does not understand our event's
    framing), ``beta_api_shape_disabled`` and close code 4000 (the retired beta protocol),
    and ``invalid_value`` on ``param == "type"`` (an event type the service does not know).
    ``invalid_value`` on other params, ``invalid_type`` and ``missing_required_parameter``
    are left alone: they mostly come from bad values in user input, which a test must report.
``realtime_upstream_server_error (session_id=...)`` reason
    code or type ``server_error``, HTTP 5xx at the handshake and close codes 1011/1012/1013
    (the service failed, restarted or is overloaded). The session id is included when known,
    so the failure can be reported upstream; ``session_id=unknown`` otherwise.

The session's own connection error codes (``http_<status>`` for a rejected handshake,
``close_<code>`` for a closed socket, on
:class:`~realtime_actors.session.events.ErrorEvent`) are read as that status or close code.

Order: HTTP 401 / ``invalid_api_key`` (never a skip), then ``code``, then the known non-skip
codes and types, then the HTTP status of a rejected handshake (it outranks the body's ``type``),
then ``type`` and the close code, then the message text.

Never a skip (``None``): ``rate_limit_exceeded`` and the rate-limit error types ``tokens`` /
``requests`` (transient: retry), ``invalid_api_key`` and any HTTP 401 (a wrong key is a setup
error to fix, whatever the body says), ``session_expired``, and every other code. A code the
classifier does not know falls through to the message text, so new codes with familiar wording
are still recognised.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from ..session.events import ErrorEvent
from .types import DiagnosticsInputError, ProbeError, ProbeProof

INSUFFICIENT_QUOTA = "insufficient_quota"
"""Skip reason: the account has no quota or billing is not set up."""
MODEL_UNAVAILABLE = "realtime_model_unavailable"
"""Skip reason: the model does not exist or the key has no access to it."""
PROTOCOL_INCOMPATIBLE = "realtime_protocol_incompatible"
"""Skip reason: the service rejects the shape of what we send (schema drift, beta protocol)."""
UPSTREAM_SERVER_ERROR = "realtime_upstream_server_error"
"""Skip reason prefix: the service itself failed; the full reason adds ``(session_id=...)``."""

QUOTA_CODES = frozenset(
    {
        "insufficient_quota",
        "billing_hard_limit_reached",
        "billing_not_active",
        "credit_balance_exhausted",
        "organization_spend_limit_exceeded",
        "project_spend_limit_exceeded",
        "organization_usage_limit_exceeded",
    }
)
"""Error codes classified as ``insufficient_quota``."""
MODEL_CODES = frozenset({"model_not_found", "inference_not_authorized_error"})
"""Error codes classified as ``realtime_model_unavailable``."""
PROTOCOL_CODES = frozenset(
    {"unknown_parameter", "unsupported_parameter", "invalid_event", "beta_api_shape_disabled"}
)
"""Error codes classified as ``realtime_protocol_incompatible`` (plus invalid_value on type)."""
SERVER_ERROR_CODES = frozenset({"server_error"})
"""Error codes classified as an upstream server error."""
NOT_SKIP_CODES = frozenset(
    {
        "rate_limit_exceeded",
        "invalid_api_key",
        "session_expired",
        "invalid_value",
        "invalid_type",
        "missing_required_parameter",
        "conversation_already_has_active_response",
        "response_cancel_not_active",
        "input_audio_buffer_commit_empty",
        "cannot_update_voice",
    }
)
"""Known codes that are never a skip (checked after the skip codes; no message fallback)."""
NOT_SKIP_TYPES = frozenset({"tokens", "requests"})
"""Rate-limit error types: never a skip."""
PROTOCOL_CLOSE_CODES = frozenset({4000})
SERVER_CLOSE_CODES = frozenset({1011, 1012, 1013})

_QUOTA_WORDS = (
    "insufficient_quota",
    "insufficient quota",
    "exceeded your current quota",
    "check your plan and billing",
    "billing_hard_limit_reached",
    "billing hard limit",
    "billing_not_active",
    "billing is not active",
)
_MODEL_WORDS = (
    "model_not_found",
    "do not have access",
    "does not have access",
    "missing scopes: model.request",
)
_MODEL_MISSING = re.compile(r"\bmodel\b[^.]*\b(?:does not exist|not found)")
_PROTOCOL_WORDS = (
    "unknown parameter",
    "unsupported parameter",
    "unknown field",
    "unexpected field",
    "unrecognized field",
    "beta_api_shape_disabled",
    "beta api is no longer supported",
)
_SERVER_WORDS = ("server_error", "the server had an error")
_SESSION_ID = re.compile(r"sess_[A-Za-z0-9]+")
_SESSION_CODE = re.compile(r"(http|close)_(\d{3,4})")


def extract_session_id(text: str | None) -> str | None:
    """The first ``sess_<alphanumerics>`` in ``text`` (e.g. from a server_error message)."""
    if not text:
        return None
    match = _SESSION_ID.search(text)
    return match.group(0) if match else None


@attrs.frozen(kw_only=True)
class _Facts:
    message: str
    code: str | None = None
    type: str | None = None
    param: str | None = None
    status: int | None = None
    close_code: int | None = None
    session_id: str | None = None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _unwrap(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The error object inside an error event, a response.done event, a response object, its
    status_details, or a REST body ``{"error": {...}}``; None when there is no error object."""
    current: Mapping[str, Any] = data
    for _ in range(5):
        kind = current.get("type")
        if kind == "response.done" or (
            "status_details" in current and not isinstance(current.get("message"), str)
        ):
            response = current.get("response", current)
            details = response.get("status_details") if isinstance(response, Mapping) else None
            error = details.get("error") if isinstance(details, Mapping) else None
            if not isinstance(error, Mapping):
                return None
            current = error
        elif isinstance(current.get("error"), Mapping) and (
            kind == "error" or not isinstance(current.get("message"), str)
        ):
            current = current["error"]
        else:
            return current
    return current


def _facts_from_mapping(data: Mapping[str, Any]) -> _Facts | None:
    error = _unwrap(data)
    if error is None:
        return None
    message = _str(error.get("message")) or ""
    return _Facts(
        message=message,
        code=_str(error.get("code")),
        type=_str(error.get("type")),
        param=_str(error.get("param")),
        status=_int(error.get("status")),
        session_id=_str(error.get("session_id")) or extract_session_id(message),
    )


def _facts_from_exception(exc: BaseException) -> _Facts:
    message = str(exc) or type(exc).__name__
    return _Facts(
        message=message,
        code=_str(getattr(exc, "code", None)),
        type=_str(getattr(exc, "type", None)),
        status=_int(getattr(exc, "status_code", None)),
        session_id=extract_session_id(message),
    )


def _facts(term: object) -> _Facts | None:
    if term is None:
        return None
    if isinstance(term, ProbeProof):
        return _facts(term.error)
    if isinstance(term, ProbeError):
        return _Facts(
            message=term.message,
            code=term.code,
            type=term.type,
            param=term.param,
            status=term.status,
            close_code=term.close_code,
            session_id=term.session_id or extract_session_id(term.message),
        )
    if isinstance(term, ErrorEvent):
        return _Facts(
            message=term.message,
            code=term.code,
            type=term.type,
            param=term.param,
            session_id=extract_session_id(term.message),
        )
    if isinstance(term, Mapping):
        return _facts_from_mapping(term)
    if isinstance(term, BaseException):
        return _facts_from_exception(term)
    if isinstance(term, str):
        return _Facts(message=term, session_id=extract_session_id(term))
    raise DiagnosticsInputError(
        "skip_reason_for_error() reads an ErrorEvent, a ProbeError, a ProbeProof, a wire error "
        f"dict, an exception or a str, got {type(term).__name__}"
    )


def _upstream(facts: _Facts) -> str:
    return f"{UPSTREAM_SERVER_ERROR} (session_id={facts.session_id or 'unknown'})"


def _by_code(facts: _Facts) -> str | None:
    code = facts.code
    if code in QUOTA_CODES:
        return INSUFFICIENT_QUOTA
    if code in MODEL_CODES:
        return MODEL_UNAVAILABLE
    if code in PROTOCOL_CODES or (code == "invalid_value" and facts.param == "type"):
        return PROTOCOL_INCOMPATIBLE
    if code in SERVER_ERROR_CODES:
        return _upstream(facts)
    return None


def _by_status(facts: _Facts) -> str | None:
    if facts.status == 403:
        return MODEL_UNAVAILABLE
    if facts.status is not None and 500 <= facts.status <= 599:
        return _upstream(facts)
    return None


def _by_type_close(facts: _Facts) -> str | None:
    if facts.type == "insufficient_quota":
        return INSUFFICIENT_QUOTA
    if facts.type == "server_error":
        return _upstream(facts)
    if facts.close_code in PROTOCOL_CLOSE_CODES:
        return PROTOCOL_INCOMPATIBLE
    if facts.close_code in SERVER_CLOSE_CODES:
        return _upstream(facts)
    return None


def _by_message(facts: _Facts) -> str | None:
    text = facts.message.lower()
    if any(word in text for word in _QUOTA_WORDS):
        return INSUFFICIENT_QUOTA
    if any(word in text for word in _MODEL_WORDS) or _MODEL_MISSING.search(text):
        return MODEL_UNAVAILABLE
    if any(word in text for word in _PROTOCOL_WORDS):
        return PROTOCOL_INCOMPATIBLE
    if any(word in text for word in _SERVER_WORDS):
        return _upstream(facts)
    return None


def _with_session_codes(facts: _Facts) -> _Facts:
    """Read the session's connection codes (``http_401``, ``close_4000``, see SessionActor)
    as the HTTP status / close code they stand for."""
    match = _SESSION_CODE.fullmatch(facts.code or "")
    if match is None:
        return facts
    number = int(match.group(2))
    if match.group(1) == "http" and facts.status is None:
        return attrs.evolve(facts, status=number)
    if match.group(1) == "close" and facts.close_code is None:
        return attrs.evolve(facts, close_code=number)
    return facts


def skip_reason_for_error(error: object) -> str | None:
    """The skip reason for a failure, or None when it is not an environment problem.

    ``error`` may be an :class:`~realtime_actors.session.events.ErrorEvent`, a :class:`ProbeError`
    (or a :class:`ProbeProof`, whose error is used), a wire error dict (the inner ``{"type", "code",
    "message", ...}``, a full ``{"type": "error", "error": {...}}`` event, a ``response.done`` event
    or its ``status_details.error``, a REST ``{"error": {...}}`` body), an exception (its ``str()``,
    plus ``code``/``type``/``status_code`` attributes when it has them, as openai's exceptions do),
    a plain message, or None (gives None). Any other type
    raises :class:`DiagnosticsInputError`. See the module docstring for the mapping.
    """
    facts = _facts(error)
    if facts is None:
        return None
    facts = _with_session_codes(facts)
    if facts.status == 401 or facts.code == "invalid_api_key":
        return None
    reason = _by_code(facts)
    if reason is not None:
        return reason
    if facts.code in NOT_SKIP_CODES or facts.type in NOT_SKIP_TYPES:
        return None
    for rule in (_by_status, _by_type_close, _by_message):
        reason = rule(facts)
        if reason is not None:
            return reason
    return None
