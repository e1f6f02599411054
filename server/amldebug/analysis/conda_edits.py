"""Line edits for the conda-file quick fixes, and reading `-r FILE` requirement files.

Quick fixes are whole-line insertions and deletions computed from the parsed model's positions, so
the user's comments, order and indentation survive untouched.
"""

from __future__ import annotations

import re
from pathlib import Path

from packaging.utils import canonicalize_name

from amldebug.analysis.conda_model import CondaDependency, InsertPoint
from amldebug.analysis.context import AnalysisContext
from amldebug.diagnostics import Fix, Range, TextEdit

_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def requirement_file_names(context: AnalysisContext, reference: str) -> set[str] | None:
    """Distribution names in a `-r FILE` requirements file, or None when it cannot be read."""
    path = Path(reference)
    if not path.is_absolute():
        path = context.path.parent / path
    text = context.read_text(path)
    if text is None:
        return None
    names = set()
    for line in text.splitlines():
        match = _REQUIREMENT_NAME.match(line.split("#", 1)[0])
        if match:
            names.add(str(canonicalize_name(match[1])))
    return names


def insert_lines(
    lines: list[str], point: InsertPoint, new_lines: list[str], newline: str
) -> TextEdit:
    """Whole new lines before `point.line`, or after the last line when the point is past it."""
    if point.line < len(lines):
        return TextEdit(Range.of(point.line, 0), "".join(line + newline for line in new_lines))
    last = len(lines) - 1
    end = len(lines[last].rstrip("\r"))
    return TextEdit(Range.of(last, end), "".join(newline + line for line in new_lines))


def remove_entry_line(lines: list[str], dependency: CondaDependency, title: str) -> Fix | None:
    """Delete an entry's whole `- entry  # comment` line, when the entry stands on its own."""
    start, end = dependency.range.start, dependency.range.end
    if start.line != end.line or start.line >= len(lines):
        return None
    before = lines[start.line][: start.character].strip()
    after = lines[start.line][end.character :].strip()
    if before != "-" or (after and not after.startswith("#")):
        return None
    if start.line + 1 < len(lines):
        removed = Range.of(start.line, 0, start.line + 1, 0)
    elif start.line > 0:
        removed = Range.of(
            start.line - 1, len(lines[start.line - 1]), start.line, len(lines[start.line])
        )
    else:
        removed = Range.of(0, 0, 0, len(lines[0]))
    return Fix(title, (TextEdit(removed, ""),), preferred=True)
