"""What a rule is: a diagnostic code with its name, severity and documentation.

Each analyzer module declares the rules it owns in a `RULES` tuple of these; the catalogue that
gathers them is `amldebug.analysis.rule_catalogue` (this module imports no analyzer, so the
analyzers can import it without a cycle).
"""

from __future__ import annotations

from dataclasses import dataclass

from amldebug.diagnostics import Severity


@dataclass(frozen=True)
class Rule:
    code: str
    name: str  # kebab-case slug, e.g. "init-global-missing"
    severity: Severity  # the default; the user's selection may drop the rule, never change it
    summary: str  # one line, as in the rule table
    why: str  # markdown: what goes wrong in Azure ML when this is ignored
    fix: str  # markdown: how to fix it by hand
    example: str = ""  # markdown with fenced code: the mistake and the fixed version
    fixable: bool = False  # a quick fix exists (LSP code action / `check --fix`)
