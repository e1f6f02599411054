"""The facts walker: what the entry script contains, found in one cheap walk and cached by text.

The language server runs this on every keystroke, so the text is parsed once (`ast.parse`, cached
by text) and walked cheaply:

1. one pass over the *statements* of the whole file (a few thousand nodes at most) collects
   imports, module-level names, `init()`/`run()` and where each statement sits (module level,
   `init`, `run`, another function; under `if __name__ == "__main__"`, an optional import, ...);
2. the *expressions* are walked only for statements that can matter: module level, class bodies,
   `init()`, `run()`, and statements of other functions on lines that mention a keyword some rule
   looks for (found with one regular-expression scan of the text).

The facts depend on the text only; the checks add the project context.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from amldebug.analysis.entry_script.ast_helpers import (
    all_arguments,
    any_between,
    catches,
    catches_import_error,
    is_main_guard,
    is_type_checking,
    lines_with,
    names_bound,
    own_expressions,
    statement_bindings,
    touches,
)
from amldebug.analysis.entry_script.parsing import ParseFailure, parse
from amldebug.analysis.entry_script.path_facts import (
    MODEL_SUFFIXES,
    directory_kind,
    note_path_division,
    note_path_join,
)
from amldebug.analysis.entry_script.return_values import follow_run_statement

# Words that make a line of a function other than init()/run() worth walking. Found with
# str.find (C speed) rather than one regular expression with many alternatives, which is slower.
INTERESTING_WORDS = (
    "debugpy",
    "ptvsd",
    "enable_attach",
    "wait_for_attach",
    "wait_for_client",
    "break_into_debugger",
    "listen",
    "connect",
    "get_model_path",
    "AZUREML_MODEL_DIR",
    "__file__",
    *(suffix + quote for suffix in MODEL_SUFFIXES for quote in "'\""),
)
# What `Model.get_model_path` raises when no registered model has the name.
MODEL_LOOKUP_ERRORS = frozenset({"ModelNotFoundException", "WebserviceException"})
# Errors the compiler raises but ast.parse accepts.
FUNCTION_ONLY_STATEMENTS: dict[type, str] = {
    ast.Return: "'return' outside function",
    ast.Nonlocal: "nonlocal declaration not allowed at module level",
}


class Where(NamedTuple):
    scope: str  # "module", "class", "init", "run" or "function"
    main_guard: bool = False  # under `if __name__ == "__main__":` (never run by the server)
    optional_import: bool = False  # in a `try:` whose handler catches ImportError
    type_only: bool = False  # under `if TYPE_CHECKING:`
    except_names: tuple[str, ...] = ()  # names bound by enclosing `except ... as e` (in run())
    hot: bool = False  # a function other than init()/run() with interesting lines in it
    # In a `try:` whose handler catches ModelNotFoundException: a model lookup with a fallback.
    model_lookup_guarded: bool = False


@dataclass
class ImportUse:
    statement: ast.Import | ast.ImportFrom
    where: Where
    module: str  # the dotted module looked up ("sklearn.linear_model", "azureml.core.Model")
    alias: ast.alias | None  # for `import x`: the alias node, for positions


@dataclass
class ScriptFacts:
    """What the walks found, independent of the project (so it is cached by text)."""

    tree: ast.Module
    lines: list[str]
    module_names: set[str] = field(default_factory=set)
    # Names whose every module-level assignment is `= None`.
    module_none: dict[str, bool] = field(default_factory=dict)
    star_import: bool = False
    init: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    run: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    init_stores: dict[str, ast.AST] = field(default_factory=dict)
    init_globals: set[str] = field(default_factory=set)
    run_locals: set[str] = field(default_factory=set)
    run_globals: set[str] = field(default_factory=set)
    run_first_reads: dict[str, ast.Name] = field(default_factory=dict)
    imports: list[ImportUse] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # local name -> dotted origin
    # (module-relative call node, enclosing statement, its block, where)
    calls: list[tuple[ast.Call, ast.stmt, list[ast.stmt], Where]] = field(default_factory=list)
    returns: list[tuple[ast.Return, Where]] = field(default_factory=list)
    # Returns of run() with the part json.dumps rejects (AML114) or the exception text they
    # carry (AML111), followed through run()'s variables in source order.
    unsafe_at_return: list[tuple[ast.Return, ast.expr]] = field(default_factory=list)
    exception_returns: list[tuple[ast.Return, str]] = field(default_factory=list)
    # Errors the compiler raises but ast.parse accepts (`return` outside a function, ...): the
    # import of the script fails all the same.
    compile_errors: list[tuple[str, ast.AST]] = field(default_factory=list)
    # (kind, base node, literal components) for model-path joins
    path_joins: list[tuple[str, list[ast.Constant], Where]] = field(default_factory=list)
    # (first, last) 1-based lines of each module-level `if __name__ == "__main__":` block
    main_guard_lines: list[tuple[int, int]] = field(default_factory=list)


@lru_cache(maxsize=2)
def script_facts(text: str) -> ScriptFacts | ParseFailure:
    tree = parse(text)
    if isinstance(tree, ParseFailure):
        return tree
    facts = ScriptFacts(tree=tree, lines=text.split("\n"))
    hits = interesting_lines(text)
    to_scan = walk_statements(facts, hits, lines_with(text, ("import",)))
    scan_expressions(facts, to_scan, text)
    return facts


def walk_statements(
    facts: ScriptFacts, hits: list[int], import_lines: list[int]
) -> list[tuple[ast.stmt, list[ast.stmt], Where]]:
    """Pass 1: every statement once, in source order, except the bodies of functions (other than
    init() and run()) that neither mention an interesting word nor import anything: no rule
    looks inside those. Returns the statements whose expressions
    the rules need to see."""
    to_scan: list[tuple[ast.stmt, list[ast.stmt], Where]] = []
    module_where = Where("module")
    stack: list[tuple[ast.stmt, list[ast.stmt], Where]] = [
        (statement, facts.tree.body, module_where) for statement in reversed(facts.tree.body)
    ]

    def push(block: list[ast.stmt], where: Where) -> None:
        stack.extend([(child, block, where) for child in reversed(block)])

    while stack:
        statement, block, where = stack.pop()
        scope = where.scope
        if scope != "function" or (where.hot and touches(hits, statement)):
            to_scan.append((statement, block, where))

        kind = type(statement)
        if kind is ast.Import or kind is ast.ImportFrom:
            record_import(facts, statement, where)  # type: ignore[arg-type]
        if scope in ("module", "class") and kind in FUNCTION_ONLY_STATEMENTS:
            facts.compile_errors.append((FUNCTION_ONLY_STATEMENTS[kind], statement))
        if scope == "module":
            for name, value in statement_bindings(statement):
                facts.module_names.add(name)
                is_none = isinstance(value, ast.Constant) and value.value is None
                facts.module_none[name] = facts.module_none.get(name, True) and is_none
        elif scope == "init":
            if kind is ast.Global:
                facts.init_globals.update(statement.names)  # type: ignore[attr-defined]
            for name, _ in statement_bindings(statement):
                facts.init_stores.setdefault(name, statement)
        elif scope == "run":
            if kind is ast.Global:
                facts.run_globals.update(statement.names)  # type: ignore[attr-defined]
            elif kind is ast.Return:
                facts.returns.append((statement, where))  # type: ignore[arg-type]
            for name, _ in statement_bindings(statement):
                facts.run_locals.add(name)

        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            function: ast.FunctionDef = statement  # type: ignore[assignment]
            inner = "function"
            if scope == "module" and function.name in ("init", "run"):
                inner = function.name
                setattr(facts, function.name, function)
                if inner == "run":
                    # Parameters are local to run(), whatever init() assigns.
                    facts.run_locals.update(a.arg for a in all_arguments(function.args))
            hot = inner == "function" and any_between(hits, function.lineno, function.end_lineno)
            if (
                inner != "function"
                or hot
                or any_between(import_lines, function.lineno, function.end_lineno)
            ):
                push(function.body, Where(inner, where.main_guard, False, where.type_only, (), hot))
        elif kind is ast.ClassDef:
            inner = "class" if scope in ("module", "class") else "function"
            hot = inner == "function" and any_between(
                hits,
                statement.lineno,
                statement.end_lineno,
            )
            push(statement.body, where._replace(scope=inner, except_names=(), hot=hot))  # type: ignore[attr-defined]
        elif kind is ast.If:
            test = statement.test  # type: ignore[attr-defined]
            if scope == "module" and is_main_guard(test):
                facts.main_guard_lines.append((statement.lineno, statement.end_lineno or 0))
                push(statement.orelse, where)  # type: ignore[attr-defined]
                push(statement.body, where._replace(main_guard=True))  # type: ignore[attr-defined]
            elif is_type_checking(test):
                push(statement.orelse, where)  # type: ignore[attr-defined]
                push(statement.body, where._replace(type_only=True))  # type: ignore[attr-defined]
            else:
                push(statement.orelse, where)  # type: ignore[attr-defined]
                push(statement.body, where)  # type: ignore[attr-defined]
        elif kind is ast.Try or kind is getattr(ast, "TryStar", None):
            push(statement.finalbody, where)  # type: ignore[attr-defined]
            push(statement.orelse, where)  # type: ignore[attr-defined]
            for handler in reversed(statement.handlers):  # type: ignore[attr-defined]
                names = where.except_names + ((handler.name,) if handler.name else ())
                if scope == "run" and handler.name:
                    facts.run_locals.add(handler.name)
                push(handler.body, where._replace(except_names=names))
            handlers = statement.handlers  # type: ignore[attr-defined]
            optional = where.optional_import or catches_import_error(handlers)
            guarded = where.model_lookup_guarded or catches(handlers, MODEL_LOOKUP_ERRORS)
            push(
                statement.body,  # type: ignore[attr-defined]
                where._replace(optional_import=optional, model_lookup_guarded=guarded),
            )
        elif kind is ast.Match:
            for case in reversed(statement.cases):  # type: ignore[attr-defined]
                push(case.body, where)
        else:
            orelse = getattr(statement, "orelse", None)
            if orelse:
                push(orelse, where)
            body = getattr(statement, "body", None)
            if body:
                push(body, where)
    return to_scan


def record_import(facts: ScriptFacts, statement: ast.Import | ast.ImportFrom, where: Where) -> None:
    if isinstance(statement, ast.Import):
        for alias in statement.names:
            if alias.asname:
                facts.aliases[alias.asname] = alias.name
            facts.imports.append(ImportUse(statement, where, alias.name, alias))
        return
    if statement.level or not statement.module:
        return  # relative imports are the project's own modules
    if statement.names and statement.names[0].name == "*":
        facts.star_import = True
    for alias in statement.names:
        if alias.name != "*":
            facts.aliases[alias.asname or alias.name] = f"{statement.module}.{alias.name}"
    first = statement.names[0].name if statement.names else "*"
    module = statement.module if first == "*" else f"{statement.module}.{first}"
    facts.imports.append(ImportUse(statement, where, module, None))


def scan_expressions(
    facts: ScriptFacts, to_scan: list[tuple[ast.stmt, list[ast.stmt], Where]], text: str
) -> None:
    """Pass 2: the expressions of the statements that matter, in source order."""
    track_dirs = "AZUREML_MODEL_DIR" in text or "__file__" in text
    dir_names: dict[str, str] = {}  # variable -> "model" or "code"
    unsafe: dict[str, ast.expr | None] = {}  # run()'s variables holding arrays (AML114)
    leaks: dict[str, str] = {}  # run()'s variables holding exception text (AML111)
    inner_divisions: set[int] = set()  # `a / "b" / "c"`: the inner `a / "b"` is part of the outer
    run_scanned = facts.run is not None
    name_type, call_type, binop_type = ast.Name, ast.Call, ast.BinOp
    for statement, block, where in to_scan:
        in_run = where.scope == "run"
        if type(statement) is ast.Try:
            continue
        for child in own_expressions(statement):
            for node in ast.walk(child):
                kind = type(node)
                if kind is name_type:
                    if in_run and run_scanned and isinstance(node.ctx, ast.Load):  # type: ignore[attr-defined]
                        facts.run_first_reads.setdefault(node.id, node)  # type: ignore[attr-defined,arg-type]
                elif kind is call_type:
                    facts.calls.append((node, statement, block, where))  # type: ignore[arg-type]
                    if track_dirs:
                        note_path_join(facts, node, dir_names, where)  # type: ignore[arg-type]
                elif kind is binop_type and track_dirs and isinstance(node.op, ast.Div):  # type: ignore[attr-defined]
                    if id(node) not in inner_divisions:
                        note_path_division(facts, node, dir_names, where, inner_divisions)  # type: ignore[arg-type]
                elif kind is ast.NamedExpr:
                    if where.scope == "init":
                        facts.init_stores.setdefault(node.target.id, node)  # type: ignore[attr-defined]
                    elif in_run:
                        facts.run_locals.add(node.target.id)  # type: ignore[attr-defined]
                elif in_run and kind is ast.comprehension:
                    # Local to the comprehension: never the global init() forgot (AML106).
                    facts.run_locals.update(names_bound(node.target))  # type: ignore[attr-defined]
                elif in_run and kind is ast.Lambda:
                    facts.run_locals.update(a.arg for a in all_arguments(node.args))  # type: ignore[attr-defined]
                elif (kind is ast.Yield or kind is ast.YieldFrom) and where.scope in (
                    "module",
                    "class",
                ):
                    facts.compile_errors.append(("'yield' outside function", node))
        if (
            track_dirs
            and isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            target = statement.targets[0].id
            directory = directory_kind(facts, statement.value, dir_names)
            if directory:
                dir_names[target] = directory
            else:
                dir_names.pop(target, None)
        if in_run:
            follow_run_statement(facts, statement, block, where.except_names, unsafe, leaks)


def interesting_lines(text: str) -> list[int]:
    """1-based numbers of lines that mention something a rule looks for, ascending."""
    return lines_with(text, INTERESTING_WORDS)


@lru_cache(maxsize=2)
def main_only_functions(text: str) -> tuple[tuple[int, int], ...]:
    """(first, last) lines of the module-level functions that only `if __name__ == "__main__":`
    blocks use: every mention of the name outside the function itself sits in such a block.
    Mentions are found in the text (comments and strings count), so a doubt keeps the function."""
    facts = script_facts(text)
    if isinstance(facts, ParseFailure) or not facts.main_guard_lines:
        return ()
    found: list[tuple[int, int]] = []
    for statement in facts.tree.body:
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if statement.name in ("init", "run"):
            continue
        first = statement.decorator_list[0].lineno if statement.decorator_list else statement.lineno
        last = statement.end_lineno or statement.lineno
        in_main = False
        for match in re.finditer(rf"\b{re.escape(statement.name)}\b", text):
            line = text.count("\n", 0, match.start()) + 1
            if first <= line <= last:
                continue
            if not any(start <= line <= end for start, end in facts.main_guard_lines):
                break
            in_main = True
        else:
            if in_main:
                found.append((first, last))
    return tuple(found)
