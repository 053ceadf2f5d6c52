"""Validate wire events against the openai SDK's pydantic types (a schema we did not write).

``validate_client_event(d)`` / ``validate_server_event(d)`` raise ``AssertionError`` listing every
problem: pydantic validation errors, or fields the SDK does not know (the SDK models use
``extra="allow"``, so unknown keys are found by walking ``model_extra``). The SDK unions are rebuilt
with a real pydantic discriminator on ``type`` so errors are precise (reference §7.2-7.3).

Allowlisted unknown fields (sent by the real server, absent from the SDK types):
``obfuscation`` on ``*.delta`` events and ``session.{object,id,expires_at}`` on
``session.created`` / ``session.updated``.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Mapping
from typing import Annotated, Any

from openai.types.realtime import RealtimeClientEvent, RealtimeServerEvent
from openai.types.realtime.response_item_reference import ResponseItemReference
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

SESSION_EVENT_TYPES = frozenset({"session.created", "session.updated"})
SESSION_EXTRA_FIELDS = frozenset({"$.session.object", "$.session.id", "$.session.expires_at"})
DELTA_EXTRA_FIELDS = frozenset({"$.obfuscation"})


def _members(alias: Any) -> tuple[type[BaseModel], ...]:
    return typing.get_args(typing.get_args(alias)[0])


def _discriminated(alias: Any) -> TypeAdapter[Any]:
    members = _members(alias)
    return TypeAdapter(Annotated[typing.Union[members], Field(discriminator="type")])  # noqa: UP007


@functools.cache
def _client_adapter() -> TypeAdapter[Any]:
    return _discriminated(RealtimeClientEvent)


@functools.cache
def _server_adapter() -> TypeAdapter[Any]:
    return _discriminated(RealtimeServerEvent)


def _wire_types(alias: Any) -> frozenset[str]:
    out = set()
    for member in _members(alias):
        out.update(typing.get_args(member.model_fields["type"].annotation))
    return frozenset(out)


GA_CLIENT_EVENT_TYPES = _wire_types(RealtimeClientEvent)
"""The 11 client event types of the GA union, read from the installed SDK."""
GA_SERVER_EVENT_TYPES = _wire_types(RealtimeServerEvent)
"""The 46 server event types of the GA union, read from the installed SDK."""


def unknown_fields(model: object, path: str = "$") -> list[str]:
    """JSON paths of every key the SDK model tree did not declare (its ``model_extra``)."""
    if isinstance(model, BaseModel):
        out = [f"{path}.{key}" for key in (model.model_extra or {})]
        for name in type(model).model_fields:
            out += unknown_fields(getattr(model, name), f"{path}.{name}")
        return out
    if isinstance(model, list | tuple):
        return [x for i, item in enumerate(model) for x in unknown_fields(item, f"{path}[{i}]")]
    if isinstance(model, dict):
        return [x for key, item in model.items() for x in unknown_fields(item, f"{path}.{key}")]
    return []


def _errors(exc: ValidationError) -> list[str]:
    return [
        f"{'.'.join(map(str, err['loc'])) or '$'}: {err['msg']} (input {err['input']!r:.80})"
        for err in exc.errors()
    ]


def _validate(adapter: TypeAdapter[Any], event: object, allowed_extra: frozenset[str]) -> list[str]:
    try:
        model = adapter.validate_python(event)
    except ValidationError as exc:
        return _errors(exc)
    return [f"unknown field {path}" for path in unknown_fields(model) if path not in allowed_extra]


def _split_item_references(event: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The SDK's ResponseCreateEvent rejects ``item_reference`` inputs although the protocol
    allows them (reference §2.4, §7.2): check those against ResponseItemReference separately."""
    response = event.get("response")
    if not isinstance(response, Mapping) or not isinstance(response.get("input"), list):
        return dict(event), []
    problems: list[str] = []
    kept = []
    for index, item in enumerate(response["input"]):
        if isinstance(item, Mapping) and item.get("type") == "item_reference":
            try:
                ref = ResponseItemReference.model_validate(item)
            except ValidationError as exc:
                problems += [f"response.input[{index}]: {p}" for p in _errors(exc)]
                continue
            problems += [
                f"unknown field $.response.input[{index}]{path[1:]}" for path in unknown_fields(ref)
            ]
        else:
            kept.append(item)
    return {**event, "response": {**response, "input": kept}}, problems


def client_event_problems(event: object) -> list[str]:
    """Every problem of a GA client event (empty list when it is valid)."""
    if not isinstance(event, Mapping):
        return [f"event is not a JSON object: {type(event).__name__}"]
    problems: list[str] = []
    if event.get("type") == "response.create":
        event, problems = _split_item_references(event)
    return problems + _validate(_client_adapter(), event, frozenset())


def server_event_problems(event: object) -> list[str]:
    """Every problem of a GA server event (empty list when it is valid), allowlisted extras
    excepted."""
    if not isinstance(event, Mapping):
        return [f"event is not a JSON object: {type(event).__name__}"]
    kind = event.get("type")
    allowed: frozenset[str] = frozenset()
    if isinstance(kind, str) and kind.endswith(".delta"):
        allowed = DELTA_EXTRA_FIELDS
    elif kind in SESSION_EVENT_TYPES:
        allowed = SESSION_EXTRA_FIELDS
    return _validate(_server_adapter(), event, allowed)


def validate_client_event(event: object) -> None:
    """Raise AssertionError listing the problems of a GA client event, if any."""
    problems = client_event_problems(event)
    if problems:
        raise AssertionError(
            f"invalid GA client event {_type_of(event)}:\n  " + "\n  ".join(problems)
        )


def validate_server_event(event: object) -> None:
    """Raise AssertionError listing the problems of a GA server event, if any."""
    problems = server_event_problems(event)
    if problems:
        raise AssertionError(
            f"invalid GA server event {_type_of(event)}:\n  " + "\n  ".join(problems)
        )


def _type_of(event: object) -> str:
    return repr(event.get("type")) if isinstance(event, Mapping) else type(event).__name__
