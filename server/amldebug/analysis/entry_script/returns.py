"""What run() returns: exception text (AML111) and values json.dumps rejects (AML114)."""

from __future__ import annotations

from amldebug.analysis.entry_script.ast_helpers import decorator_name
from amldebug.analysis.entry_script.definitions import EXCEPTION_RETURNED, NOT_JSON_SERIALISABLE
from amldebug.analysis.entry_script.report import Report
from amldebug.analysis.entry_script.return_values import leaked_exception
from amldebug.diagnostics import Fix, Range, TextEdit


# AML111, AML114
def check_returns(report: Report) -> None:
    facts = report.facts
    if facts.run is None:
        return
    for statement, where in facts.returns:
        if not where.except_names or statement.value is None:
            continue
        leaked = leaked_exception(facts, statement.value, where.except_names)
        if leaked:
            report.add(
                EXCEPTION_RETURNED,
                f"run() returns the text of exception {leaked} to the caller: useful while "
                "debugging, but in production it leaks internals and answers HTTP 200 for a "
                "failure; log and re-raise instead",
                report.node_range(statement),
            )
    decorators = {decorator_name(d) for d in facts.run.decorator_list}
    if "output_schema" in decorators:
        return  # inference-schema serialises numpy and pandas values itself
    for _statement, offending in facts.unsafe_at_return:
        described = report.segment(offending)
        if len(described) > 60:
            described = described[:57] + "..."
        end = report.node_range(offending).end
        report.add(
            NOT_JSON_SERIALISABLE,
            f"run() returns {described}, which is a numpy array (or similar), not JSON: the "
            "server's json.dumps raises TypeError and every request gets HTTP 500; append "
            ".tolist()",
            report.node_range(offending),
            (
                Fix(
                    "Append .tolist()",
                    (TextEdit(Range(end, end), ".tolist()"),),
                    preferred=True,
                ),
            ),
        )
