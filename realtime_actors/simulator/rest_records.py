"""Records of the requests the simulator's REST server received, for tests to inspect."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

from realtime_actors.simulator.scenario import RestFault


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


def _optional_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return None if value is None else MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class UploadedFile:
    """What was uploaded in a multipart ``file`` field (the bytes themselves are not kept)."""

    filename: str | None
    content_type: str | None
    size: int
    """Size in bytes."""
    looks_like_wav: bool
    """The bytes start with a RIFF/WAVE header."""
    nested_wav: bool = False
    """The WAV's data chunk itself starts with ``RIFF`` (a WAV wrapped in a second header)."""


@attrs.frozen(kw_only=True)
class RestRequestRecord:
    """One request received by :class:`~realtime_actors.simulator.rest_server.RestServer`.

    Recorded just before the response starts, so it is visible to a client that has its
    answer. ``headers`` have lower-case names and a masked ``authorization`` value.
    """

    index: int
    """0-based position among the server's requests."""
    method: str
    path: str
    endpoint: str | None
    """``"transcriptions"``, ``"speech"``, or ``None`` for an unknown path."""
    headers: Mapping[str, str] = attrs.field(converter=_frozen_mapping)
    form: Mapping[str, str] = attrs.field(converter=_frozen_mapping, factory=dict)
    """Multipart text fields (the last value of a repeated name; see ``form_items``)."""
    form_items: tuple[tuple[str, str], ...] = ()
    """Every multipart text field, in order."""
    json_body: Mapping[str, Any] | None = attrs.field(converter=_optional_mapping, default=None)
    file: UploadedFile | None = None
    status: int
    """HTTP status of the answer (200 for a stream, even one a fault will drop)."""
    error_code: str | None = None
    """``error.code`` of an error answer."""
    fault: RestFault | None = None
    """The scripted fault that answered this request, if any."""
