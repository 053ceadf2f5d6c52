"""Arguments of a scripted function call, filled from the tool's JSON schema (sans-I/O).

A real model's arguments satisfy the declared ``parameters`` schema; the simulator's scripted
model does the same with values taken from the user's text, by JSON-schema type:

- ``string``: quoted text first (in order), then capitalised words (a sentence's first word
  last), then the text's other words; an ``enum`` takes the value the text names, else its
  first value; ``const`` and ``default`` are used as given.
- ``number`` / ``integer``: the numbers in the text, in order (else ``minimum`` or 0),
  clamped to ``minimum`` / ``maximum``.
- ``boolean``: false when the text says no / not / false / off, else true.
- ``object``: every required property, recursively; ``array``: ``minItems`` (at least one)
  items of the ``items`` schema; ``null``: null.
- ``anyOf`` / ``oneOf`` take their first non-null branch, ``allOf`` its parts merged, and
  local ``$ref`` s (``#/$defs/...``, ``#/definitions/...``) are followed.

An optional property is filled only when the text names a value for it (quoted text or a
capitalised word left for a string, a number left, an enum value the text names), as a model
passes what the user said. ``pattern`` and ``format`` are not honoured.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from .errors import SimulatorError

logger = logging.getLogger(__name__)

_MAX_DEPTH = 8
_NEGATIONS = frozenset({"no", "not", "false", "off", "disable", "don't", "never"})
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_WORD = re.compile(r"[A-Za-z][\w'-]*")


class _Pools:
    """Values found in the user's text, handed out in order."""

    def __init__(self, text: str) -> None:
        quoted = re.findall(r'"([^"]+)"', text)
        rest = re.sub(r'"[^"]*"', " ", text)
        words = _WORD.findall(rest)
        capitals = [w for i, w in enumerate(words) if w[0].isupper() and i > 0]
        first = [words[0]] if words and words[0][0].isupper() else []
        others = [w for w in words if not w[0].isupper()]
        self.strings = [*quoted, *capitals, *first, *others]
        self._strong = len(quoted) + len(capitals)  # the first of ``strings`` the user named
        self.numbers = [float(n) for n in _NUMBER.findall(text)]
        self.lowered = text.lower()
        self.negated = any(w.lower() in _NEGATIONS for w in _WORD.findall(text))

    def string(self) -> str:
        self._strong = max(0, self._strong - 1)
        return self.strings.pop(0) if self.strings else "unknown"

    def offers(self, schema: dict[str, Any]) -> bool:
        """Whether the text names a value for an optional property of this schema: quoted
        text or a capitalised word for a string, a number for a number, an enum value."""
        if isinstance(schema.get("enum"), list):
            return any(isinstance(v, str) and v.lower() in self.lowered for v in schema["enum"])
        kind = _type_of(schema)
        if kind == "string":
            return self._strong > 0
        return kind in ("number", "integer") and bool(self.numbers)

    def number(self) -> float | None:
        return self.numbers.pop(0) if self.numbers else None


def schema_arguments(parameters: Any, user_text: str) -> dict[str, Any]:
    """Arguments that satisfy ``parameters`` (a function tool's JSON schema), taken from
    ``user_text``. A missing or non-object schema gives ``{}``."""
    if not isinstance(parameters, dict):
        return {}
    value = _fill(parameters, parameters, _Pools(user_text), 0)
    return value if isinstance(value, dict) else {}


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while isinstance(schema.get("$ref"), str) and seen < _MAX_DEPTH:
        ref = schema["$ref"]
        target: Any = root
        if not ref.startswith("#/"):
            logger.warning("tool schema: cannot follow $ref %r", ref)
            return {}
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **extra} if isinstance(target, dict) else extra
        seen += 1
    return schema


def _type_of(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        return kinds[0] if kinds else "null"
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return None


def _fill(schema: Any, root: dict[str, Any], pools: _Pools, depth: int) -> Any:
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if "default" in schema:
        return schema["default"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        named = [v for v in schema["enum"] if isinstance(v, str) and v.lower() in pools.lowered]
        return named[0] if named else schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            usable = [b for b in branches if not (isinstance(b, dict) and b.get("type") == "null")]
            return _fill((usable or branches)[0], root, pools, depth + 1)
    if isinstance(schema.get("allOf"), list):
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for raw in schema["allOf"]:
            if isinstance(raw, dict):
                part = _resolve(raw, root)
                merged["properties"] = {**merged.get("properties", {}),
                                        **part.get("properties", {})}
                merged["required"] = [*merged.get("required", []), *part.get("required", [])]
                merged.setdefault("type", part.get("type"))
        return _fill(merged, root, pools, depth + 1)
    return _by_type(_type_of(schema), schema, root, pools, depth)


def _by_type(
    kind: str | None, schema: dict[str, Any], root: dict[str, Any], pools: _Pools, depth: int
) -> Any:
    if kind == "object":
        properties = schema.get("properties") or {}
        required = [r for r in schema.get("required") or [] if isinstance(r, str)]
        out = {name: _fill(properties.get(name, {"type": "string"}), root, pools, depth + 1)
               for name in required}
        for name, sub in properties.items():
            if name not in out and isinstance(sub, dict) and pools.offers(_resolve(sub, root)):
                out[name] = _fill(sub, root, pools, depth + 1)
        return out
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        items = schema.get("items", {"type": "string"})
        return [_fill(items, root, pools, depth + 1) for _ in range(count)]
    if kind in ("number", "integer"):
        return _number(kind, schema, pools)
    if kind == "boolean":
        return not pools.negated
    if kind == "null":
        return None
    text = pools.string()
    if isinstance(schema.get("maxLength"), int):
        text = text[: schema["maxLength"]]
    if isinstance(schema.get("minLength"), int):
        text = text.ljust(schema["minLength"], "x")
    return text


def _number(kind: str, schema: dict[str, Any], pools: _Pools) -> float | int:
    found = pools.number()
    value = found if found is not None else float(schema.get("minimum", 0))
    if isinstance(schema.get("minimum"), int | float):
        value = max(value, float(schema["minimum"]))
    if isinstance(schema.get("maximum"), int | float):
        value = min(value, float(schema["maximum"]))
    return int(value) if kind == "integer" else value


@attrs.frozen
class ScriptedArguments:
    """``Scenario.tool_arguments`` from a table: tool name -> arguments object. Tools not in
    the table return ``None``, so their arguments are filled from their schema."""

    by_tool: Mapping[str, Mapping[str, Any]]

    def __call__(self, tool_name: str, user_text: str) -> Mapping[str, Any] | None:
        """The scripted arguments of ``tool_name`` (``user_text`` is not used)."""
        return self.by_tool.get(tool_name)

    @classmethod
    def from_json_file(cls, path: str | Path) -> ScriptedArguments:
        """Read a JSON object ``{"tool_name": {...arguments...}}``; raises
        :class:`SimulatorError` naming the file and the problem."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise SimulatorError(f"cannot read tool arguments from {path}: {exc}") from None
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise SimulatorError(
                f"{path}: expected a JSON object mapping tool names to argument objects"
            )
        return cls(dict(data))

