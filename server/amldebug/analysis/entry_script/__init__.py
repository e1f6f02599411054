"""Rules for the entry script (`score.py`): AML101-AML119 and their quick fixes.

One job per module: `parsing` (one parse per text), `facts` (the cheap walk, cached by text),
`report` (diagnostics and positions), the checks by family (`contract`; `calls`, which hands
each call to `debugger` or `model_files`; `returns`; `import_rule`; `undefined_names`;
`removed_api`), `fixes` (quick-fix builders) and `definitions` (the rules' documentation).
Everything is pure apart from a few `stat` calls (does a model file or a local module exist).
"""

from __future__ import annotations

from functools import lru_cache

from amldebug.analysis.context import AnalysisContext
from amldebug.analysis.entry_script.calls import check_calls
from amldebug.analysis.entry_script.contract import (
    check_compile_errors,
    check_contract,
    check_globals,
)
from amldebug.analysis.entry_script.definitions import (
    DEBUGGER_HOOK,
    EXCEPTION_RETURNED,
    GET_MODEL_PATH,
    GLOBAL_MISSING,
    INIT_PARAMETERS,
    LOAD_AT_IMPORT,
    MISSING_INIT,
    MISSING_RUN,
    MODEL_FILE_MISSING,
    NOT_JSON_SERIALISABLE,
    PTVSD_IMPORT,
    RAWHTTP_WITH_SCHEMA,
    REMOVED_API,
    RUN_SIGNATURE,
    STATUS_TUPLE,
    SYNTAX_ERROR,
    UNDEFINED_NAME,
)
from amldebug.analysis.entry_script.facts import script_facts
from amldebug.analysis.entry_script.fixes import debug_try_except
from amldebug.analysis.entry_script.import_rule import IMPORT_NOT_PROVIDED, check_imports
from amldebug.analysis.entry_script.model_files import check_model_paths
from amldebug.analysis.entry_script.parsing import ParseFailure, parsed_tree
from amldebug.analysis.entry_script.removed_api import check_removed_api
from amldebug.analysis.entry_script.report import Report
from amldebug.analysis.entry_script.returns import check_returns
from amldebug.analysis.entry_script.undefined_names import check_undefined_names
from amldebug.deployments.index import has_batch_driver_signature
from amldebug.diagnostics import Diagnostic, Fix
from amldebug.rules import Rule

__all__ = ["RULES", "analyze_entry_script", "is_batch_driver", "parsed_tree", "refactors_at"]

RULES: tuple[Rule, ...] = (
    MISSING_INIT,
    MISSING_RUN,
    RUN_SIGNATURE,
    INIT_PARAMETERS,
    RAWHTTP_WITH_SCHEMA,
    GLOBAL_MISSING,
    SYNTAX_ERROR,
    PTVSD_IMPORT,
    DEBUGGER_HOOK,
    EXCEPTION_RETURNED,
    GET_MODEL_PATH,
    MODEL_FILE_MISSING,
    NOT_JSON_SERIALISABLE,
    LOAD_AT_IMPORT,
    IMPORT_NOT_PROVIDED,
    UNDEFINED_NAME,
    STATUS_TUPLE,
    REMOVED_API,
)


@lru_cache(maxsize=8)
def is_batch_driver(text: str) -> bool:
    """Whether run()'s shape says batch driver (`run(mini_batch)`, `run(batch)`, `run(file_list)`,
    a parallel job's `mini_batch_context`): discovery's test, on this module's cached tree."""
    facts = script_facts(text)
    if isinstance(facts, ParseFailure) or facts.run is None:
        return False
    return has_batch_driver_signature(facts.run)


def analyze_entry_script(text: str, context: AnalysisContext) -> list[Diagnostic]:
    """Diagnostics AML101-AML119 for one entry script's text, online and batch alike: the engine
    keeps a batch driver's to the rules that hold for it (analysis/scopes.py)."""
    facts = script_facts(text)
    if isinstance(facts, ParseFailure):
        return [
            Diagnostic(
                SYNTAX_ERROR.code,
                SYNTAX_ERROR.severity,
                f"{facts.message}: the inference server cannot import this script, so the worker "
                "never boots (CrashLoopBackOff)",
                facts.range,
            )
        ]
    report = Report(facts, text, context)
    check_compile_errors(report)
    check_contract(report)
    check_globals(report)
    check_calls(report)
    check_returns(report)
    check_model_paths(report)
    check_imports(report)
    check_undefined_names(report)
    check_removed_api(report)
    return report.diagnostics


def refactors_at(text: str, line: int, context: AnalysisContext) -> list[Fix]:
    """Refactors offered on `line` (0-based) that no diagnostic asks for: the debug-only
    try/except around run()'s body, on the `def run` line or its decorators."""
    facts = script_facts(text)
    if isinstance(facts, ParseFailure) or facts.run is None:
        return []
    run = facts.run
    first = (run.decorator_list[0].lineno if run.decorator_list else run.lineno) - 1
    if not first <= line <= run.lineno - 1:
        return []
    fix = debug_try_except(facts, text, run)
    return [fix] if fix is not None else []
