"""Stub: filled in by the steps file analyzer work."""

from __future__ import annotations

from amldebug.analysis.context import AnalysisContext
from amldebug.diagnostics import Diagnostic
from amldebug.rules import Rule

RULES: tuple[Rule, ...] = ()


def analyze_steps_file(text: str, context: AnalysisContext) -> list[Diagnostic]:
    return []
