"""Quick-fix and refactor builders shared by the entry-script checks: stubs, `global`, and the
debug-only try/except around run()."""

from __future__ import annotations

import ast
import io
import tokenize
from typing import TYPE_CHECKING

from amldebug.analysis.entry_script.ast_helpers import string_value
from amldebug.diagnostics import Fix, Position, Range, TextEdit

if TYPE_CHECKING:
    from amldebug.analysis.entry_script.facts import ScriptFacts
    from amldebug.analysis.entry_script.report import Report


INIT_STUB = '''def init():
    """Called once per worker before the first request: load the model into a global here."""
'''
RUN_STUB = '''def run(raw_data):
    """Called per request with the request body; return something JSON-serialisable."""
    raise NotImplementedError("run() is a stub: parse raw_data, call the model, return the result")
'''


def append_block(report: Report, block: str) -> TextEdit:
    """Insert `block` at the end of the file, two blank lines after the last code. Only an
    insertion, so that the init() and run() stubs can be applied together."""
    end = Position(len(report.lines) - 1, len(report.lines[-1]))
    stripped = report.text.rstrip()
    if not stripped:
        return TextEdit(Range(end, end), block)
    newlines = report.text[len(stripped) :].count("\n")
    return TextEdit(Range(end, end), "\n" * max(3 - newlines, 0) + block)


def global_edit(
    report: Report, init: ast.FunctionDef | ast.AsyncFunctionDef, name: str
) -> TextEdit:
    body = init.body
    first = body[0]
    has_docstring = isinstance(first, ast.Expr) and string_value(first.value) is not None
    if first.lineno == init.lineno:
        # `def init(): model = load()` on one line.
        line = first.lineno - 1
        column = report.char(line, first.col_offset)
        return TextEdit(Range.of(line, column), f"global {name}; ")
    indent = report.lines[first.lineno - 1][: report.char(first.lineno - 1, first.col_offset)]
    if has_docstring and len(body) > 1:
        anchor_line = body[1].lineno - 1
    elif has_docstring:
        anchor_line = first.end_lineno or first.lineno
    else:
        anchor_line = first.lineno - 1
    if anchor_line >= len(report.lines):
        return TextEdit(Range.of(anchor_line, 0), f"\n{indent}global {name}")
    return TextEdit(Range.of(anchor_line, 0), f"{indent}global {name}\n")


def debug_try_except(
    facts: ScriptFacts, text: str, run: ast.FunctionDef | ast.AsyncFunctionDef
) -> Fix | None:
    body = run.body
    first = body[0]
    if isinstance(first, ast.Expr) and string_value(first.value) is not None:
        body = body[1:]
    if not body or (len(body) == 1 and isinstance(body[0], ast.Try)):
        return None
    if body[0].lineno == run.lineno:
        return None  # a one-line function
    if any(isinstance(node, (ast.Yield, ast.YieldFrom)) for node in ast.walk(run)):
        return None  # a generator cannot `return` a value from the handler
    lines = facts.lines
    start, end = body[0].lineno - 1, (body[-1].end_lineno or body[-1].lineno) - 1
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    unit = (
        indent[: len(indent) - len(lines[run.lineno - 1]) + len(lines[run.lineno - 1].lstrip())]
        or "    "
    )
    inside_strings = lines_inside_strings(text, start + 1, end + 1)
    moved = []
    for number in range(start, end + 1):
        line = lines[number]
        moved.append(line if (not line.strip() or number in inside_strings) else unit + line)
    new_text = (
        f"{indent}# Debug only: returns the error to the caller; remove before deploying to "
        "production.\n"
        f"{indent}try:\n" + "\n".join(moved) + "\n"
        f"{indent}except Exception as error:\n{indent}{unit}import traceback\n\n"
        f'{indent}{unit}return {{"error": repr(error), "traceback": traceback.format_exc()}}'
    )
    edit = TextEdit(Range.of(start, 0, end, len(lines[end])), new_text)
    return Fix(
        "Wrap run() in a try/except that returns the error (debug only)", (edit,), kind="refactor"
    )


def lines_inside_strings(text: str, first: int, last: int) -> set[int]:
    """0-based lines in [first, last] (1-based) that continue a multi-line string (which must not
    be re-indented)."""
    inside: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.start[0] > last:
                break
            if token.type == tokenize.STRING and token.end[0] > token.start[0]:
                for number in range(token.start[0] + 1, token.end[0] + 1):
                    if first <= number <= last:
                        inside.add(number - 1)
    except (tokenize.TokenError, SyntaxError):
        pass
    return inside
