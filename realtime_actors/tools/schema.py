"""JSON Schemas for function tools: built from Python signatures and docstrings, and used to
check the arguments the model sends.

Supported annotations: ``str``, ``int``, ``float``, ``bool``, ``None``, ``list[T]``,
``tuple[T, ...]``, ``dict[str, T]``, ``T | None`` / ``Optional[T]``, unions of those,
``Literal[...]`` and ``enum.Enum`` subclasses. Anything else is a :class:`ConfigError` at
decoration time, naming the parameter.
"""

from __future__ import annotations

import enum
import inspect
import json
import math
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, Union, get_args, get_origin

import attrs

from ..errors import ConfigError
from .docstrings import parse_docstring

_NONE_TYPE = type(None)
_PRIMITIVES: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}
_EMPTY = inspect.Parameter.empty


@attrs.frozen(kw_only=True, eq=False)
class TypeNode:
    """A compiled annotation: its JSON Schema and a converter from JSON values to Python."""

    schema: dict[str, Any]
    convert: Callable[[Any], Any]


@attrs.frozen(kw_only=True, eq=False)
class ParamSpec:
    """One parameter of a tool function as the model sees it."""

    name: str
    positional_only: bool
    required: bool
    default: Any
    node: TypeNode


@attrs.frozen(kw_only=True, eq=False)
class FunctionSignature:
    """What :func:`build_function_signature` learned about a tool function."""

    description: str
    parameters: dict[str, Any]
    params: tuple[ParamSpec, ...]
    takes_context: bool


# ---------------------------------------------------------------- annotations


def _identity(value: Any) -> Any:
    return value


def _to_int(value: Any) -> Any:
    return int(value) if isinstance(value, float) else value


def _to_float(value: Any) -> Any:
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _type_name(tp: Any) -> str:
    if get_origin(tp) is not None or not isinstance(tp, type):
        return repr(tp).removeprefix("typing.")
    return tp.__qualname__


def _nullable(inner: TypeNode) -> TypeNode:
    schema = dict(inner.schema)
    kind = schema.get("type")
    if "anyOf" not in schema and isinstance(kind, str | list):
        kinds = [kind] if isinstance(kind, str) else list(kind)
        schema["type"] = [*kinds, "null"] if "null" not in kinds else kinds
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
    else:
        options = schema["anyOf"] if "anyOf" in schema else [inner.schema]
        schema = {"anyOf": [*options, {"type": "null"}]}
    convert = inner.convert
    return TypeNode(schema=schema, convert=lambda v: None if v is None else convert(v))


def _json_kind(values: list[Any]) -> str | None:
    kinds = {json_type_name(v) for v in values}
    if kinds == {"integer", "number"}:
        return "number"
    return kinds.pop() if len(kinds) == 1 else None


def _union(branches: list[TypeNode]) -> TypeNode:
    def convert(value: Any) -> Any:
        for branch in branches:
            if not check_value(branch.schema, value, ""):
                return branch.convert(value)
        return value

    return TypeNode(schema={"anyOf": [b.schema for b in branches]}, convert=convert)


def _enum_node(values: list[Any], where: str, convert: Callable[[Any], Any]) -> TypeNode:
    for value in values:
        if value is not None and not isinstance(value, str | int | float | bool):
            raise ConfigError(f"{where}: enum/Literal values must be str, int, float, bool or None")
    schema: dict[str, Any] = {"enum": list(values)}
    kind = _json_kind([v for v in values if v is not None])
    if kind is not None:
        schema["type"] = kind if None not in values else [kind, "null"]
    return TypeNode(schema=schema, convert=convert)


def compile_annotation(tp: Any, where: str) -> TypeNode:
    """Compile one resolved type annotation; ``where`` names it in a :class:`ConfigError`."""
    origin = get_origin(tp)
    args = get_args(tp)
    if tp is None or tp is _NONE_TYPE:
        return TypeNode(schema={"type": "null"}, convert=_identity)
    if origin is Union or origin is types.UnionType:
        rest = [a for a in args if a is not _NONE_TYPE]
        node = (
            compile_annotation(rest[0], where)
            if len(rest) == 1
            else _union([compile_annotation(a, where) for a in rest])
        )
        return _nullable(node) if len(rest) < len(args) else node
    if origin is Literal:
        return _enum_node(list(args), where, _identity)
    if origin is list and len(args) == 1:
        item = compile_annotation(args[0], where)
        return TypeNode(
            schema={"type": "array", "items": item.schema},
            convert=lambda v: [item.convert(x) for x in v],
        )
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = compile_annotation(args[0], where)
        return TypeNode(
            schema={"type": "array", "items": item.schema},
            convert=lambda v: tuple(item.convert(x) for x in v),
        )
    if origin is dict and len(args) == 2:
        if args[0] is not str:
            raise ConfigError(f"{where}: dict keys must be str (JSON object keys)")
        value = compile_annotation(args[1], where)
        return TypeNode(
            schema={"type": "object", "additionalProperties": value.schema},
            convert=lambda v: {k: value.convert(x) for k, x in v.items()},
        )
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum_node([m.value for m in tp], where, tp)
    if tp in _PRIMITIVES:
        convert = {int: _to_int, float: _to_float}.get(tp, _identity)
        return TypeNode(schema={"type": _PRIMITIVES[tp]}, convert=convert)
    if tp in (list, tuple, dict) or origin in (list, tuple, dict):
        raise ConfigError(
            f"{where}: unsupported annotation {_type_name(tp)}; "
            "use list[T], tuple[T, ...] or dict[str, T]"
        )
    raise ConfigError(f"{where}: unsupported type annotation {_type_name(tp)}")


# ---------------------------------------------------------------- signatures


def _json_safe(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def _resolve_hints(func: Callable[..., Any], sig: inspect.Signature, label: str) -> dict[str, Any]:
    target = func if inspect.isfunction(func) or inspect.ismethod(func) else type(func).__call__
    try:
        return typing.get_type_hints(target)
    except Exception as err:
        globalns = getattr(inspect.unwrap(target), "__globals__", {})
        for param in sig.parameters.values():
            if isinstance(param.annotation, str):
                try:
                    eval(param.annotation, globalns)
                except Exception:
                    raise ConfigError(
                        f"parameter {param.name!r} of {label}: cannot resolve annotation "
                        f"{param.annotation!r} ({type(err).__name__}: {err})"
                    ) from err
        raise ConfigError(f"{label}: cannot resolve type annotations ({err})") from err


def build_function_signature(
    func: Callable[..., Any], *, context_type: type, label: str
) -> FunctionSignature:
    """Build the parameters schema of ``func``. A first parameter annotated ``context_type`` is
    injected at call time and left out of the schema. ``label`` names the tool in errors."""
    if not callable(func):
        raise ConfigError(f"{label}: {type(func).__name__} object is not callable")
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{label}: cannot read the signature ({err})") from err
    hints = _resolve_hints(func, sig, label)
    doc = parse_docstring(inspect.getdoc(func))
    specs: list[ParamSpec] = []
    properties: dict[str, Any] = {}
    required: list[str] = []
    takes_context = False
    for index, param in enumerate(sig.parameters.values()):
        where = f"parameter {param.name!r} of {label}"
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ConfigError(f"{where}: *args/**kwargs are not supported in tools")
        annotation = hints.get(param.name, _EMPTY)
        if annotation is context_type:
            if index != 0:
                raise ConfigError(f"{where}: a {context_type.__name__} must be the first parameter")
            takes_context = True
            continue
        if annotation is _EMPTY:
            raise ConfigError(f"{where}: missing type annotation")
        node = compile_annotation(annotation, where)
        default = param.default
        accepts_null = not check_value(node.schema, None, "")
        if default is None and not accepts_null:
            node = _nullable(node)
        if default is _EMPTY and accepts_null:
            default = None  # ``T | None`` without a default: optional, absent means None
        prop = dict(node.schema)
        if doc.params.get(param.name):
            prop["description"] = doc.params[param.name]
        if default is not _EMPTY:
            shown = default.value if isinstance(default, enum.Enum) else default
            if _json_safe(shown):
                prop["default"] = shown
        else:
            required.append(param.name)
        properties[param.name] = prop
        specs.append(
            ParamSpec(
                name=param.name,
                positional_only=param.kind is param.POSITIONAL_ONLY,
                required=default is _EMPTY,
                default=default,
                node=node,
            )
        )
    parameters = {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    return FunctionSignature(
        description=doc.summary, parameters=parameters, params=tuple(specs),
        takes_context=takes_context,
    )  # fmt: skip


# ---------------------------------------------------------------- checking values


def json_type_name(value: Any) -> str:
    """The JSON type name of a decoded JSON value (``integer`` for whole ints)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _matches_type(value: Any, kind: str) -> bool:
    actual = json_type_name(value)
    if kind == "integer":
        return actual == "integer" or (
            actual == "number" and math.isfinite(value) and float(value).is_integer()
        )
    if kind == "number":
        return actual == "integer" or (actual == "number" and math.isfinite(value))
    return actual == kind or kind not in {"string", "boolean", "null", "array", "object"}


def _in_enum(value: Any, options: list[Any]) -> bool:
    kind = json_type_name(value)
    numeric = {"integer", "number"}
    for option in options:
        other = json_type_name(option)
        if (kind == other or (kind in numeric and other in numeric)) and value == option:
            return True
    return False


def _label(path: str) -> str:
    return f"argument {path!r}" if path else "arguments"


def check_value(schema: dict[str, Any], value: Any, path: str) -> list[str]:
    """Check a decoded JSON value against the schema subset tools use (type, enum, items,
    properties, required, additionalProperties, anyOf). Returns readable problems, or []."""
    if "anyOf" in schema:
        if any(not check_value(sub, value, path) for sub in schema["anyOf"]):
            return []
        kinds = [sub.get("type", "value") for sub in schema["anyOf"]]
        return [f"{_label(path)}: {json_type_name(value)} does not match any of {kinds}"]
    kind = schema.get("type")
    if kind is not None:
        kinds = [kind] if isinstance(kind, str) else list(kind)
        if not any(_matches_type(value, k) for k in kinds):
            wanted = " or ".join(kinds)
            return [f"{_label(path)}: expected {wanted}, got {json_type_name(value)}"]
    if "enum" in schema and not _in_enum(value, schema["enum"]):
        return [f"{_label(path)}: must be one of {json.dumps(schema['enum'])}"]
    problems: list[str] = []
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            problems += check_value(schema["items"], item, f"{path}[{i}]")
    if isinstance(value, dict):
        problems += _check_object(schema, value, path)
    return problems


def _check_object(schema: dict[str, Any], value: dict[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    properties = schema.get("properties") or {}
    for name in schema.get("required") or []:
        if name not in value:
            key = f"{path}.{name}" if path else name
            problems.append(f"missing required argument {key!r}")
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        sub_path = f"{path}.{key}" if path else key
        if key in properties:
            problems += check_value(properties[key], item, sub_path)
        elif extra is False:
            problems.append(f"unexpected argument {sub_path!r}")
        elif isinstance(extra, dict):
            problems += check_value(extra, item, sub_path)
    return problems
