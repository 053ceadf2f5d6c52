"""Tool definitions, tool choice and tracing settings shared by sessions and responses."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from realtime_actors.errors import ConfigError
from realtime_actors.protocol.config_checks import (
    allowed_values,
    check_str,
    json_object,
    reject_unknown_keys,
)

_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def check_tool_name(value: object, field: str = "tool.name") -> str:
    """Return ``value`` if it is a valid function name (1-64 of ``A-Z a-z 0-9 _ -``)."""
    name = check_str(value, field)
    if not _TOOL_NAME.fullmatch(name):
        raise ConfigError(
            f"{field}: invalid function name {name!r}; use 1-64 letters, digits, '_' or '-'"
        )
    return name


def _default_parameters() -> dict[str, Any]:
    return {"type": "object", "properties": {}}


def _tool_name(value: str) -> str:
    return check_tool_name(value)


def _tool_description(value: str | None) -> str | None:
    return None if value is None else check_str(value, "tool.description", allow_empty=True)


def _check_parameters(value: Mapping[str, Any]) -> dict[str, Any]:
    schema = json_object(value, "tool.parameters")
    if schema.get("type", "object") != "object":
        raise ConfigError(
            f"tool.parameters: the JSON Schema must have type 'object', got {schema['type']!r}"
        )
    return schema


@attrs.frozen(kw_only=True)
class ToolDefinition:
    """A function tool: ``{"type": "function", "name", "description", "parameters"}``."""

    name: str = attrs.field(converter=_tool_name)
    """Function name (1-64 of letters, digits, ``_`` and ``-``)."""
    description: str | None = attrs.field(default=None, converter=_tool_description)
    """When and how to call the function; ``None`` to not send it."""
    parameters: dict[str, Any] = attrs.field(
        factory=_default_parameters, converter=_check_parameters
    )
    """JSON Schema (type ``object``) of the arguments; deep-copied at construction."""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ToolDefinition:
        """Build from a wire-shaped function tool mapping (``type`` may be omitted)."""
        reject_unknown_keys(data, frozenset({"type", "name", "description", "parameters"}), "tool")
        if data.get("type", "function") != "function":
            raise ConfigError(f"tool.type: expected 'function', got {data.get('type')!r}")
        kwargs = {k: v for k, v in data.items() if k != "type" and v is not None}
        if "name" not in kwargs:
            raise ConfigError("tool.name: required for a function tool")
        return cls(**kwargs)

    def to_wire(self) -> dict[str, Any]:
        """The GA function tool object."""
        wire: dict[str, Any] = {"type": "function", "name": self.name}
        if self.description is not None:
            wire["description"] = self.description
        wire["parameters"] = json_object(self.parameters, "tool.parameters")
        return wire


def _mcp_server_label(value: str) -> str:
    return check_str(value, "tools[].server_label")


def _mcp_raw(value: Mapping[str, Any]) -> dict[str, Any]:
    return json_object(value, "tools[]")


@attrs.frozen(kw_only=True)
class McpTool:
    """An MCP tool (``{"type": "mcp", "server_label", ...}``) kept as its wire mapping.

    The mapping may hold credentials (``authorization``, ``headers``), so it never appears in the
    repr; only the server label does.
    """

    server_label: str = attrs.field(converter=_mcp_server_label)
    """Label of the MCP server."""
    raw: dict[str, Any] = attrs.field(repr=False, converter=_mcp_raw)
    """The whole wire object (deep-copied), including ``type`` and ``server_label``."""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], field: str = "tools[]") -> McpTool:
        """Build from a wire mapping with ``type: "mcp"`` and a ``server_label``."""
        if data.get("type") != "mcp":
            raise ConfigError(f"{field}.type: expected 'mcp', got {data.get('type')!r}")
        label = check_str(data.get("server_label"), f"{field}.server_label")
        return cls(server_label=label, raw=data)

    def to_wire(self) -> dict[str, Any]:
        """A deep copy of the wire object."""
        return json_object(self.raw, "tools[]")


Tool = ToolDefinition | McpTool
"""A parsed tool of a session or response."""


def parse_tool(value: object, field: str = "tools[]") -> Tool:
    """Accept a :class:`ToolDefinition` or :class:`McpTool`, an object with
    ``to_definition() -> Mapping`` (e.g. a function tool), a function tool mapping, or an MCP
    tool mapping (``{"type": "mcp", ...}``)."""
    if isinstance(value, ToolDefinition | McpTool):
        return value
    to_definition = getattr(value, "to_definition", None)
    if callable(to_definition):
        value = to_definition()
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{field}: expected a ToolDefinition, a tool mapping or an object with "
            f"to_definition(), got {type(value).__name__}"
        )
    kind = value.get("type", "function")
    if kind == "function":
        return ToolDefinition.from_mapping(value)
    if kind == "mcp":
        return McpTool.from_mapping(value, field)
    raise ConfigError(f"{field}.type: invalid value {kind!r}; allowed values are 'function', 'mcp'")


def parse_tools(value: object, field: str = "tools") -> tuple[Tool, ...]:
    """Parse a list/tuple of tools; duplicate function names raise :class:`ConfigError`."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ConfigError(f"{field}: expected a list of tools, got {type(value).__name__}")
    tools = tuple(parse_tool(item, f"{field}[{i}]") for i, item in enumerate(value))
    names = [tool.name for tool in tools if isinstance(tool, ToolDefinition)]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(f"{field}: duplicate function tool name(s) {duplicates}")
    return tools


def tool_to_wire(tool: Tool) -> dict[str, Any]:
    """The wire object of a parsed tool."""
    return tool.to_wire()


def function_tool_names(tools: Iterable[Tool]) -> frozenset[str]:
    """Names of the function tools among ``tools``."""
    return frozenset(tool.name for tool in tools if isinstance(tool, ToolDefinition))


class ToolChoiceMode(enum.StrEnum):
    """Whether the model may, must not, or must call a tool."""

    NONE = "none"
    AUTO = "auto"
    REQUIRED = "required"


def _choice_name(value: str) -> str:
    return check_tool_name(value, "tool_choice.name")


def _choice_server_label(value: str) -> str:
    return check_str(value, "tool_choice.server_label")


def _choice_tool_name(value: str | None) -> str | None:
    return None if value is None else check_str(value, "tool_choice.name")


@attrs.frozen(kw_only=True)
class FunctionToolChoice:
    """Force the model to call the named function."""

    name: str = attrs.field(converter=_choice_name)
    """Name of the function to call."""

    def to_wire(self) -> dict[str, Any]:
        """The wire object ``{"type": "function", "name": ...}``."""
        return {"type": "function", "name": self.name}


@attrs.frozen(kw_only=True)
class McpToolChoice:
    """Force the model to call a tool of the named MCP server."""

    server_label: str = attrs.field(converter=_choice_server_label)
    """Label of the MCP server."""
    name: str | None = attrs.field(default=None, converter=_choice_tool_name)
    """Name of the tool on that server, or ``None`` to let the model pick."""

    def to_wire(self) -> dict[str, Any]:
        """The wire object ``{"type": "mcp", "server_label": ..., "name": ...}``."""
        wire: dict[str, Any] = {"type": "mcp", "server_label": self.server_label}
        if self.name is not None:
            wire["name"] = self.name
        return wire


ToolChoice = ToolChoiceMode | FunctionToolChoice | McpToolChoice
"""A parsed tool choice."""


def parse_tool_choice(value: object, field: str = "tool_choice") -> ToolChoice:
    """Accept ``"none"``/``"auto"``/``"required"`` (or the enum), a function name string, a
    :class:`FunctionToolChoice`/:class:`McpToolChoice`, or a ``{"type": "function"|"mcp", ...}``
    mapping."""
    if isinstance(value, ToolChoiceMode | FunctionToolChoice | McpToolChoice):
        return value
    if isinstance(value, str):
        try:
            return ToolChoiceMode(value)
        except ValueError:
            pass
        if not _TOOL_NAME.fullmatch(value):
            raise ConfigError(
                f"{field}: invalid value {value!r}; expected one of "
                f"{allowed_values(ToolChoiceMode)} or a function name"
            )
        return FunctionToolChoice(name=value)
    if isinstance(value, Mapping):
        kind = value.get("type")
        if kind == "function":
            reject_unknown_keys(value, frozenset({"type", "name"}), field)
            return FunctionToolChoice(name=check_tool_name(value.get("name"), "tool_choice.name"))
        if kind == "mcp":
            reject_unknown_keys(value, frozenset({"type", "server_label", "name"}), field)
            label = check_str(value.get("server_label"), "tool_choice.server_label")
            return McpToolChoice(server_label=label, name=value.get("name"))
        raise ConfigError(
            f"{field}.type: invalid value {kind!r}; allowed values are 'function', 'mcp'"
        )
    raise ConfigError(
        f"{field}: expected a mode string, a function name or a mapping, got {type(value).__name__}"
    )


def tool_choice_to_wire(choice: ToolChoice) -> str | dict[str, Any]:
    """The wire value of a parsed tool choice."""
    return choice.value if isinstance(choice, ToolChoiceMode) else choice.to_wire()


def check_forced_function(choice: object, tools: object, field: str = "tool_choice") -> None:
    """Raise :class:`ConfigError` if ``choice`` forces a function absent from ``tools``.

    Only checks when both are known (not UNSET); MCP choices and tool lists are not checked.
    """
    if isinstance(choice, FunctionToolChoice) and isinstance(tools, tuple):
        names = function_tool_names(tools)
        if choice.name not in names:
            raise ConfigError(
                f"{field}: forces function {choice.name!r}, which is not among the function "
                f"tools {sorted(names)}"
            )


def _tracing_workflow_name(value: str | None) -> str | None:
    return None if value is None else check_str(value, "tracing.workflow_name")


def _tracing_group_id(value: str | None) -> str | None:
    return None if value is None else check_str(value, "tracing.group_id")


def _tracing_metadata(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else json_object(value, "tracing.metadata")


@attrs.frozen(kw_only=True)
class TracingConfig:
    """Trace settings for the Traces dashboard (use the string ``"auto"`` for defaults)."""

    workflow_name: str | None = attrs.field(default=None, converter=_tracing_workflow_name)
    """Name of the workflow the trace is attached to."""
    group_id: str | None = attrs.field(default=None, converter=_tracing_group_id)
    """Group id for filtering and grouping traces."""
    metadata: dict[str, Any] | None = attrs.field(default=None, converter=_tracing_metadata)
    """Arbitrary JSON metadata attached to the trace (deep-copied)."""

    def to_wire(self) -> dict[str, Any]:
        """The wire object with the fields that are set."""
        wire: dict[str, Any] = {}
        if self.workflow_name is not None:
            wire["workflow_name"] = self.workflow_name
        if self.group_id is not None:
            wire["group_id"] = self.group_id
        if self.metadata is not None:
            wire["metadata"] = json_object(self.metadata, "tracing.metadata")
        return wire


Tracing = Literal["auto"] | TracingConfig
"""A parsed (non-null) tracing setting."""
TracingInput = Literal["auto"] | TracingConfig | Mapping[str, Any]
"""What ``tracing`` accepts besides ``None``: ``"auto"``, a config or a mapping of its fields."""


def parse_tracing(value: object, field: str = "tracing") -> Tracing:
    """Accept ``"auto"``, a :class:`TracingConfig` or a mapping of its fields."""
    if value == "auto":
        return "auto"
    if isinstance(value, TracingConfig):
        return value
    if isinstance(value, Mapping):
        known = frozenset({"workflow_name", "group_id", "metadata"})
        reject_unknown_keys(value, known, field)
        return TracingConfig(**{key: val for key, val in value.items() if val is not None})
    raise ConfigError(
        f"{field}: expected 'auto', a TracingConfig or a mapping, got {value!r}"
    )


def tracing_to_wire(tracing: Tracing) -> str | dict[str, Any]:
    """The wire value of a parsed tracing setting."""
    return tracing if isinstance(tracing, str) else tracing.to_wire()
