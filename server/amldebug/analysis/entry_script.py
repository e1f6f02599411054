"""Stub: filled in by the entry script analyzer work."""

from __future__ import annotations

from amldebug.analysis.context import AnalysisContext
from amldebug.diagnostics import Diagnostic, Fix
from amldebug.rules import Rule

RULES: tuple[Rule, ...] = ()


def analyze_entry_script(text: str, context: AnalysisContext) -> list[Diagnostic]:
    return []


def refactors_at(text: str, line: int, context: AnalysisContext) -> list[Fix]:
    """Refactors offered on `line` (0-based) that no diagnostic asks for, e.g. the debug-only
    try/except around run()'s body. Each Fix has kind "refactor"."""
    return []
