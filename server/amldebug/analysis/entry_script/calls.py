"""One pass over the calls the facts walker found, each handed to the rule family that judges it."""

from __future__ import annotations

import ast

from amldebug.analysis.entry_script.ast_helpers import qualified_name
from amldebug.analysis.entry_script.debugger import DEBUGGER_HOOKS, debugger_hook, ptvsd
from amldebug.analysis.entry_script.model_files import model_call
from amldebug.analysis.entry_script.report import Report


# AML108, AML109, AML112, AML115 (and AML113 for literal model paths)
def check_calls(report: Report) -> None:
    facts = report.facts
    ptvsd_calls: list[tuple[ast.Call, str]] = []
    for call, statement, block, where in facts.calls:
        name = qualified_name(facts.aliases, call.func)
        if not name:
            continue
        if name.startswith("ptvsd."):
            ptvsd_calls.append((call, name))
        if name in DEBUGGER_HOOKS and not where.main_guard:
            debugger_hook(report, call, name, statement, block)
        model_call(report, call, name, where)
    ptvsd(report, ptvsd_calls)
