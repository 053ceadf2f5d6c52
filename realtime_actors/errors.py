"""Typed exceptions of realtime-actors; every error the library raises derives from
RealtimeError."""

from __future__ import annotations


class RealtimeError(Exception):
    """Base class of every error raised by realtime-actors."""


class ProtocolError(RealtimeError):
    """A frame from the server could not be understood (not JSON, not an object, no ``type``,
    invalid UTF-8, invalid base64 audio). Callers turn it into an error event."""

    def __init__(self, reason: str, *, frame: str | bytes | None = None) -> None:
        self.reason = reason
        excerpt = None
        if frame is not None:
            excerpt = frame[:200] if isinstance(frame, str | bytes) else None
        self.frame_excerpt = excerpt
        super().__init__(reason if excerpt is None else f"{reason} (frame starts {excerpt!r})")


class ConfigError(RealtimeError, ValueError):
    """A configuration value is invalid (unknown enum value, out of range, wrong type)."""


class AudioFormatError(RealtimeError, ValueError):
    """Audio data is not valid for the declared format (odd-length PCM16, wrong dtype, bad WAV,
    invalid base64)."""


class AuthError(RealtimeError):
    """No API key could be found, or the server rejected the key."""
