"""Docstring parsing for function tools (with ``docstring_parser``): the summary and the
per-parameter descriptions of Google, NumPy and reST (``:param x:``) docstrings."""

from __future__ import annotations

import inspect
import logging

import attrs
import docstring_parser

logger = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class ParsedDocstring:
    """The summary and per-parameter descriptions found in a docstring."""

    summary: str
    params: dict[str, str]


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def parse_docstring(doc: str | None) -> ParsedDocstring:
    """Split a docstring into its summary (the first paragraph, lines joined) and the
    description of each documented parameter (lines joined)."""
    if not doc or not doc.strip():
        return ParsedDocstring(summary="", params={})
    try:
        parsed = docstring_parser.parse(doc)
    except docstring_parser.ParseError as exc:
        logger.warning("docstring not understood (%s); no parameter descriptions taken", exc)
        first = inspect.cleandoc(doc).split("\n\n", 1)[0]
        return ParsedDocstring(summary=_one_line(first), params={})
    first_paragraph = (parsed.description or "").split("\n\n", 1)[0]
    params = {param.arg_name.lstrip("*"): _one_line(param.description)
              for param in parsed.params}
    return ParsedDocstring(summary=_one_line(first_paragraph), params=params)
