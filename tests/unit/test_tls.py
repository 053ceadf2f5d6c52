"""Tests for realtime_actors.transport.tls: CA bundle selection, and that the returned options
really make websocket-client, requests and ssl trust a local TLS server signed by that CA."""

from __future__ import annotations

import contextlib
import http.server
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import websocket
from websockets.sync.server import ServerConnection, serve

from realtime_actors.errors import ConfigError
from realtime_actors.transport.tls import (
    ca_bundle,
    requests_verify,
    ssl_context,
    websocket_sslopt,
)

# Test-only PKI (generated once for these tests; valid 2000-2999; the key protects nothing):
# CA "A" signed the 127.0.0.1 server certificate; CA "B" is an unrelated CA.
CA_A_PEM = """-----BEGIN CERTIFICATE-----
MIIBsjCCAVigAwIBAgIUBdPwr9fNrxlfxKSpgzXQaTIM0ykwCgYIKoZIzj0EAwIw
JDEiMCAGA1UEAwwZcmVhbHRpbWUtYWN0b3JzIHRlc3QgQ0EgQTAgFw0wMDAxMDEw
MDAwMDBaGA8yOTk5MDEwMTAwMDAwMFowJDEiMCAGA1UEAwwZcmVhbHRpbWUtYWN0
b3JzIHRlc3QgQ0EgQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABPyh2JkS+3bY
aiOSCpBfcGW5c+BlsKe4sYTOBS23HV5KBF/uZnuivWhRpUSxryn+WQzocsemwy2E
UI62sUf2OrGjZjBkMBIGA1UdEwEB/wQIMAYBAf8CAQAwDgYDVR0PAQH/BAQDAgEG
MB0GA1UdDgQWBBSq0vM7GHK0hNNsZzszfgHQbXExQTAfBgNVHSMEGDAWgBSq0vM7
GHK0hNNsZzszfgHQbXExQTAKBggqhkjOPQQDAgNIADBFAiBllcz03ZB6RS2Hn71d
4tWfNcFd5R38BVqopHh3rua50AIhALu5LvWAyrjRGPXN5s0re4e5XExpzq0KTfHt
1d+mxtGd
-----END CERTIFICATE-----
"""

CA_B_PEM = """-----BEGIN CERTIFICATE-----
MIIBszCCAVigAwIBAgIUCTTZGSF+ZNwUPKlHWrgSg5ra3yMwCgYIKoZIzj0EAwIw
JDEiMCAGA1UEAwwZcmVhbHRpbWUtYWN0b3JzIHRlc3QgQ0EgQjAgFw0wMDAxMDEw
MDAwMDBaGA8yOTk5MDEwMTAwMDAwMFowJDEiMCAGA1UEAwwZcmVhbHRpbWUtYWN0
b3JzIHRlc3QgQ0EgQjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABB5I4pGaPj2R
NJFWi5yAsudS5ZCFSso8aaME01vVjegGLuJhBc/BMbgnDPHeXhl40neBT41XqRA8
/7DIJZCEPVyjZjBkMBIGA1UdEwEB/wQIMAYBAf8CAQAwDgYDVR0PAQH/BAQDAgEG
MB0GA1UdDgQWBBTwQXuSZ/jCUkrx+LIt8CPonZtAFTAfBgNVHSMEGDAWgBTwQXuS
Z/jCUkrx+LIt8CPonZtAFTAKBggqhkjOPQQDAgNJADBGAiEAnlgK5RzF0j5JRqW4
VdOsWng3DykwW0LJdoFmyZ/CRXkCIQDDvpv5SLsdUfGhlZ3ZWj45vC39XS8/FDIu
3+cXvSuMDA==
-----END CERTIFICATE-----
"""

SERVER_CERT_PEM = """-----BEGIN CERTIFICATE-----
MIIBxDCCAWqgAwIBAgIUGsWZ429brLt9zJnDv23Qev+QzNUwCgYIKoZIzj0EAwIw
JDEiMCAGA1UEAwwZcmVhbHRpbWUtYWN0b3JzIHRlc3QgQ0EgQTAgFw0wMDAxMDEw
MDAwMDBaGA8yOTk5MDEwMTAwMDAwMFowFDESMBAGA1UEAwwJMTI3LjAuMC4xMFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYJ3yWSPsgWwKUyyHpR9fjN/Pw3qy7mQv
8K2gac9uZjtmB79Lcisxj9Dxdd4UqpYWqpzjJtKugxXPbd4m4CCXb6OBhzCBhDAP
BgNVHREECDAGhwR/AAABMAwGA1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQDAgeAMBMG
A1UdJQQMMAoGCCsGAQUFBwMBMB0GA1UdDgQWBBRTUF/FV8ociFrFzwgT5E5QnFWR
4zAfBgNVHSMEGDAWgBSq0vM7GHK0hNNsZzszfgHQbXExQTAKBggqhkjOPQQDAgNI
ADBFAiEAjHnbDCAg0tey4mxw4BfW7Zthx7ivDPHnN5LmOBjtPwECIAepImPpmjwC
Yp+MJMnkEAi4M5+Cv4G257Ymoeo9C4SR
-----END CERTIFICATE-----
"""

SERVER_KEY_PEM = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgkPLhRgnc876AgmPo
Kyn5jgNJ3nryHBt9Ukc96uoY+1ChRANCAARgnfJZI+yBbApTLIelH1+M38/DerLu
ZC/wraBpz25mO2YHv0tyKzGP0PF13hSqlhaqnOMm0q6DFc9t3ibgIJdv
-----END PRIVATE KEY-----
"""


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, Path]:
    """Write the test PKI to files."""
    files = {
        "ca_a": ("ca_a.pem", CA_A_PEM),
        "ca_b": ("ca_b.pem", CA_B_PEM),
        "cert": ("server.pem", SERVER_CERT_PEM),
        "key": ("server.key", SERVER_KEY_PEM),
    }
    paths: dict[str, Path] = {}
    for name, (filename, text) in files.items():
        paths[name] = tmp_path / filename
        paths[name].write_text(text, encoding="ascii")
    return paths


@pytest.fixture(autouse=True)
def _no_library_ca_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Library-specific CA variables would override what these tests check."""
    for name in ("WEBSOCKET_CLIENT_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)


def server_context(pki: dict[str, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki["cert"], pki["key"])
    return context


@contextlib.contextmanager
def wss_echo_server(pki: dict[str, Path]) -> Iterator[str]:
    """A TLS websocket echo server on 127.0.0.1; yields its wss:// URL."""

    def echo(connection: ServerConnection) -> None:
        for message in connection:
            connection.send(message)

    server = serve(echo, "127.0.0.1", 0, ssl=server_context(pki), ping_interval=None)
    thread = threading.Thread(target=server.serve_forever, name="test-wss-server")
    thread.start()
    try:
        port = server.socket.getsockname()[1]
        yield f"wss://127.0.0.1:{port}/"
    finally:
        server.shutdown()
        thread.join(timeout=5)


class _OkHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@contextlib.contextmanager
def https_server(pki: dict[str, Path]) -> Iterator[str]:
    """A TLS HTTP server on 127.0.0.1; yields its https:// URL."""
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _OkHandler)
    httpd.socket = server_context(pki).wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, name="test-https-server")
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


# --- selection --------------------------------------------------------------------------------


def test_nothing_set_gives_library_defaults() -> None:
    env = {"CODEX_CA_CERTIFICATE": "  ", "SSL_CERT_FILE": ""}
    assert ca_bundle(env) is None
    assert ca_bundle({}) is None
    assert websocket_sslopt(env) == {}
    assert requests_verify(env) is True


def test_codex_variable_wins_over_ssl_cert_file(pki: dict[str, Path]) -> None:
    env = {"CODEX_CA_CERTIFICATE": str(pki["ca_a"]), "SSL_CERT_FILE": str(pki["ca_b"])}
    assert ca_bundle(env) == str(pki["ca_a"])
    assert websocket_sslopt(env) == {"ca_certs": str(pki["ca_a"])}
    assert requests_verify(env) == str(pki["ca_a"])


def test_blank_codex_variable_falls_through_to_ssl_cert_file(pki: dict[str, Path]) -> None:
    env = {"CODEX_CA_CERTIFICATE": " \t", "SSL_CERT_FILE": f"  {pki['ca_b']}  "}
    assert ca_bundle(env) == str(pki["ca_b"])


def test_os_environ_is_read_at_call_time(
    pki: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CODEX_CA_CERTIFICATE", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    assert ca_bundle() is None
    monkeypatch.setenv("SSL_CERT_FILE", str(pki["ca_a"]))
    assert ca_bundle() == str(pki["ca_a"])


@pytest.mark.parametrize("variable", ["CODEX_CA_CERTIFICATE", "SSL_CERT_FILE"])
def test_missing_path_is_config_error_naming_the_variable(tmp_path: Path, variable: str) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(ConfigError, match=variable) as info:
        ca_bundle({variable: str(missing)})
    assert "does not exist" in str(info.value)
    with pytest.raises(ConfigError, match=variable):
        websocket_sslopt({variable: str(missing)})
    with pytest.raises(ConfigError, match=variable):
        requests_verify({variable: str(missing)})


def test_broken_codex_variable_does_not_fall_back(tmp_path: Path, pki: dict[str, Path]) -> None:
    env = {"CODEX_CA_CERTIFICATE": str(tmp_path / "nope.pem"), "SSL_CERT_FILE": str(pki["ca_a"])}
    with pytest.raises(ConfigError, match="CODEX_CA_CERTIFICATE"):
        ca_bundle(env)


def test_directory_and_non_pem_file_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a file"):
        ca_bundle({"SSL_CERT_FILE": str(tmp_path)})
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n", encoding="ascii")
    with pytest.raises(ConfigError, match="no PEM certificate"):
        ca_bundle({"CODEX_CA_CERTIFICATE": str(junk)})


def test_ssl_context_reports_unparseable_pem_as_config_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.pem"
    bogus.write_text(
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
        encoding="ascii",
    )
    assert ca_bundle({"SSL_CERT_FILE": str(bogus)}) == str(bogus)  # path handling only
    with pytest.raises(ConfigError, match="SSL_CERT_FILE"):
        ssl_context({"SSL_CERT_FILE": str(bogus)})


# --- the options work with the real clients ---------------------------------------------------


def test_websocket_client_trusts_the_configured_ca(pki: dict[str, Path]) -> None:
    env = {"CODEX_CA_CERTIFICATE": str(pki["ca_a"])}
    with wss_echo_server(pki) as url:
        ws = websocket.create_connection(url, sslopt=websocket_sslopt(env), timeout=5)
        try:
            ws.send("ping")
            assert ws.recv() == "ping"
        finally:
            ws.close()


@pytest.mark.parametrize("which", ["other-ca", "defaults"])
def test_websocket_client_rejects_server_without_the_right_ca(
    pki: dict[str, Path], which: str
) -> None:
    env = {"SSL_CERT_FILE": str(pki["ca_b"])} if which == "other-ca" else {}
    with wss_echo_server(pki) as url, pytest.raises(ssl.SSLCertVerificationError):
        websocket.create_connection(url, sslopt=websocket_sslopt(env), timeout=5)


def test_requests_trusts_the_configured_ca_and_rejects_otherwise(pki: dict[str, Path]) -> None:
    with https_server(pki) as url, requests.Session() as session:
        session.trust_env = False
        response = session.get(url, verify=requests_verify({"SSL_CERT_FILE": str(pki["ca_a"])}))
        assert response.status_code == 200
        assert response.text == "ok"
        with pytest.raises(requests.exceptions.SSLError):
            session.get(url, verify=requests_verify({"SSL_CERT_FILE": str(pki["ca_b"])}))


def test_ssl_context_trusts_the_configured_ca(pki: dict[str, Path]) -> None:
    context = ssl_context({"CODEX_CA_CERTIFICATE": str(pki["ca_a"])})
    with https_server(pki) as url:
        port = int(url.rsplit(":", 1)[1].strip("/"))
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            tls.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            received = b""
            while chunk := tls.recv(4096):  # HTTP/1.0: the server closes after the response
                received += chunk
    assert received.startswith(b"HTTP/1.0 200")
    assert received.endswith(b"\r\n\r\nok")


def test_ssl_context_without_bundle_rejects_the_test_server(pki: dict[str, Path]) -> None:
    context = ssl_context({})
    with https_server(pki) as url:
        port = int(url.rsplit(":", 1)[1].strip("/"))
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            pytest.raises(ssl.SSLCertVerificationError),
        ):
            context.wrap_socket(raw, server_hostname="127.0.0.1")
