"""Debugger hooks left in the entry script and the deprecated ptvsd (AML108, AML109)."""

from __future__ import annotations

import ast

from amldebug.analysis.entry_script.ast_helpers import string_value
from amldebug.analysis.entry_script.definitions import DEBUGGER_HOOK, PTVSD_IMPORT
from amldebug.analysis.entry_script.report import Report
from amldebug.diagnostics import Fix, Position, Range, TextEdit

DEBUGGER_HOOKS = {
    "debugpy.listen",
    "debugpy.connect",
    "debugpy.wait_for_client",
    "debugpy.breakpoint",
    "ptvsd.enable_attach",
    "ptvsd.wait_for_attach",
    "ptvsd.break_into_debugger",
}
# ptvsd function -> its debugpy replacement.
PTVSD_RENAMES = {
    "enable_attach": "listen",
    "wait_for_attach": "wait_for_client",
    "break_into_debugger": "breakpoint",
    "is_attached": "is_client_connected",
}
PTVSD_DEFAULT_ADDRESS = '("0.0.0.0", 5678)'


def debugger_hook(
    report: Report, call: ast.Call, name: str, statement: ast.stmt, block: list[ast.stmt]
) -> None:
    short = name.rsplit(".", 1)[-1]
    module = name.split(".", 1)[0]
    address: ast.expr | None = None
    if short in ("listen", "connect", "enable_attach"):
        address = next((k.value for k in call.keywords if k.arg == "address"), None)
        if address is None and call.args:
            address = call.args[0]
            if short == "enable_attach" and string_value(address) is not None:
                # ptvsd 3: enable_attach(secret, address)
                address = call.args[1] if len(call.args) > 1 else None
    host, port = debug_address(address)
    if short == "enable_attach" and address is None:
        host, port = "0.0.0.0", 5678
    if short in ("listen", "enable_attach", "connect"):
        where = f"port {port}" if port else "the debug port"
        message = (
            f"{module}.{short}() left in the entry script: anyone who can reach {where} can "
            "run any code in the container; remove it before deploying"
        )
        if host == "0.0.0.0":
            bound = f"0.0.0.0:{port}" if port else "0.0.0.0"
            message += f" (it binds {bound}: every network interface of the container)"
    elif short in ("wait_for_client", "wait_for_attach"):
        message = (
            f"{module}.{short}() left in the entry script: the worker blocks until a debugger "
            "attaches, so the server never answers; remove it before deploying"
        )
    else:
        message = (
            f"{module}.{short}() left in the entry script: it stops the worker for a debugger; "
            "remove it before deploying"
        )
    report.add(
        DEBUGGER_HOOK, message, report.node_range(call), hook_fixes(report, call, statement, block)
    )


def hook_fixes(
    report: Report, call: ast.Call, statement: ast.stmt, block: list[ast.stmt]
) -> tuple[Fix, ...]:
    if not (isinstance(statement, ast.Expr) and statement.value is call):
        return ()
    first, last = statement.lineno - 1, (statement.end_lineno or statement.lineno) - 1
    whole = report.node_range(statement)
    before = report.lines[first][: whole.start.character]
    after = report.lines[last][whole.end.character :].strip()
    if before.strip() or (after and not after.startswith("#")):
        return ()  # shares its line with other code: no safe line edit
    indent = before
    alone = len(block) == 1
    end = (
        Position(last + 1, 0)
        if last + 1 < len(report.lines)
        else Position(last, len(report.lines[last]))
    )
    trailing_newline = last + 1 < len(report.lines)
    remove = TextEdit(
        Range(Position(first, 0), end),
        (f"{indent}pass" + ("\n" if trailing_newline else "")) if alone else "",
    )
    comment_edits = [
        TextEdit(Range.of(line, min(len(indent), len(report.lines[line]))), "# ")
        for line in range(first, last + 1)
    ]
    if alone:
        if trailing_newline:
            comment_edits.append(TextEdit(Range.of(last + 1, 0), f"{indent}pass\n"))
        else:
            comment_edits.append(
                TextEdit(Range.of(last, len(report.lines[last])), f"\n{indent}pass")
            )
    return (
        Fix("Remove the debugger hook", (remove,), preferred=True),
        Fix("Comment out the debugger hook", tuple(comment_edits)),
    )


def ptvsd(report: Report, ptvsd_calls: list[tuple[ast.Call, str]]) -> None:
    uses = [use for use in report.facts.imports if use.module.split(".", 1)[0] == "ptvsd"]
    if not uses:
        return
    edits: list[TextEdit] = []
    renamed_locals: dict[str, str] = {}  # `from ptvsd import enable_attach` -> `listen`
    seen: set[int] = set()
    for use in uses:
        statement = use.statement
        if id(statement) in seen:
            continue
        seen.add(id(statement))
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.name == "ptvsd" or alias.name.startswith("ptvsd."):
                    line = alias.lineno - 1
                    start = report.char(line, alias.col_offset)
                    edits.append(
                        TextEdit(Range.of(line, start, line, start + len("ptvsd")), "debugpy")
                    )
        elif statement.module == "ptvsd":
            names = []
            for alias in statement.names:
                new = PTVSD_RENAMES.get(alias.name, alias.name)
                if alias.asname:
                    names.append(f"{new} as {alias.asname}")
                else:
                    names.append(new)
                    renamed_locals[alias.name] = new
            edits.append(
                TextEdit(report.node_range(statement), f"from debugpy import {', '.join(names)}")
            )
    for call, name in ptvsd_calls:
        short = name.rsplit(".", 1)[-1]
        renamed = PTVSD_RENAMES.get(short)
        if renamed is None:
            continue
        if isinstance(call.func, ast.Attribute):
            owner = report.segment(call.func.value)
            if owner == "ptvsd" or owner.startswith("ptvsd."):
                owner = "debugpy" + owner[len("ptvsd") :]  # the import is renamed too
            callee = f"{owner}.{renamed}"
        elif isinstance(call.func, ast.Name):
            callee = renamed_locals.get(call.func.id, call.func.id)
        else:
            continue
        arguments = ""
        if short == "enable_attach":
            address = next((k.value for k in call.keywords if k.arg == "address"), None)
            if address is None and call.args:
                address = (
                    call.args[0]
                    if string_value(call.args[0]) is None
                    else (call.args[1] if len(call.args) > 1 else None)
                )
            arguments = report.segment(address) if address is not None else PTVSD_DEFAULT_ADDRESS
        edits.append(TextEdit(report.node_range(call), f"{callee}({arguments})"))
    fix = Fix("Replace ptvsd with debugpy (import and calls)", tuple(edits), preferred=True)
    for use in uses:
        statement = use.statement
        if use.alias is not None:
            where = report.node_range(use.alias)
        else:
            where = report.first_line_range(statement)
        if id(statement) not in seen:
            continue
        seen.discard(id(statement))
        report.add(
            PTVSD_IMPORT,
            "ptvsd is deprecated and unmaintained; use debugpy "
            "(ptvsd.enable_attach(address=...) -> debugpy.listen(address), wait_for_attach() "
            "-> wait_for_client())",
            where,
            (fix,),
        )


def debug_address(node: ast.expr | None) -> tuple[str | None, int | None]:
    if node is None:
        return None, None
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return "127.0.0.1", node.value
    if isinstance(node, ast.Tuple) and len(node.elts) == 2:
        host = string_value(node.elts[0])
        port_node = node.elts[1]
        port = (
            port_node.value
            if isinstance(port_node, ast.Constant) and isinstance(port_node.value, int)
            else None
        )
        return host, port
    return None, None
