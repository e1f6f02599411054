"""Plain data shared by every analyzer and every adapter (CLI, language server, extension).

Positions are 0-based (line, character) like LSP; the CLI adds 1 when it prints. Characters count
code points of the line's text (Python string indices), which matches what editors show for the
ASCII that these files nearly always contain.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from pathlib import Path


class Severity(enum.IntEnum):
    # Values match lsprotocol.types.DiagnosticSeverity so the server converts with a cast.
    ERROR = 1
    WARNING = 2
    INFORMATION = 3
    HINT = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def from_label(cls, label: str) -> Severity:
        return cls[label.upper()]


@dataclass(frozen=True, order=True)
class Position:
    line: int
    character: int


@dataclass(frozen=True)
class Range:
    start: Position
    end: Position

    @classmethod
    def of(
        cls, line: int, start_char: int, end_line: int | None = None, end_char: int | None = None
    ) -> Range:
        """A range from 0-based coordinates; end defaults to the same point on the same line."""
        return cls(
            Position(line, start_char),
            Position(
                line if end_line is None else end_line, start_char if end_char is None else end_char
            ),
        )

    @classmethod
    def whole_line(cls, lines: list[str], line: int) -> Range:
        """The non-blank span of one line (the whole line when it is blank or out of range)."""
        if not 0 <= line < len(lines):
            return cls.of(max(line, 0), 0)
        text = lines[line]
        start = len(text) - len(text.lstrip())
        return cls.of(line, start, line, len(text.rstrip()))


@dataclass(frozen=True)
class TextEdit:
    """Replace `range` with `new_text`. `path` None means the file the diagnostic is in."""

    range: Range
    new_text: str
    path: Path | None = None


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[TextEdit, ...]
    # "quickfix" repairs the diagnostic; "refactor" changes behaviour on purpose (offered, never
    # applied by `check --fix`).
    kind: str = "quickfix"
    preferred: bool = False


@dataclass(frozen=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    range: Range
    path: Path | None = None
    fixes: tuple[Fix, ...] = field(default=())

    @property
    def fixable(self) -> bool:
        return any(fix.kind == "quickfix" for fix in self.fixes)

    def at(self, path: Path) -> Diagnostic:
        return replace(self, path=path)


def line_starts(text: str) -> list[int]:
    """Offsets where each line of `text` starts (splitting on \\n only, as LSP clients do)."""
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    return starts


def apply_edits(text: str, edits: list[TextEdit] | tuple[TextEdit, ...]) -> str:
    """Apply non-overlapping edits to `text` (edits for other files must be filtered out first)."""
    starts = line_starts(text)

    def offset(position: Position) -> int:
        if position.line >= len(starts):
            return len(text)
        line_start = starts[position.line]
        line_end = starts[position.line + 1] - 1 if position.line + 1 < len(starts) else len(text)
        return min(line_start + position.character, line_end)

    result = text
    # From the end backwards so earlier offsets stay valid; inserts at one point keep their order.
    ordered = sorted(
        enumerate(edits), key=lambda item: (item[1].range.start, item[0]), reverse=True
    )
    for _, edit in ordered:
        begin, end = offset(edit.range.start), offset(edit.range.end)
        result = result[:begin] + edit.new_text + result[end:]
    return result
