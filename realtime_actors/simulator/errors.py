"""Typed errors of the simulator: misuse of the facade, and client events it rejects."""

from __future__ import annotations

from typing import Any

from realtime_actors.errors import RealtimeError


class SimulatorError(RealtimeError):
    """The simulator was used wrongly (e.g. started twice on a busy port, not started)."""


class ClientEventError(RealtimeError):
    """A client event was rejected; the connection answers with an ``error`` event.

    Carries the fields of the wire error object: ``code``, ``message``, ``param`` and ``type``.
    """

    def __init__(
        self,
        code: str | None,
        message: str,
        *,
        param: str | None = None,
        error_type: str = "invalid_request_error",
    ) -> None:
        self.code = code
        self.message = message
        self.param = param
        self.error_type = error_type
        super().__init__(f"{code}: {message}")

    def to_wire(self, client_event_id: str | None) -> dict[str, Any]:
        """The ``error`` object of the server ``error`` event."""
        return {
            "type": self.error_type,
            "code": self.code,
            "message": self.message,
            "param": self.param,
            "event_id": client_event_id,
        }


def unknown_parameter(param: str) -> ClientEventError:
    """``unknown_parameter`` for a key the GA API does not know."""
    return ClientEventError("unknown_parameter", f"Unknown parameter: '{param}'.", param=param)


def missing_parameter(param: str) -> ClientEventError:
    """``missing_required_parameter`` for an absent required key."""
    return ClientEventError(
        "missing_required_parameter", f"Missing required parameter: '{param}'.", param=param
    )


def invalid_value(
    param: str, value: Any, supported: tuple[Any, ...] | None = None
) -> ClientEventError:
    """``invalid_value`` for a bad value, listing the supported ones when they are an enum."""
    message = f"Invalid value: {value!r}."
    if supported:
        message += " Supported values are: " + ", ".join(repr(s) for s in supported) + "."
    return ClientEventError("invalid_value", message, param=param)


def invalid_type(param: str, value: Any, expected: str) -> ClientEventError:
    """``invalid_type`` for a value of the wrong JSON type."""
    return ClientEventError(
        "invalid_type",
        f"Invalid type for '{param}': expected {expected}, but got {type(value).__name__}.",
        param=param,
    )
