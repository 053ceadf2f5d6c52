"""Form parsing: ``multipart/form-data`` with the stdlib ``email`` package (``cgi`` is
deprecated), and ``application/x-www-form-urlencoded``."""

from __future__ import annotations

import email.parser
import email.policy
from urllib.parse import parse_qsl

import attrs

from realtime_actors.simulator.rest_errors import RestApiError


@attrs.frozen(kw_only=True)
class FormPart:
    """One part of a multipart form: a text field or an uploaded file."""

    name: str
    filename: str | None
    """The part's file name; ``None`` for a plain field."""
    content_type: str | None
    """The part's declared content type, if it declared one."""
    data: bytes = attrs.field(repr=lambda d: f"<{len(d)} bytes>")

    def text(self) -> str:
        """The part's content as UTF-8 text (invalid bytes replaced)."""
        return self.data.decode("utf-8", errors="replace")


def parse_multipart(content_type: str, body: bytes) -> list[FormPart]:
    """Split a ``multipart/form-data`` body into its parts, in order.

    Raises :class:`RestApiError` (400) when the content type is not multipart with a boundary
    or the body holds no named part.
    """
    header = b"Content-Type: " + content_type.encode("latin-1", errors="replace") + b"\r\n\r\n"
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
    if message.get_content_type() != "multipart/form-data" or not message.get_boundary():
        raise RestApiError(
            400,
            "Invalid Content-Type header: expected multipart/form-data with a boundary, "
            f"got {content_type!r}.",
            code=None,
        )
    parts: list[FormPart] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            raise RestApiError(400, "A multipart part has no form field name.", code=None)
        payload = part.get_payload(decode=True)
        declared = part.get("content-type")
        parts.append(
            FormPart(
                name=name,
                filename=part.get_filename(),
                content_type=part.get_content_type() if declared is not None else None,
                data=payload if isinstance(payload, bytes) else b"",
            )
        )
    if not parts:
        raise RestApiError(400, "The multipart body holds no form fields.", code=None)
    return parts


def parse_form(content_type: str, body: bytes) -> list[FormPart]:
    """The fields of a multipart or URL-encoded form body (a URL-encoded one has no file)."""
    if content_type.partition(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        pairs = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        return [
            FormPart(name=name, filename=None, content_type=None, data=value.encode())
            for name, value in pairs
        ]
    return parse_multipart(content_type, body)
