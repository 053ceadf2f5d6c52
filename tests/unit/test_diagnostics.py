"""Unit tests of realtime_actors.diagnostics: skip-reason classification, the one-line report,
the probe's request frame and its configuration errors (the probe itself runs against the
simulator in tests/realtime/test_probe.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from realtime_actors.diagnostics import (
    DEFAULT_PROBE_PROMPT,
    INSUFFICIENT_QUOTA,
    MODEL_UNAVAILABLE,
    PROTOCOL_INCOMPATIBLE,
    DiagnosticsInputError,
    ProbeError,
    ProbeProof,
    build_probe_request,
    extract_session_id,
    format_probe_failure,
    probe_text_turn,
    skip_reason_for_error,
)
from realtime_actors.errors import AuthError, ConfigError, RealtimeError
from realtime_actors.session.events import ErrorEvent
from realtime_actors.session.run_config import ModelConfig
from tests.protocol.openai_schema import client_event_problems

QUOTA_MESSAGE = "You exceeded your current quota, please check your plan and billing details."
REAL_QUOTA = {"type": "insufficient_quota", "code": "insufficient_quota", "message": QUOTA_MESSAGE}
SERVER_MESSAGE = (
    "The server had an error while processing your request. Sorry about that! You can retry "
    "your request, or contact us through our help center if the error persists. (Please "
    "include the session ID sess_DLIJDJVh5Xwn7LWaBwnrD in your message.)"
)
UPSTREAM_WITH_ID = "realtime_upstream_server_error (session_id=sess_DLIJDJVh5Xwn7LWaBwnrD)"
UPSTREAM_UNKNOWN = "realtime_upstream_server_error (session_id=unknown)"
RATE_LIMIT = {
    "type": "tokens",
    "code": "rate_limit_exceeded",
    "message": "Rate limit reached for gpt-realtime on tokens per min (TPM): Limit 40000, Used "
    "40000, Requested 3188. Please try again in 4.782s.",
}


def _response_done(error: dict[str, Any] | None, status: str = "failed") -> dict[str, Any]:
    details = None if error is None else {"type": "failed", "error": error}
    return {
        "type": "response.done",
        "event_id": "event_1",
        "response": {"id": "resp_1", "status": status, "status_details": details, "output": []},
    }


class CodedError(Exception):
    """An exception carrying OpenAI-style attributes (like openai.APIStatusError)."""

    def __init__(self, message: str, *, code: str, status_code: int) -> None:
        super().__init__(message)
        self.code = code
        self.type = "invalid_request_error"
        self.status_code = status_code


CASES: list[tuple[str, object, str | None]] = [
    # quota: the Elixir version searched the message only and missed the real payloads
    ("real quota payload (Elixir miss)", REAL_QUOTA, INSUFFICIENT_QUOTA),
    ("quota as invalid_request_error (Elixir miss)",
     {"type": "invalid_request_error", "code": "insufficient_quota", "message": QUOTA_MESSAGE},
     INSUFFICIENT_QUOTA),
    ("quota fixture without a message",
     {"type": "invalid_request_error", "code": "insufficient_quota"}, INSUFFICIENT_QUOTA),
    ("quota in a full error event", {"type": "error", "event_id": "event_9", "error": REAL_QUOTA},
     INSUFFICIENT_QUOTA),
    ("quota in a failed response.done", _response_done(REAL_QUOTA), INSUFFICIENT_QUOTA),
    ("quota in status_details", {"type": "failed", "error": REAL_QUOTA}, INSUFFICIENT_QUOTA),
    ("quota in a REST body", {"error": REAL_QUOTA}, INSUFFICIENT_QUOTA),
    ("billing hard limit",
     {"type": "invalid_request_error", "code": "billing_hard_limit_reached",
      "message": "Billing hard limit has been reached."}, INSUFFICIENT_QUOTA),
    ("billing not active",
     {"type": "invalid_request_error", "code": "billing_not_active",
      "message": "Your account is not active, please check your billing details."},
     INSUFFICIENT_QUOTA),
    ("quota type with an unfamiliar code",
     {"type": "insufficient_quota", "code": "something_new", "message": "Out of credit."},
     INSUFFICIENT_QUOTA),
    ("quota wording without a code", {"type": "invalid_request_error", "message": QUOTA_MESSAGE},
     INSUFFICIENT_QUOTA),
    ("an unknown code falls back to the wording",
     {"code": "brand_new_code", "message": QUOTA_MESSAGE}, INSUFFICIENT_QUOTA),
    # model access
    ("model_not_found with a message that omits the code (Elixir miss)",
     {"type": "invalid_request_error", "code": "model_not_found", "message": "Model unavailable."},
     MODEL_UNAVAILABLE),
    ("model does not exist wording",
     {"type": "invalid_request_error", "code": None,
      "message": "The model `gpt-realtime-9` does not exist or you do not have access to it."},
     MODEL_UNAVAILABLE),
    ("missing model.request scope",
     {"type": "invalid_request_error", "code": "inference_not_authorized_error",
      "message": "You have insufficient permissions for this operation. Missing scopes: "
      "model.request."}, MODEL_UNAVAILABLE),
    ("HTTP 403 at the handshake",
     ProbeError(message="Forbidden", type="handshake_error", status=403), MODEL_UNAVAILABLE),
    ("HTTP 403 outranks the body's type",
     ProbeError(message="Simulated handshake failure.", type="server_error", status=403),
     MODEL_UNAVAILABLE),
    ("item does not exist is not a model problem",
     {"type": "invalid_request_error", "code": "item_not_found",
      "message": "Item with id 'item_1' does not exist."}, None),
    # protocol shape
    ("unknown_parameter on any param (Elixir needed output_modalities)",
     {"type": "invalid_request_error", "code": "unknown_parameter",
      "message": "Unknown parameter: 'session.modalities'.", "param": "session.modalities"},
     PROTOCOL_INCOMPATIBLE),
    ("unsupported_parameter",
     {"type": "invalid_request_error", "code": "unsupported_parameter",
      "message": "Unsupported parameter: 'temperature'.", "param": "session.temperature"},
     PROTOCOL_INCOMPATIBLE),
    ("invalid_event", {"type": "invalid_request_error", "code": "invalid_event",
                       "message": "The 'type' field is missing."}, PROTOCOL_INCOMPATIBLE),
    ("unknown client event type",
     {"type": "invalid_request_error", "code": "invalid_value", "param": "type",
      "message": "Invalid value: 'session.frobnicate'."}, PROTOCOL_INCOMPATIBLE),
    ("a bad enum value is a real error",
     {"type": "invalid_request_error", "code": "invalid_value",
      "param": "session.audio.output.voice", "message": "Invalid value: 'bogus'."}, None),
    ("beta_api_shape_disabled",
     {"type": "invalid_request_error", "code": "beta_api_shape_disabled",
      "message": "The Realtime Beta API is no longer supported."}, PROTOCOL_INCOMPATIBLE),
    ("close 4000 of the beta protocol",
     ProbeError(message="the server closed the connection with code 4000: "
                "invalid_request_error.beta_api_shape_disabled", type="connection_closed",
                close_code=4000), PROTOCOL_INCOMPATIBLE),
    ("beta wording in an exception",
     RuntimeError("The Realtime Beta API is no longer supported. Please use /v1/realtime."),
     PROTOCOL_INCOMPATIBLE),
    ("missing_required_parameter is a real error",
     {"type": "invalid_request_error", "code": "missing_required_parameter",
      "message": "Missing required parameter: 'session.type'.", "param": "session.type"}, None),
    # upstream server errors
    ("server_error type with the session id in the message",
     {"type": "server_error", "code": None, "message": SERVER_MESSAGE}, UPSTREAM_WITH_ID),
    ("server_error code without a session id",
     {"type": "server_error", "code": "server_error", "message": "Sorry about that!"},
     UPSTREAM_UNKNOWN),
    ("server_error in a failed response.done",
     _response_done({"type": "server_error", "code": "server_error", "message": SERVER_MESSAGE}),
     UPSTREAM_WITH_ID),
    ("ProbeError carries the session id from session.created",
     ProbeError(message="Sorry about that!", code="server_error", type="server_error",
                session_id="sess_FromCreated1"),
     "realtime_upstream_server_error (session_id=sess_FromCreated1)"),
    ("ErrorEvent of type server_error",
     ErrorEvent(message=SERVER_MESSAGE, source="server", type="server_error"), UPSTREAM_WITH_ID),
    ("HTTP 502 at the handshake",
     ProbeError(message="Bad Gateway", type="handshake_error", status=502), UPSTREAM_UNKNOWN),
    ("close 1011", ProbeError(message="closed", type="connection_closed", close_code=1011,
                              session_id="sess_Closed11"),
     "realtime_upstream_server_error (session_id=sess_Closed11)"),
    ("a plain message", f"upstream said server_error for {SERVER_MESSAGE}", UPSTREAM_WITH_ID),
    # the session's own connection error events
    ("session handshake 403",
     ErrorEvent(message="handshake rejected with HTTP 403", source="connection",
                code="http_403", recoverable=False), MODEL_UNAVAILABLE),
    ("session handshake 401",
     ErrorEvent(message="handshake rejected with HTTP 401", source="connection",
                code="http_401", recoverable=False), None),
    ("session closed with 4000",
     ErrorEvent(message="the server closed the connection (code 4000)", source="connection",
                code="close_4000", recoverable=False), PROTOCOL_INCOMPATIBLE),
    ("session closed with 1011",
     ErrorEvent(message="the server closed the connection (code 1011)", source="connection",
                code="close_1011", recoverable=False), UPSTREAM_UNKNOWN),
    ("session closed with 1000",
     ErrorEvent(message="the server closed the connection (code 1000)", source="connection",
                code="close_1000", recoverable=False), None),
    # never a skip
    ("rate limit", RATE_LIMIT, None),
    ("rate limit in a failed response.done", _response_done(RATE_LIMIT), None),
    ("rate limit code wins over quota wording",
     {"type": "requests", "code": "rate_limit_exceeded", "message": QUOTA_MESSAGE}, None),
    ("invalid API key",
     {"type": "invalid_request_error", "code": "invalid_api_key",
      "message": "Incorrect API key provided: sk-***zz."}, None),
    ("HTTP 401 whatever the body says",
     ProbeError(message="Simulated handshake failure.", type="server_error", status=401), None),
    ("session expired",
     {"type": "invalid_request_error", "code": "session_expired",
      "message": "Your session hit the maximum duration of 60 minutes."}, None),
    ("probe timeout", ProbeError(message="no response.done within 5s", type="probe_timeout"),
     None),
    ("lost connection", ProbeError(message="lost", type="connection_closed", close_code=1006),
     None),
    ("refused connection", ConnectionRefusedError(111, "Connection refused"), None),
    ("completed response.done", _response_done(None, status="completed"), None),
    ("empty dict", {}, None),
    ("None", None, None),
    # exceptions
    ("exception text", RuntimeError(f"realtime error: {QUOTA_MESSAGE}"), INSUFFICIENT_QUOTA),
    ("exception with a code attribute",
     CodedError("Error code: 429", code="insufficient_quota", status_code=429),
     INSUFFICIENT_QUOTA),
    ("exception with status 401", CodedError("denied", code="other", status_code=401), None),
]


@pytest.mark.parametrize(("error", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_skip_reason_for_error(error: object, expected: str | None) -> None:
    assert skip_reason_for_error(error) == expected


def _proof(**fields: Any) -> ProbeProof:
    values: dict[str, Any] = {
        "ok": False,
        "model": "gpt-realtime",
        "session_id": "sess_Abc123",
        "event_types": ("session.created", "response.created", "response.done"),
        "error": ProbeError(message="Sorry about that!", code="server_error", type="server_error",
                            session_id="sess_Abc123"),
        "elapsed_s": 1.234,
        "url": "wss://api.openai.com/v1/realtime?model=gpt-realtime",
    }
    values.update(fields)
    return ProbeProof(**values)


def test_skip_reason_of_a_proof_is_that_of_its_error() -> None:
    assert skip_reason_for_error(_proof()) == (
        "realtime_upstream_server_error (session_id=sess_Abc123)"
    )
    assert skip_reason_for_error(_proof(ok=True, error=None)) is None


def test_skip_reason_rejects_unreadable_input_with_a_typed_error() -> None:
    with pytest.raises(DiagnosticsInputError, match="got int") as info:
        skip_reason_for_error(42)
    assert isinstance(info.value, RealtimeError)
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("include the session ID sess_DLIJDJVh5Xwn7LWaBwnrD.", "sess_DLIJDJVh5Xwn7LWaBwnrD"),
        ("(sess_A1) then sess_B2", "sess_A1"),
        ("sess_ alone, then sess_Real9", "sess_Real9"),
        ("no id here", None),
        ("", None),
        (None, None),
    ],
)
def test_extract_session_id(text: str | None, expected: str | None) -> None:
    assert extract_session_id(text) == expected


def test_format_of_a_failed_proof() -> None:
    assert format_probe_failure(_proof()) == (
        "realtime probe failed: model=gpt-realtime session=sess_Abc123 "
        "error=server_error: Sorry about that! "
        "(events: session.created,response.created,response.done) after 1.23s"
    )


def test_format_of_a_passed_proof_says_it_passed_and_groups_repeated_events() -> None:
    events = ("session.created", "response.created", "response.output_text.delta",
              "response.output_text.delta", "response.output_text.delta", "response.done")
    line = format_probe_failure(_proof(ok=True, error=None, event_types=events, elapsed_s=0.5))
    assert line == (
        "realtime probe passed: model=gpt-realtime session=sess_Abc123 (events: "
        "session.created,response.created,response.output_text.delta(x3),response.done) "
        "after 0.50s"
    )


def test_format_of_a_handshake_failure_is_one_line_with_the_status() -> None:
    error = ProbeError(message="Incorrect API key\nprovided: sk-***zz.", code="invalid_api_key",
                       type="invalid_request_error", status=401)
    line = format_probe_failure(_proof(session_id=None, model=None, event_types=(), error=error))
    assert "\n" not in line
    assert line == (
        "realtime probe failed: model=unknown session=unknown error=HTTP 401 invalid_api_key: "
        "Incorrect API key provided: sk-***zz. (events: none) after 1.23s"
    )


def test_format_falls_back_to_the_error_type() -> None:
    error = ProbeError(message="no response.done within 2s", type="probe_timeout")
    assert "error=probe_timeout: no response.done within 2s" in format_probe_failure(
        _proof(error=error)
    )


def test_format_rejects_a_non_proof() -> None:
    with pytest.raises(DiagnosticsInputError, match="needs a ProbeProof"):
        format_probe_failure({"ok": False})  # type: ignore[arg-type]


def test_probe_request_is_a_valid_ga_out_of_band_text_response() -> None:
    frame = build_probe_request(DEFAULT_PROBE_PROMPT, event_id="probe_1")
    assert client_event_problems(frame) == []
    response = frame["response"]
    assert response["conversation"] == "none"
    assert response["output_modalities"] == ["text"]
    assert response["input"] == [
        {"type": "message", "role": "user",
         "content": [{"type": "input_text", "text": DEFAULT_PROBE_PROMPT}]}
    ]


@pytest.mark.parametrize("prompt", ["", "   ", None])
def test_probe_request_rejects_a_blank_prompt(prompt: object) -> None:
    with pytest.raises(ConfigError, match="non-blank"):
        build_probe_request(prompt)  # type: ignore[arg-type]


@pytest.fixture
def no_key_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No API key anywhere: empty CODEX_HOME, no key variables."""
    monkeypatch.setenv("CODEX_HOME", str(tmp_path))
    monkeypatch.delenv("CODEX_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


@pytest.mark.usefixtures("no_key_env")
def test_probe_without_an_api_key_raises_auth_error() -> None:
    # port 9 is never contacted: the key is resolved before any connection
    with pytest.raises(AuthError, match="no OpenAI API key found"):
        probe_text_turn(model_config=ModelConfig(url="ws://127.0.0.1:9/v1/realtime"), timeout=1)


@pytest.mark.parametrize("timeout", [0, -1.0, float("nan"), float("inf"), True, "5"])
def test_probe_rejects_a_bad_timeout(timeout: object) -> None:
    config = ModelConfig(url="ws://127.0.0.1:9/v1/realtime", api_key="sk-test-unused-key-000")
    with pytest.raises(ConfigError, match="timeout"):
        probe_text_turn(model_config=config, timeout=timeout)  # type: ignore[arg-type]


def test_probe_rejects_a_non_websocket_url_and_a_wrong_config_type() -> None:
    with pytest.raises(ConfigError, match="ws:// or wss://"):
        probe_text_turn(model_config=ModelConfig(url="http://127.0.0.1:9/v1/realtime",
                                                 api_key="sk-test-unused-key-000"))
    with pytest.raises(ConfigError, match="ModelConfig"):
        probe_text_turn(model_config={"url": "ws://x"})  # type: ignore[arg-type]
