"""Where the entry-script checks put their findings: the diagnostics of one run, and the
conversions from `ast` positions to editor ranges that every check needs."""

from __future__ import annotations

import ast

from amldebug.analysis.context import AnalysisContext
from amldebug.analysis.entry_script.facts import ScriptFacts
from amldebug.diagnostics import Diagnostic, Fix, Range
from amldebug.rules import Rule


class Report:
    """One check of one script: the facts, the project context and the diagnostics so far."""

    def __init__(self, facts: ScriptFacts, text: str, context: AnalysisContext) -> None:
        self.facts = facts
        self.text = text
        self.lines = facts.lines
        self.context = context
        self.diagnostics: list[Diagnostic] = []

    def add(self, rule: Rule, message: str, where: Range, fixes: tuple[Fix, ...] = ()) -> None:
        self.diagnostics.append(Diagnostic(rule.code, rule.severity, message, where, fixes=fixes))

    # Positions: ast columns are UTF-8 byte offsets, diagnostics count code points.
    def char(self, line: int, byte_column: int) -> int:
        if not 0 <= line < len(self.lines):
            return byte_column
        text = self.lines[line]
        if text.isascii():
            return byte_column
        return len(text.encode("utf-8")[:byte_column].decode("utf-8", errors="replace"))

    def node_range(self, node: ast.AST) -> Range:
        line = node.lineno - 1  # type: ignore[attr-defined]
        end_line = (node.end_lineno or node.lineno) - 1  # type: ignore[attr-defined]
        end_column = node.end_col_offset if node.end_col_offset is not None else node.col_offset  # type: ignore[attr-defined]
        return Range.of(
            line,
            self.char(line, node.col_offset),  # type: ignore[attr-defined]
            end_line,
            self.char(end_line, end_column),
        )

    def first_line_range(self, node: ast.stmt) -> Range:
        whole = self.node_range(node)
        if whole.end.line == whole.start.line:
            return whole
        line = whole.start.line
        return Range.of(line, whole.start.character, line, len(self.lines[line].rstrip()))

    def def_range(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> Range:
        line = function.lineno - 1
        start = self.char(line, function.col_offset)
        name_at = self.lines[line].find(function.name, start)
        end = name_at + len(function.name) if name_at >= 0 else len(self.lines[line].rstrip())
        return Range.of(line, start, line, end)

    def segment(self, node: ast.AST) -> str:
        where = self.node_range(node)
        if where.start.line == where.end.line:
            return self.lines[where.start.line][where.start.character : where.end.character]
        parts = [self.lines[where.start.line][where.start.character :]]
        parts.extend(self.lines[where.start.line + 1 : where.end.line])
        parts.append(self.lines[where.end.line][: where.end.character])
        return "\n".join(parts)

    def script_name(self) -> str:
        return self.context.path.name or "the entry script"
