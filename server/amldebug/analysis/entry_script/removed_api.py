"""AML119: APIs the environment's package versions no longer have (`sklearn.externals.joblib`,
removed in scikit-learn 0.23), reported only when the conda file says which versions install."""

from __future__ import annotations

import ast
from functools import lru_cache

from packaging.version import Version

from amldebug.analysis.conda_model import (
    CondaEnvironment,
    InvalidSpec,
    parse_conda_environment,
    parse_spec,
    version_bounds,
)
from amldebug.analysis.entry_script.ast_helpers import qualified_name
from amldebug.analysis.entry_script.definitions import REMOVED_API
from amldebug.analysis.entry_script.facts import ImportUse
from amldebug.analysis.entry_script.report import Report
from amldebug.diagnostics import Fix, TextEdit

_EXTERNALS_JOBLIB = "sklearn.externals.joblib"
_REMOVED_IN = Version("0.23")
# scikit-learn 0.23 needs Python 3.6; on older Pythons pip installs 0.22 or older.
_PYTHON_FOR_REMOVAL = Version("3.6")


# AML119
def check_removed_api(report: Report) -> None:
    facts = report.facts
    uses = [use for use in facts.imports if _imports_externals_joblib(use)]
    calls = []
    if "sklearn" in facts.aliases.values() or any(use.module == "sklearn" for use in facts.imports):
        calls = [
            call
            for call, _statement, _block, where in facts.calls
            if not where.main_guard
            and qualified_name(facts.aliases, call.func).startswith(_EXTERNALS_JOBLIB + ".")
        ]
    if not uses and not calls:
        return
    installed = _scikit_learn_without_externals(report)
    if installed is None:
        return
    message = (
        f"sklearn.externals.joblib was removed in scikit-learn 0.23 and the environment "
        f"installs {installed}: ImportError when the server imports the script, so the worker "
        "never boots (CrashLoopBackOff); import joblib itself"
    )
    for use in uses:
        where = report.first_line_range(use.statement)
        fix = _import_joblib(report, use.statement)
        fixes = (Fix("Import joblib itself", (fix,), preferred=True),) if fix else ()
        report.add(REMOVED_API, message, where, fixes)
    for call in calls:
        report.add(REMOVED_API, message, report.node_range(call.func))


def _imports_externals_joblib(use: ImportUse) -> bool:
    where = use.where
    if where.optional_import or where.main_guard or where.type_only:
        return False  # `try: from sklearn.externals import joblib / except: import joblib`
    statement = use.statement
    if isinstance(statement, ast.ImportFrom):
        module = statement.module or ""
        if module == "sklearn.externals":
            return any(alias.name == "joblib" for alias in statement.names)
        return module == _EXTERNALS_JOBLIB or module.startswith(_EXTERNALS_JOBLIB + ".")
    return use.alias is not None and (
        use.alias.name == _EXTERNALS_JOBLIB or use.alias.name.startswith(_EXTERNALS_JOBLIB + ".")
    )


def _import_joblib(report: Report, statement: ast.Import | ast.ImportFrom) -> TextEdit | None:
    """The statement rewritten to import joblib itself, when that is one clear edit."""
    if statement.lineno != statement.end_lineno:
        return None
    if isinstance(statement, ast.ImportFrom):
        if statement.module == "sklearn.externals":
            if len(statement.names) != 1:
                return None
            alias = statement.names[0]
            new = "import joblib" + (f" as {alias.asname}" if alias.asname else "")
        else:
            rest = (statement.module or "")[len(_EXTERNALS_JOBLIB) :]
            names = ", ".join(
                alias.name + (f" as {alias.asname}" if alias.asname else "")
                for alias in statement.names
            )
            new = f"from joblib{rest} import {names}"
    else:
        if len(statement.names) != 1 or statement.names[0].asname is None:
            return None  # `sklearn.externals.joblib.load(...)` calls would need rewriting too
        alias = statement.names[0]
        new = f"import joblib{alias.name[len(_EXTERNALS_JOBLIB) :]} as {alias.asname}"
    return TextEdit(report.node_range(statement), new)


def _scikit_learn_without_externals(report: Report) -> str | None:
    """How the conda file lets scikit-learn 0.23 or later install ("scikit-learn unpinned",
    "scikit-learn==1.3.2"); None when it pins an older one or says nothing certain."""
    conda_file = report.context.project.conda_file
    if conda_file is None:
        return None
    conda_text = report.context.read_text(conda_file)
    if conda_text is None:
        return None
    environment = _environment(conda_text)
    if environment is None:
        return None
    entries = environment.find("scikit-learn")
    if not entries:
        return None  # perhaps installed by another package: which version is unknown
    for python in environment.find("python"):
        if version_bounds(python).all_below(_PYTHON_FOR_REMOVAL):
            return None
    for entry in entries:
        try:
            spec = parse_spec(entry)
        except InvalidSpec:
            return None
        if spec.reference or len(spec.alternatives) > 1:
            return None
        if version_bounds(entry).all_below(_REMOVED_IN):
            return None
    shown = entries[-1].raw.strip()
    return f"'{shown}'" if entries[-1].spec.strip() else "scikit-learn unpinned (the newest)"


@lru_cache(maxsize=8)
def _environment(conda_text: str) -> CondaEnvironment | None:
    environment = parse_conda_environment(conda_text)
    if any(problem.kind != "pip-not-list" for problem in environment.problems):
        return None
    return environment
