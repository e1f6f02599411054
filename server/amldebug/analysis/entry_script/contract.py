"""The contract with the inference server: init() and run() exist, take what the server passes,
and keep what init() loads (AML101-AML107)."""

from __future__ import annotations

import ast
import builtins

from amldebug.analysis.entry_script.ast_helpers import all_arguments, decorator_name
from amldebug.analysis.entry_script.definitions import (
    GLOBAL_MISSING,
    INIT_PARAMETERS,
    MISSING_INIT,
    MISSING_RUN,
    RAWHTTP_WITH_SCHEMA,
    RUN_SIGNATURE,
    SYNTAX_ERROR,
)
from amldebug.analysis.entry_script.fixes import INIT_STUB, RUN_STUB, append_block, global_edit
from amldebug.analysis.entry_script.report import Report
from amldebug.diagnostics import Fix, Range

BUILTIN_NAMES = frozenset(dir(builtins))


# AML107 (what the compiler refuses although ast.parse accepts it)
def check_compile_errors(report: Report) -> None:
    for message, node in report.facts.compile_errors:
        report.add(
            SYNTAX_ERROR,
            f"{message}: the inference server cannot import this script, so the worker "
            "never boots (CrashLoopBackOff)",
            report.node_range(node),
        )


# AML101-AML105
def check_contract(report: Report) -> None:
    facts = report.facts
    if "init" not in facts.module_names and not facts.star_import:
        report.add(
            MISSING_INIT,
            f"{report.script_name()} has no top-level init(): the inference server refuses the "
            "script and the worker never boots (CrashLoopBackOff)",
            Range.of(0, 0, 0, len(report.lines[0]) if report.lines else 0),
            (Fix("Add a stub init()", (append_block(report, INIT_STUB),), preferred=True),),
        )
    if "run" not in facts.module_names and not facts.star_import:
        report.add(
            MISSING_RUN,
            f"{report.script_name()} has no top-level run(): the inference server refuses the "
            "script and no request can be scored (CrashLoopBackOff)",
            Range.of(0, 0, 0, len(report.lines[0]) if report.lines else 0),
            (Fix("Add a stub run(raw_data)", (append_block(report, RUN_STUB),), preferred=True),),
        )
    if facts.run is not None:
        check_run_signature(report, facts.run)
    if facts.init is not None:
        check_init_signature(report, facts.init)


def check_run_signature(report: Report, run: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
    arguments = run.args
    rejected = [f"{a.arg} (positional-only)" for a in arguments.posonlyargs]
    if arguments.vararg is not None:
        rejected.append(f"*{arguments.vararg.arg}")
    if arguments.kwarg is not None:
        rejected.append(f"**{arguments.kwarg.arg}")
    if rejected:
        report.add(
            RUN_SIGNATURE,
            f"run() declares {', '.join(rejected)}: the inference server rejects run() with "
            "positional-only parameters, *args or **kwargs and the worker never boots",
            report.def_range(run),
        )
        return
    inputs = [a.arg for a in arguments.args + arguments.kwonlyargs if a.arg != "request_headers"]
    if not inputs:
        has_headers = any(a.arg == "request_headers" for a in arguments.args + arguments.kwonlyargs)
        detail = (
            'an argument other than "request_headers"'
            if has_headers
            else "an argument for the input data"
        )
        report.add(
            RUN_SIGNATURE,
            f"run() takes no input parameter: the inference server needs {detail} (e.g. "
            "run(raw_data)) and the worker never boots",
            report.def_range(run),
        )
    decorators = {decorator_name(d) for d in run.decorator_list}
    if "rawhttp" in decorators and "input_schema" in decorators:
        report.add(
            RAWHTTP_WITH_SCHEMA,
            "run() is decorated with both @rawhttp and @input_schema: the inference server "
            "refuses to start; keep one of them",
            report.def_range(run),
        )


def check_init_signature(report: Report, init: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
    arguments = init.args
    positional = arguments.posonlyargs + arguments.args
    required = [a.arg for a in positional[: len(positional) - len(arguments.defaults)]]
    required += [
        a.arg
        for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=False)
        if d is None
    ]
    if required:
        names = ", ".join(f"'{name}'" for name in required)
        report.add(
            INIT_PARAMETERS,
            f"init() requires {names} but the inference server calls init() with no "
            "arguments: TypeError at start-up and the worker never boots",
            report.def_range(init),
        )


# AML106
def check_globals(report: Report) -> None:
    facts = report.facts
    if facts.init is None or facts.run is None:
        return
    init_parameters = {a.arg for a in all_arguments(facts.init.args)}
    for name, read in sorted(
        facts.run_first_reads.items(), key=lambda item: (item[1].lineno, item[1].col_offset)
    ):
        if name not in facts.init_stores or name in facts.init_globals or name in init_parameters:
            continue
        if name in facts.run_locals and name not in facts.run_globals:
            continue
        if name in facts.module_names:
            if not facts.module_none.get(name, False):
                continue
            consequence = (
                f"run() sees the module-level '{name} = None' instead, so the first request "
                "fails (e.g. 'NoneType' object has no attribute ...)"
            )
        elif facts.star_import or name in BUILTIN_NAMES:
            continue
        else:
            consequence = "run() reads a global that was never set: NameError on the first request"
        report.add(
            GLOBAL_MISSING,
            f"'{name}' is assigned in init() without 'global', so it is local to init(); "
            f"{consequence}. Add 'global {name}' at the top of init()",
            report.node_range(read),
            (
                Fix(
                    f"Add 'global {name}' to init()",
                    (global_edit(report, facts.init, name),),
                    preferred=True,
                ),
            ),
        )
