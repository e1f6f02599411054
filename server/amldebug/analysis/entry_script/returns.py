"""What run() returns: exception text (AML111), values json.dumps rejects (AML114) and
`(body, status)` tuples (AML118)."""

from __future__ import annotations

import ast

from amldebug.analysis.entry_script.ast_helpers import decorator_name, dotted_name
from amldebug.analysis.entry_script.definitions import (
    EXCEPTION_RETURNED,
    NOT_JSON_SERIALISABLE,
    STATUS_TUPLE,
)
from amldebug.analysis.entry_script.report import Report
from amldebug.diagnostics import Fix, Range, TextEdit


# AML111, AML114, AML118
def check_returns(report: Report) -> None:
    facts = report.facts
    if facts.run is None:
        return
    for statement, leaked in facts.exception_returns:
        consequence = "in production it leaks internals and answers HTTP 200 for a failure"
        if _is_aml_response(statement.value):
            consequence = "in production it leaks internals (paths, versions, data) to callers"
        report.add(
            EXCEPTION_RETURNED,
            f"run() returns the text of exception {leaked} to the caller: useful while "
            f"debugging, but {consequence}; log and re-raise instead",
            report.node_range(statement),
        )
    for statement, _where in facts.returns:
        status = _status_of_tuple(statement.value)
        if status is not None:
            report.add(
                STATUS_TUPLE,
                f"run() returns a (body, {status}) tuple: the inference server does not read a "
                f"status from it and answers HTTP 200 with the tuple as a JSON list; return "
                f"AMLResponse(body, {status}) instead",
                report.node_range(statement),
            )
    decorators = {decorator_name(d) for d in facts.run.decorator_list}
    if "output_schema" in decorators:
        return  # inference-schema serialises numpy and pandas values itself
    reported: set[int] = set()
    for statement, offending in facts.unsafe_at_return:
        if id(offending) in reported:
            continue
        reported.add(id(offending))
        described = report.segment(offending)
        if len(described) > 60:
            described = described[:57] + "..."
        where = report.node_range(offending)
        inside = not _within(offending, statement)
        lead = (
            f"run() returns a value holding {described} (line {where.start.line + 1})"
            if inside
            else f"run() returns {described}"
        )
        report.add(
            NOT_JSON_SERIALISABLE,
            f"{lead}, which is a numpy array or scalar (or similar), not JSON: the server's "
            "json.dumps raises TypeError and every request gets HTTP 500; append .tolist()",
            where,
            (
                Fix(
                    "Append .tolist()",
                    (TextEdit(Range(where.end, where.end), ".tolist()"),),
                    preferred=True,
                ),
            ),
        )


def _within(node: ast.AST, statement: ast.stmt) -> bool:
    start = (node.lineno, node.col_offset)  # type: ignore[attr-defined]
    return (statement.lineno, statement.col_offset) <= start and (
        node.end_lineno,  # type: ignore[attr-defined]
        node.end_col_offset,  # type: ignore[attr-defined]
    ) <= (statement.end_lineno, statement.end_col_offset)


def _is_aml_response(value: ast.expr | None) -> bool:
    if not isinstance(value, ast.Call):
        return False
    name = dotted_name(value.func) or ""
    return name.rsplit(".", 1)[-1] == "AMLResponse"


def _status_of_tuple(value: ast.expr | None) -> str | None:
    """The HTTP status of `return body, 400` (an int literal 100-599 or `HTTPStatus.X`)."""
    if not isinstance(value, ast.Tuple) or len(value.elts) not in (2, 3):
        return None
    status = value.elts[1]
    if isinstance(status, ast.Constant) and type(status.value) is int:
        return str(status.value) if 100 <= status.value <= 599 else None
    name = dotted_name(status) or ""
    if name.startswith(("HTTPStatus.", "http.HTTPStatus.")):
        return name.rsplit(".", 1)[-1]
    return None
