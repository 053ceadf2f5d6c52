"""API key resolution, masking and request headers.

The key is looked up at call time (never at import time) in this order:

1. the ``explicit`` argument (a string, a zero-argument callable called once, or an ``ApiKey``);
2. the ``CODEX_API_KEY`` environment variable;
3. ``OPENAI_API_KEY`` in ``$CODEX_HOME/auth.json`` (``CODEX_HOME`` defaults to ``~/.codex``);
4. the ``OPENAI_API_KEY`` environment variable.

Blank or whitespace-only values count as unset (except an explicit argument, which must not be
blank). The key is wrapped in :class:`ApiKey`, whose ``repr``/``str``/``format`` are masked, so it
never ends up in logs, reprs or exception messages by accident.
"""

from __future__ import annotations

import json
import logging
import os
import platform
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Literal

import attrs

from realtime_actors.errors import AuthError, ConfigError
from realtime_actors.version import __version__

logger = logging.getLogger(__name__)

KeySource = Literal["explicit", "CODEX_API_KEY", "auth.json", "OPENAI_API_KEY"]
"""Where an :class:`ApiKey` came from."""

KEY_SOURCES: tuple[str, ...] = ("explicit", "CODEX_API_KEY", "auth.json", "OPENAI_API_KEY")

_MASK = "***"
_FORBIDDEN_EXTRA_HEADERS = {
    "openai-beta": "the OpenAI-Beta header selects the beta protocol; only the GA protocol is "
    "supported",
    "authorization": "pass the key through resolve_api_key()/ApiKey instead",
    "user-agent": "use the user_agent argument instead",
}
# chatgpt-mode auth.json records hold OAuth tokens, which are not valid for realtime/voice.
_CHATGPT_AUTH_MODES = {"chatgpt", "chatgptauthtokens"}


def mask_secret(value: str, *, head: int = 3, tail: int = 2, min_len: int = 20) -> str:
    """Return a masked form of ``value``: its first ``head`` and last ``tail`` characters
    around ``***`` (``abc***yz``), or only ``***`` when it is shorter than ``min_len``."""
    if len(value) < max(min_len, head + tail + 1):
        return _MASK
    return f"{value[:head]}{_MASK}{value[len(value) - tail:]}"


def _validate_value(_instance: object, _attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str):
        raise ConfigError(f"an API key must be a str, got {type(value).__name__}")
    if not value.strip():
        raise AuthError("API key is blank")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise AuthError("API key contains whitespace or control characters")


def _stripped(value: str) -> str:
    # a non-string goes on to the validator unchanged, which refuses it
    return value.strip() if isinstance(value, str) else value


def _validate_source(_instance: object, _attribute: object, value: object) -> None:
    if value not in KEY_SOURCES:
        raise ConfigError(f"unknown API key source {value!r}; expected one of {KEY_SOURCES}")


@attrs.frozen(repr=False)
class ApiKey:
    """An API key whose ``repr``, ``str`` and ``format`` never show more than 3 leading and 2
    trailing characters (short keys are fully masked). Use :meth:`reveal` to get the secret.

    Surrounding whitespace is stripped; a blank key or one with inner whitespace/control
    characters raises :class:`AuthError` (without the value in the message).
    """

    _value: str = attrs.field(
        alias="value",
        converter=_stripped,
        validator=_validate_value,
    )
    source: KeySource = attrs.field(default="explicit", kw_only=True, validator=_validate_source)

    def reveal(self) -> str:
        """Return the secret key itself (only for building the Authorization header)."""
        return self._value

    @property
    def masked(self) -> str:
        """The masked form of the key, e.g. ``sk-***Ab``."""
        return mask_secret(self._value)

    def __repr__(self) -> str:
        return f"ApiKey({self.masked!r}, source={self.source!r})"

    def __str__(self) -> str:
        return f"ApiKey({self.masked!r})"

    def __format__(self, format_spec: str) -> str:
        return format(str(self), format_spec)


def _non_blank(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def codex_home(env: Mapping[str, str] | None = None) -> Path:
    """Return ``$CODEX_HOME`` (blank counts as unset), defaulting to ``~/.codex``.

    ``~`` is taken from ``HOME`` in ``env`` when present, else from the process's home.
    """
    env = os.environ if env is None else env
    explicit = _non_blank(env.get("CODEX_HOME"))
    if explicit is not None:
        return Path(explicit).expanduser()
    home = _non_blank(env.get("HOME"))
    return (Path(home) if home is not None else Path.home()) / ".codex"


def _key_from_auth_json(path: Path) -> str | None:
    """Read ``OPENAI_API_KEY`` from a Codex ``auth.json``; problems are logged, never raised.

    Log messages name the file and the problem, never the file's contents.
    """
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        logger.debug("no Codex auth file at %s", path)
        return None
    except (OSError, UnicodeDecodeError) as exc:
        logger.warning("cannot read Codex auth file %s (%s); skipping it", path, type(exc).__name__)
        return None
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        logger.warning(
            "Codex auth file %s is not valid JSON (line %d, column %d); skipping it",
            path,
            exc.lineno,
            exc.colno,
        )
        return None
    if not isinstance(record, dict):
        logger.warning(
            "Codex auth file %s holds a JSON %s, not an object; skipping it",
            path,
            type(record).__name__,
        )
        return None
    auth_mode = record.get("auth_mode")
    if isinstance(auth_mode, str) and auth_mode.strip().lower() in _CHATGPT_AUTH_MODES:
        logger.info("Codex auth file %s uses ChatGPT auth; its API key is not used", path)
        return None
    value = record.get("OPENAI_API_KEY")
    if value is None:
        return None
    if not isinstance(value, str):
        logger.warning(
            "OPENAI_API_KEY in Codex auth file %s is a JSON %s, not a string; skipping it",
            path,
            type(value).__name__,
        )
        return None
    return _non_blank(value)


def _make_key(value: str, source: KeySource, where: str) -> ApiKey:
    try:
        return ApiKey(value, source=source)
    except AuthError as exc:
        raise AuthError(f"the API key from {where} is unusable: {exc}") from None


def _call_provider(provider: Callable[[], object]) -> object:
    try:
        return provider()
    except Exception as exc:
        raise AuthError(f"the explicit API key provider raised {type(exc).__name__}") from exc


def _explicit_key(explicit: object) -> ApiKey:
    value = explicit
    if callable(value) and not isinstance(value, ApiKey | str):
        value = _call_provider(value)
    if isinstance(value, ApiKey):
        return value
    if not isinstance(value, str):
        raise ConfigError(
            "explicit API key must be a str, an ApiKey or a zero-argument callable returning "
            f"one, got {type(value).__name__}"
        )
    if not value.strip():
        raise AuthError("explicit API key is blank")
    return _make_key(value, "explicit", "the explicit argument")


def resolve_api_key(
    explicit: str | Callable[[], str | ApiKey] | ApiKey | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> ApiKey:
    """Find the API key (see the module docstring for the order) and wrap it in an ApiKey.

    ``env`` defaults to ``os.environ``, read at call time. Raises :class:`AuthError` when the
    explicit key is blank or no key is found (the message lists where it looked, never values),
    and :class:`ConfigError` when ``explicit`` has the wrong type.
    """
    if explicit is not None:
        return _explicit_key(explicit)
    env = os.environ if env is None else env
    value = _non_blank(env.get("CODEX_API_KEY"))
    if value is not None:
        return _make_key(value, "CODEX_API_KEY", "$CODEX_API_KEY")
    auth_file = codex_home(env) / "auth.json"
    value = _key_from_auth_json(auth_file)
    if value is not None:
        return _make_key(value, "auth.json", str(auth_file))
    value = _non_blank(env.get("OPENAI_API_KEY"))
    if value is not None:
        return _make_key(value, "OPENAI_API_KEY", "$OPENAI_API_KEY")
    raise AuthError(
        "no OpenAI API key found; looked in: the explicit argument, $CODEX_API_KEY, "
        f"OPENAI_API_KEY in {auth_file}, $OPENAI_API_KEY"
    )


def default_user_agent() -> str:
    """Return ``realtime-actors/<version> python/<python version>``."""
    return f"realtime-actors/{__version__} python/{platform.python_version()}"


def _check_header(name: object, value: object) -> None:
    if not isinstance(name, str) or not isinstance(value, str):
        raise ConfigError(
            f"header names and values must be str, got {type(name).__name__}: "
            f"{type(value).__name__}"
        )
    if not name or any(ch.isspace() or ch == ":" or ord(ch) < 0x21 for ch in name):
        raise ConfigError(f"invalid header name {name!r}")
    if any(ch in "\r\n\0" for ch in value):
        raise ConfigError(f"header {name!r} has a value containing CR, LF or NUL")


def auth_headers(
    key: ApiKey,
    *,
    user_agent: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Build the request headers: ``Authorization: Bearer <key>``, ``User-Agent``, then ``extra``.

    Never adds an ``OpenAI-Beta`` header (GA protocol only). ``extra`` must not contain
    ``OpenAI-Beta``, ``Authorization`` or ``User-Agent`` (any case), nor CR/LF/NUL in values;
    otherwise :class:`ConfigError` is raised (naming the header, never its value).
    """
    if not isinstance(key, ApiKey):
        raise ConfigError(f"auth_headers() needs an ApiKey, got {type(key).__name__}")
    agent = default_user_agent() if user_agent is None else user_agent
    _check_header("User-Agent", agent)
    if not agent.strip():
        raise ConfigError("user_agent is blank")
    headers = {"Authorization": f"Bearer {key.reveal()}", "User-Agent": agent}
    for name, value in (extra or {}).items():
        _check_header(name, value)
        reason = _FORBIDDEN_EXTRA_HEADERS.get(name.lower())
        if reason is not None:
            raise ConfigError(f"header {name!r} is not allowed in extra headers: {reason}")
        if any(existing.lower() == name.lower() for existing in headers):
            raise ConfigError(f"header {name!r} is given twice (names are case-insensitive)")
        headers[name] = value
    return headers


def redact(text: str, key: ApiKey | Iterable[ApiKey]) -> str:
    """Return ``text`` with every occurrence of the key(s) replaced by the masked form."""
    if not isinstance(text, str):
        raise ConfigError(f"redact() needs a str, got {type(text).__name__}")
    keys = [key] if isinstance(key, ApiKey) else list(key)
    for item in keys:
        if not isinstance(item, ApiKey):
            raise ConfigError(f"redact() needs ApiKey objects, got {type(item).__name__}")
        secret = item.reveal()
        if secret in text:
            text = text.replace(secret, item.masked)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that masks the given keys in every record's message and traceback.

    Attach it to a handler (or to a third-party logger such as ``websocket``, whose trace output
    includes request headers) so that a key reaching a log record by any path is masked.
    """

    def __init__(self, keys: Iterable[ApiKey]) -> None:
        super().__init__()
        self._keys = tuple(keys)
        for item in self._keys:
            if not isinstance(item, ApiKey):
                raise ConfigError(
                    f"RedactingFilter needs ApiKey objects, got {type(item).__name__}"
                )

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's message by its redacted form; never drops a record."""
        message = record.getMessage()
        redacted = redact(message, self._keys)
        if redacted != message:
            record.msg = redacted
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._keys)
        return True
