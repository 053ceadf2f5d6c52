"""Form parsing of the simulator's REST server (multipart via the stdlib email package)."""

from __future__ import annotations

import os

import pytest
import requests

from realtime_actors.simulator.multipart import parse_form, parse_multipart
from realtime_actors.simulator.rest_errors import RestApiError, mask_key


def _encode(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    prepared = requests.Request(
        "POST", "http://127.0.0.1/", data=fields, files=files
    ).prepare()
    assert isinstance(prepared.body, bytes)
    return prepared.body, prepared.headers["Content-Type"]


def test_binary_file_survives_byte_for_byte() -> None:
    data = os.urandom(20000) + b"\r\n--\r\n\r\r\n\n\r" + bytes(range(256))
    body, content_type = _encode(
        {"model": "whisper-1", "prompt": "héllo"}, {"file": ("a b.wav", data, "audio/wav")}
    )
    parts = parse_multipart(content_type, body)
    assert [p.name for p in parts] == ["model", "prompt", "file"]
    assert parts[0].text() == "whisper-1" and parts[0].filename is None
    assert parts[1].text() == "héllo"
    file = parts[2]
    assert (file.filename, file.content_type, file.data) == ("a b.wav", "audio/wav", data)
    assert "bytes>" in repr(parts[2])


def test_url_encoded_form_has_fields_only() -> None:
    parts = parse_form("application/x-www-form-urlencoded", b"model=whisper-1&prompt=a+b")
    assert [(p.name, p.text(), p.filename) for p in parts] == [
        ("model", "whisper-1", None),
        ("prompt", "a b", None),
    ]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b"{}"),
        ("multipart/form-data", b"--x\r\n\r\nvalue\r\n--x--\r\n"),
        ("multipart/form-data; boundary=x", b"--x--\r\n"),
        (
            "multipart/form-data; boundary=x",
            b"--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--\r\n",
        ),
    ],
    ids=["not-multipart", "no-boundary", "no-parts", "unnamed-part"],
)
def test_malformed_forms_are_400(content_type: str, body: bytes) -> None:
    with pytest.raises(RestApiError) as caught:
        parse_multipart(content_type, body)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("key", "shown"),
    [("sk-abcdefghijklmnopqrstcd", "sk-ab***cd"), ("short", "***"), ("12345678", "***")],
)
def test_mask_key(key: str, shown: str) -> None:
    assert mask_key(key) == shown
