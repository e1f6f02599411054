"""`amldebug.explain` and `amldebug.replicas`: the troubleshooting knowledge over LSP.

They answer the objects of `amldebug explain --format json` / `amldebug replicas --format json`
(contract/troubleshooting.py). Like every command they run in a worker thread, so a long log is
explained while the editor's other requests are answered; `$/cancelRequest` stops it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from amldebug.lsp.contract.troubleshooting import (
    ExplainParams,
    ExplainResult,
    Finding,
    ReplicasParams,
    ReplicasResult,
)
from amldebug.lsp.contract.wire import decode
from amldebug.lsp.progress import current_command
from amldebug.progress import Cancelled
from amldebug.project import discover_project
from amldebug.troubleshooting.capacity import capacity_answer
from amldebug.troubleshooting.catalogue import ExplainCancelled, explain_log

# Text larger than this is explained from its end (the editor may send a whole log file).
MAX_EXPLAIN_CHARS = 8_000_000


def explain_log_text(
    params: ExplainParams,
    workspace_roots: list[Path] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ExplainResult:
    """The known failures in `params.text`, traceback paths mapped to `params.folder` (else the
    first workspace folder)."""
    project = None
    if params.folder and Path(params.folder).is_dir():
        project = discover_project(Path(params.folder))
    elif workspace_roots:
        project = discover_project(workspace_roots[0])
    try:
        findings = explain_log(params.text[-MAX_EXPLAIN_CHARS:], project, cancel)
    except ExplainCancelled:
        raise Cancelled() from None
    return ExplainResult(findings=[decode(Finding, f.to_json(), strict=True) for f in findings])


def explain_command(ls: Any, params: ExplainParams) -> ExplainResult:
    roots = ls.workspace_roots() if hasattr(ls, "workspace_roots") else None
    request = current_command()

    def cancelled() -> bool:
        return request is not None and request.cancel_token.cancelled

    return explain_log_text(params, roots, cancelled)


def replicas_command(ls: Any, params: ReplicasParams) -> ReplicasResult:
    """Raises `UsageError` on bad input; the dispatch answers `{"ok": false, "error", "hint"}`."""

    def text(value: float | str | None) -> str | None:
        return None if value is None else str(value)

    result = capacity_answer(
        target_rps=text(params.target_rps),
        request_time=text(params.request_time),
        max_concurrent=text(params.max_concurrent),
        target_utilization=text(params.target_utilization),
        replicas=text(params.replicas),
    )
    data = dict(result["json"])  # type: ignore[call-overload]
    data["text"] = result["text"]
    return decode(ReplicasResult, data, strict=True)
