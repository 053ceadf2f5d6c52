"""Docstring parsing for function tools: the summary and per-parameter descriptions
(Google-style ``Args:`` sections and reST ``:param x:`` fields)."""

from __future__ import annotations

import inspect
import re

import attrs


@attrs.frozen(kw_only=True)
class ParsedDocstring:
    """The summary and per-parameter descriptions found in a docstring."""

    summary: str
    params: dict[str, str]


_SECTION_RE = re.compile(
    r"^(args|arguments|parameters|params|keyword args|keyword arguments|other parameters|"
    r"returns?|yields?|raises|examples?|notes?|attributes|see also|warnings?|todo)\s*:\s*$",
    re.IGNORECASE,
)
_ARGS_SECTIONS = {
    "args", "arguments", "parameters", "params", "keyword args", "keyword arguments",
}  # fmt: skip
_GOOGLE_ARG_RE = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_REST_PARAM_RE = re.compile(r"^:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")


def parse_docstring(doc: str | None) -> ParsedDocstring:
    """Split a docstring into its summary (first paragraph, lines joined) and the parameter
    descriptions of a Google-style ``Args:`` section or reST ``:param x:`` fields."""
    if not doc:
        return ParsedDocstring(summary="", params={})
    lines = inspect.cleandoc(doc).splitlines()
    summary: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not stripped or _SECTION_RE.match(stripped) or stripped.startswith(":"):
            break
        summary.append(stripped)
    params: dict[str, str] = {}
    _parse_google_args(lines, params)
    _parse_rest_params(lines, params)
    return ParsedDocstring(summary=" ".join(summary), params=params)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _parse_google_args(lines: list[str], params: dict[str, str]) -> None:
    i = 0
    while i < len(lines):
        header = _SECTION_RE.match(lines[i].strip())
        i += 1
        if not header or header.group(1).lower() not in _ARGS_SECTIONS:
            continue
        section_indent = _indent(lines[i - 1])
        item_indent: int | None = None
        current: str | None = None
        while i < len(lines):
            line = lines[i]
            if line.strip():
                indent = _indent(line)
                if indent <= section_indent:
                    break
                if item_indent is None:
                    item_indent = indent
                match = _GOOGLE_ARG_RE.match(line.strip()) if indent <= item_indent else None
                if match:
                    current = match.group(1)
                    params[current] = match.group(2).strip()
                elif current is not None:
                    params[current] = f"{params[current]} {line.strip()}".strip()
            i += 1


def _parse_rest_params(lines: list[str], params: dict[str, str]) -> None:
    current: str | None = None
    for line in lines:
        stripped = line.strip()
        match = _REST_PARAM_RE.match(stripped)
        if match:
            current = match.group(1)
            params[current] = match.group(2).strip()
        elif stripped.startswith(":") or not stripped or _indent(line) == 0:
            current = None
        elif current is not None:
            params[current] = f"{params[current]} {stripped}".strip()
