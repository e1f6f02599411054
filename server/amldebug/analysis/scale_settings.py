"""Stub: filled in by the AKS scale settings work (AML401/AML402)."""

from __future__ import annotations

from amldebug.analysis.context import AnalysisContext
from amldebug.diagnostics import Diagnostic
from amldebug.rules import Rule

RULES: tuple[Rule, ...] = ()


def analyze_python_scale_settings(text: str, context: AnalysisContext) -> list[Diagnostic]:
    return []


def analyze_deployment_yaml(text: str, context: AnalysisContext) -> list[Diagnostic]:
    return []


def scale_settings_hover(text: str, line: int, character: int, context: AnalysisContext) -> str | None:
    """Markdown for a hover on a scale setting at (line, character), 0-based; None elsewhere."""
    return None
