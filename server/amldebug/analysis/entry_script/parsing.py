"""Parsing the entry script once per text, shared by every analyzer of a Python file."""

from __future__ import annotations

import ast
import warnings
from functools import lru_cache
from typing import NamedTuple

from amldebug.diagnostics import Position, Range


class ParseFailure(NamedTuple):
    message: str
    range: Range


@lru_cache(maxsize=2)
def parse(text: str) -> ast.Module | ParseFailure:
    """The tree of `text`, shared read-only by the diagnostics, the refactors and re-checks."""
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences warn on stderr, which would garble CLI output.
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except SyntaxError as error:
        return ParseFailure(error.msg or "invalid syntax", syntax_error_range(text, error))
    except (ValueError, RecursionError, MemoryError) as error:
        return ParseFailure(f"the file cannot be parsed: {error}", Range.of(0, 0, 0, 1))


def parsed_tree(text: str) -> ast.Module | None:
    """`text`'s syntax tree, None if it does not parse: one parse per text for every analyzer of
    a Python file (the scale-settings rules read the same tree). Shared: never modify it."""
    tree = parse(text)
    return None if isinstance(tree, ParseFailure) else tree


def syntax_error_range(text: str, error: SyntaxError) -> Range:
    lines = text.split("\n")
    line = max((error.lineno or 1) - 1, 0)
    line = min(line, max(len(lines) - 1, 0))
    width = len(lines[line]) if lines else 0
    start = min(max((error.offset or 1) - 1, 0), width)
    end_line, end = line, start + 1
    end_lineno, end_offset = getattr(error, "end_lineno", None), getattr(error, "end_offset", None)
    if end_lineno and end_offset and (end_lineno - 1, end_offset - 1) > (line, start):
        end_line = min(end_lineno - 1, len(lines) - 1)
        end = end_offset - 1
    end = min(end, len(lines[end_line]) if lines else 0)
    if (end_line, end) <= (line, start):
        end_line, end = line, min(start + 1, width) if width > start else start
    return Range(Position(line, start), Position(end_line, end))
