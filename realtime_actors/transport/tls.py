"""Custom CA trust for the websocket and HTTP clients.

``CODEX_CA_CERTIFICATE`` is used first, then ``SSL_CERT_FILE``; blank or whitespace-only values
count as unset. When a bundle is configured it *replaces* the default trust store (that is what
websocket-client's ``ca_certs``, requests' ``verify=<path>`` and ``ssl.create_default_context(
cafile=...)`` do). With neither variable set, each library's defaults apply.
"""

from __future__ import annotations

import logging
import os
import ssl
from collections.abc import Mapping
from pathlib import Path

from realtime_actors.errors import ConfigError

logger = logging.getLogger(__name__)

CA_ENV_VARS: tuple[str, ...] = ("CODEX_CA_CERTIFICATE", "SSL_CERT_FILE")
"""Environment variables naming a PEM CA bundle, in order of precedence."""

_PEM_BEGIN = b"-----BEGIN "
_PEM_CERT_END = b"CERTIFICATE-----"


def _check_bundle(variable: str, path: Path) -> None:
    if not path.exists():
        raise ConfigError(f"{variable} points to {str(path)!r}, which does not exist")
    if not path.is_file():
        raise ConfigError(f"{variable} points to {str(path)!r}, which is not a file")
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"{variable} points to {str(path)!r}, which cannot be read ({type(exc).__name__})"
        ) from exc
    begin = content.find(_PEM_BEGIN)
    if begin < 0 or content.find(_PEM_CERT_END, begin) < 0:
        raise ConfigError(
            f"{variable} points to {str(path)!r}, which holds no PEM certificate "
            "(expected a '-----BEGIN CERTIFICATE-----' block)"
        )


def _find_bundle(env: Mapping[str, str] | None) -> tuple[str, str] | None:
    env = os.environ if env is None else env
    for variable in CA_ENV_VARS:
        value = env.get(variable)
        if value is None or not value.strip():
            continue
        path = Path(value.strip()).expanduser()
        _check_bundle(variable, path)
        logger.debug("using CA bundle %s from %s", path, variable)
        return variable, str(path)
    return None


def ca_bundle(env: Mapping[str, str] | None = None) -> str | None:
    """Return the configured CA bundle path, or None when neither variable is set.

    ``env`` defaults to ``os.environ``, read at call time. A set variable whose path does not
    exist, is not a file, cannot be read or holds no PEM certificate raises :class:`ConfigError`
    naming the variable (there is no fallback to the next variable: a broken setting is an error).
    """
    found = _find_bundle(env)
    return None if found is None else found[1]


def websocket_sslopt(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the ``sslopt`` for websocket-client: ``{"ca_certs": path}`` or ``{}``."""
    path = ca_bundle(env)
    return {} if path is None else {"ca_certs": path}


def requests_verify(env: Mapping[str, str] | None = None) -> str | bool:
    """Return the ``verify`` argument for requests: the bundle path, or True (default trust)."""
    path = ca_bundle(env)
    return True if path is None else path


def ssl_context(env: Mapping[str, str] | None = None) -> ssl.SSLContext:
    """Return a client ``SSLContext`` (for the ``websockets`` library and raw sockets) that trusts
    the configured bundle, or the system defaults when none is configured.

    A bundle that exists but cannot be parsed by OpenSSL raises :class:`ConfigError`.
    """
    found = _find_bundle(env)
    if found is None:
        return ssl.create_default_context()
    variable, path = found
    try:
        return ssl.create_default_context(cafile=path)
    except ssl.SSLError as exc:
        raise ConfigError(
            f"{variable} points to {path!r}, which OpenSSL cannot load: {exc.reason}"
        ) from exc
