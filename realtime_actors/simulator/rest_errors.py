"""OpenAI-style error answers of the simulator's audio REST endpoints.

Every rejected request becomes a :class:`RestApiError`, which knows its HTTP status, extra
headers and the ``{"error": {"message", "type", "param", "code"}}`` body (§5.3 of the protocol
reference).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from realtime_actors.errors import RealtimeError
from realtime_actors.simulator.scenario import RestFault
from realtime_actors.transport.auth import mask_secret

QUOTA_CODES = frozenset(
    {
        "insufficient_quota",
        "credit_balance_exhausted",
        "organization_spend_limit_exceeded",
        "project_spend_limit_exceeded",
        "organization_usage_limit_exceeded",
    }
)
"""Error codes that come with ``type: insufficient_quota`` (do not retry)."""


class RestApiError(RealtimeError):
    """A REST request the simulator answers with an error status and an OpenAI error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None,
        param: str | None = None,
        error_type: str = "invalid_request_error",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.error_type = error_type
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(f"{status} {code}: {message}")

    def body(self) -> bytes:
        """The JSON error body."""
        error = {
            "message": self.message,
            "type": self.error_type,
            "param": self.param,
            "code": self.code,
        }
        return json.dumps({"error": error}).encode()


def mask_key(key: str) -> str:
    """A key shown the way OpenAI does in errors: ``sk-ab***cd`` (keys of up to 8 characters
    fully masked)."""
    return mask_secret(key, head=5, tail=2, min_len=9)


def invalid_api_key(key: str | None) -> RestApiError:
    """401 ``invalid_api_key``: no bearer key, or a key the scenario does not accept."""
    if not key:
        message = (
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        )
    else:
        message = (
            f"Incorrect API key provided: {mask_key(key)}. You can find your API key at "
            "https://platform.openai.com/account/api-keys."
        )
    return RestApiError(401, message, code="invalid_api_key")


def invalid_value(param: str, message: str) -> RestApiError:
    """400 ``invalid_value`` for ``param``."""
    return RestApiError(400, message, code="invalid_value", param=param)


def unsupported_value(param: str, message: str) -> RestApiError:
    """400 ``unsupported_value``: valid for OpenAI, but the simulator cannot produce it."""
    return RestApiError(400, message, code="unsupported_value", param=param)


def missing_parameter(param: str) -> RestApiError:
    """400 ``missing_required_parameter``."""
    return RestApiError(
        400,
        f"Missing required parameter: '{param}'.",
        code="missing_required_parameter",
        param=param,
    )


def unknown_parameter(param: str) -> RestApiError:
    """400 ``unknown_parameter``."""
    return RestApiError(
        400, f"Unrecognized request argument supplied: {param}", code="unknown_parameter",
        param=param,
    )


def enum_value(param: str, value: Any, supported: tuple[str, ...]) -> RestApiError:
    """400 ``invalid_value`` for a value outside an enumeration."""
    listed = ", ".join(f"'{s}'" for s in supported)
    return invalid_value(
        param, f"Invalid value: {value!r}. Supported values are: {listed}."
    )


def fault_error(fault: RestFault, model: str, key: str) -> RestApiError:
    """The error answer a scripted :class:`RestFault` asks for (``key``: the request's key)."""
    status = fault.status
    code = fault.code
    if code is None:
        code = {401: "invalid_api_key", 429: "rate_limit_exceeded"}.get(status)
    headers: dict[str, str] = {}
    if code == "invalid_api_key":
        error = invalid_api_key(key)
        error.status = status
        return error
    if code in QUOTA_CODES:
        # Quota errors need user action: no Retry-After, whatever the fault says.
        return RestApiError(
            status,
            "You exceeded your current quota, please check your plan and billing details. For "
            "more information on this error, read the docs: "
            "https://platform.openai.com/docs/guides/error-codes/api-errors.",
            code=code,
            error_type="insufficient_quota",
        )
    if code == "rate_limit_exceeded":
        wait = fault.retry_after
        hint = f" Please try again in {wait:g}s." if wait is not None else ""
        if wait is not None:
            headers["Retry-After"] = f"{wait:g}"
            headers["retry-after-ms"] = str(math.ceil(wait * 1000))
        return RestApiError(
            status,
            f"Rate limit reached for {model} in organization org-simulator on requests per min "
            f"(RPM): Limit 3, Used 3, Requested 1.{hint} Visit "
            "https://platform.openai.com/account/rate-limits to learn more.",
            code=code,
            error_type="requests",
            headers=headers,
        )
    if status >= 500:
        message = (
            "The engine is currently overloaded, please try again later."
            if status == 503
            else "The server had an error while processing your request. Sorry about that!"
        )
        return RestApiError(status, message, code=code, error_type="server_error")
    return RestApiError(status, f"Simulated error {status}.", code=code)
