"""Helpers shared by the subcommands: typed argument checks, connection options, the API key
and logging set-up."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from ..errors import RealtimeError
from ..session.run_config import DEFAULT_MODEL, DEFAULT_URL
from ..transport.auth import ApiKey, RedactingFilter, resolve_api_key

EXIT_OK = 0
"""The command did what was asked."""
EXIT_FAILURE = 1
"""The command ran but failed (the probe failed, the session ended by itself)."""
EXIT_USAGE = 2
"""Bad arguments or configuration (no API key, invalid URL); nothing was attempted."""

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class CliError(RealtimeError):
    """A problem the command line reports in one line and turns into an exit status."""

    def __init__(self, message: str, *, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _number_type(
    convert: Callable[[str], float], check: Callable[[float], bool], wanted: str
) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
        if not check(value):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    parse.__name__ = wanted  # argparse names the type in its messages
    return parse


positive_int = _number_type(int, lambda v: v > 0, "an integer > 0")
"""argparse type: an integer greater than zero."""
positive_float = _number_type(float, lambda v: v > 0, "a number > 0")
"""argparse type: a number greater than zero."""
non_negative_float = _number_type(float, lambda v: v >= 0, "a number >= 0")
"""argparse type: a number greater than or equal to zero."""


def add_log_level(parser: argparse.ArgumentParser, default: str = "WARNING") -> None:
    """Add ``--log-level`` (library logs go to stderr)."""
    parser.add_argument(
        "--log-level", default=default, type=str.upper, choices=LOG_LEVELS,
        help=f"level of library log messages on stderr (default {default})",
    )


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--url`` and ``--model`` (the real service and gpt-realtime by default)."""
    parser.add_argument(
        "--url", default=DEFAULT_URL,
        help=f"Realtime WebSocket endpoint, ws:// or wss:// (default {DEFAULT_URL})",
    )
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help=f"realtime model (default {DEFAULT_MODEL})")


def setup_logging(level: str) -> None:
    """Send log records of ``level`` and above to stderr; raises :class:`CliError` for an
    unknown level name."""
    if level.upper() not in LOG_LEVELS:
        raise CliError(f"--log-level must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
    logging.basicConfig(level=level.upper(), format="%(levelname)s %(name)s: %(message)s")


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def require_api_key(url: str | None = None, command: str | None = None) -> ApiKey:
    """The API key from the environment (see :func:`realtime_actors.resolve_api_key`); log
    records that would contain it are masked from now on.

    Raises :class:`CliError` (exit status 2) when no usable key is found; the message says
    where it looked, never a key. For a ``url`` on this machine (a simulator) it also says
    the exact command line that works: any non-empty key.
    """
    try:
        key = resolve_api_key()
    except RealtimeError as exc:
        hint = "Set OPENAI_API_KEY (or CODEX_API_KEY), or use the simulator."
        if url is not None and urlsplit(url).hostname in LOOPBACK_HOSTS:
            again = f"realtime-actors {command} --url {url}" if command else "the command"
            hint = (f"{url} is on this machine: a simulator accepts any non-empty key (unless "
                    f"started with --api-key), so run: OPENAI_API_KEY=sk-local {again}")
        raise CliError(f"{exc}. {hint}") from None
    redactor = RedactingFilter([key])
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    return key
