"""AML117: names the entry script reads that nothing defines (pyflakes' undefined-name check).

Per keystroke only the edited top-level statement is checked again: pyflakes runs on each
top-level statement alone, cached by the statement's text, and reports the names that statement
reads without binding them; the module's own names (assignments, imports, definitions, `global`
declarations anywhere) are then taken away. Running pyflakes on the whole file per keystroke
would cost more than parsing it.
"""

from __future__ import annotations

import ast
import builtins
import re

from pyflakes import checker as pyflakes_checker
from pyflakes import messages as pyflakes_messages

from amldebug.analysis.entry_script.ast_helpers import is_main_guard, lines_with, qualified_name
from amldebug.analysis.entry_script.definitions import UNDEFINED_NAME
from amldebug.analysis.entry_script.facts import ScriptFacts, main_only_functions
from amldebug.analysis.entry_script.model_files import is_loader
from amldebug.analysis.entry_script.report import Report
from amldebug.diagnostics import Range

# Texts that can define names pyflakes cannot see: then say nothing rather than guess.
_NAME_SOURCES = ("import *", "exec(", "globals()", "__builtins__", "setattr(sys.modules")
_GLOBAL_LINE = re.compile(r"^\s*global\s+([\w\s,]+)")
# Names Python provides everywhere (pyflakes' own list: builtins and module magic like __file__).
_BUILTINS = frozenset(dir(builtins)) | {
    "__file__",
    "__builtins__",
    "__annotations__",
    "WindowsError",
}
# (statement text, column, end column) -> (name, line relative to the statement, byte column)
_FREE_NAMES: dict[tuple[str, int, int], tuple[tuple[str, int, int], ...]] = {}
_FREE_NAMES_LIMIT = 4096


class _FreeNameChecker(pyflakes_checker.Checker):
    """pyflakes without its builtins: it binds ~160 of them in every checker it makes, which
    costs more than checking a small statement; they are taken away from the result instead."""

    @property
    def builtIns(self) -> frozenset[str]:
        return frozenset()

    @builtIns.setter
    def builtIns(self, value: object) -> None:
        pass


def check_undefined_names(report: Report) -> None:
    facts = report.facts
    text = report.text
    if facts.star_import or any(source in text for source in _NAME_SOURCES):
        return
    known = facts.module_names | _declared_global(text, facts)
    # init() assigning a name without `global` is AML106's finding, with its own fix.
    known |= {name for name in facts.init_stores if name not in facts.init_globals}
    main_only = main_only_functions(text)
    for statement in facts.tree.body:
        if isinstance(statement, ast.If) and is_main_guard(statement.test):
            continue
        first = _first_line(statement)
        if any(start <= first <= end for start, end in main_only):
            continue
        found = [
            (name, first + offset, column)
            for name, offset, column in _free_names(statement, first, facts.lines)
            if name not in known
        ]
        if found:
            _report(report, statement, _outside_annotations(statement, found))


def _report(report: Report, statement: ast.stmt, found: list[tuple[str, int, int]]) -> None:
    facts = report.facts
    consequence = "when this code runs"
    if statement is facts.init:
        consequence = "in init(), so the worker never boots (CrashLoopBackOff)"
    elif statement is facts.run:
        consequence = "on every request that reaches this line (HTTP 500)"
    elif not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        consequence = "when the server imports the script: the worker never boots"
    seen: set[str] = set()
    for name, line, column in found:
        if name in seen:
            continue
        seen.add(name)
        hint = _unassigned_load(facts) if statement is facts.run else ""
        start = report.char(line - 1, column)
        report.add(
            UNDEFINED_NAME,
            f"'{name}' is not defined: NameError {consequence}{hint}",
            Range.of(line - 1, start, line - 1, start + len(name)),
        )


def _unassigned_load(facts: ScriptFacts) -> str:
    """A hint when init() loads a model and drops the result: the usual reason run() reads a
    name nothing defines."""
    if facts.init is None:
        return ""
    for statement in facts.init.body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            name = qualified_name(facts.aliases, statement.value.func)
            if name and is_loader(name, name.rsplit(".", 1)[-1]):
                return (
                    f"; init() calls {name}() on line {statement.lineno} but never assigns "
                    "the result (assign it to a global)"
                )
    return ""


def _first_line(statement: ast.stmt) -> int:
    decorators = getattr(statement, "decorator_list", None)
    return decorators[0].lineno if decorators else statement.lineno


def _free_names(
    statement: ast.stmt, first: int, lines: list[str]
) -> tuple[tuple[str, int, int], ...]:
    """Names `statement` reads and does not bind, as pyflakes sees it alone, cached by its text."""
    last = statement.end_lineno or statement.lineno
    key = (
        "\n".join(lines[first - 1 : last]),
        statement.col_offset,
        statement.end_col_offset or 0,
    )
    cached = _FREE_NAMES.get(key)
    if cached is not None:
        return cached
    module = ast.Module(body=[statement], type_ignores=[])
    # pyflakes only adds bookkeeping attributes to the nodes; the shared tree stays as it was.
    result = _FreeNameChecker(module, filename="score.py")
    found = tuple(
        (message.message_args[0], message.lineno - first, message.col)
        for message in result.messages
        if isinstance(message, pyflakes_messages.UndefinedName)
        and message.message_args[0] not in _BUILTINS
    )
    if len(_FREE_NAMES) >= _FREE_NAMES_LIMIT:
        del _FREE_NAMES[next(iter(_FREE_NAMES))]
    _FREE_NAMES[key] = found
    return found


def _declared_global(text: str, facts: ScriptFacts) -> set[str]:
    """Names any function declares `global`: module globals once that function has run."""
    names = facts.init_globals | facts.run_globals
    lines = facts.lines
    for number in lines_with(text, ("global",)):
        match = _GLOBAL_LINE.match(lines[number - 1])
        if match:
            names |= {name.strip() for name in match.group(1).split(",") if name.strip()}
    return names


def _outside_annotations(
    statement: ast.stmt, found: list[tuple[str, int, int]]
) -> list[tuple[str, int, int]]:
    """Drop names inside annotations: with `from __future__ import annotations` or as strings
    they are never evaluated, and a doubt is not an error."""
    spans: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for node in ast.walk(statement):
        annotations: list[ast.expr | None] = []
        if isinstance(node, ast.arg):
            annotations.append(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            annotations.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            annotations.append(node.annotation)
        for annotation in annotations:
            if annotation is not None:
                spans.append(
                    (
                        (annotation.lineno, annotation.col_offset),
                        (annotation.end_lineno or 0, annotation.end_col_offset or 0),
                    )
                )
    if not spans:
        return found
    return [
        (name, line, column)
        for name, line, column in found
        if not any(start <= (line, column) < end for start, end in spans)
    ]
