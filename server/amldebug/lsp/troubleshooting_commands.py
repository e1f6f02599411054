"""`amldebug.explain` and `amldebug.replicas`: the troubleshooting knowledge over LSP.

Both take one options object (docs/lsp-protocol.md) and return the same JSON as
`amldebug explain --format json` / `amldebug replicas --format json`, with `ok`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from amldebug.lsp.progress import current_command
from amldebug.project import discover_project
from amldebug.troubleshooting.capacity import capacity_answer
from amldebug.troubleshooting.catalogue import ExplainCancelled, explain_log

# Text larger than this is explained from its end (the editor may send a whole log file).
MAX_EXPLAIN_CHARS = 8_000_000


def explain_command(
    options: dict[str, Any] | None,
    workspace_roots: list[Path] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """`{"text": ..., "folder"?: ...}` -> `{"ok": true, "findings": [...]}`."""
    options = options or {}
    text = options.get("text")
    if not isinstance(text, str):
        return {
            "ok": False,
            "error": "amldebug.explain needs the log as `text` (a string).",
            "hint": None,
        }
    folder = options.get("folder")
    project = None
    if isinstance(folder, str) and folder and Path(folder).is_dir():
        project = discover_project(Path(folder))
    elif workspace_roots:
        project = discover_project(workspace_roots[0])
    findings = explain_log(text[-MAX_EXPLAIN_CHARS:], project, cancel)
    return {"ok": True, "findings": [finding.to_json() for finding in findings]}


def replicas_command(options: dict[str, Any] | None) -> dict[str, Any]:
    """Options `targetRps`, `requestTime`, `maxConcurrent`, `targetUtilization`, `replicas`.

    Raises `UsageError` on bad input; the server turns it into `{"ok": false, "error", "hint"}`.
    """
    options = options or {}

    def option(name: str) -> Any:
        value = options.get(name)
        return None if value is None else str(value)

    result = capacity_answer(
        target_rps=option("targetRps"),
        request_time=option("requestTime"),
        max_concurrent=option("maxConcurrent"),
        target_utilization=option("targetUtilization"),
        replicas=option("replicas"),
    )
    data = dict(result["json"])  # type: ignore[call-overload]
    data["text"] = result["text"]
    return {"ok": True, **data}


def register(server: Any) -> None:
    @server.command("amldebug.explain")
    async def explain(ls: Any, options: dict[str, Any] | None = None) -> dict[str, Any]:
        # A long log takes seconds: explain it on a worker thread so every other request is
        # answered meanwhile; `$/cancelRequest` sets the request's token, which the worker checks.
        roots = ls.workspace_roots() if hasattr(ls, "workspace_roots") else None
        request = current_command()

        def cancelled() -> bool:
            return request is not None and request.cancel_token.cancelled

        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, explain_command, options, roots, cancelled)
        except ExplainCancelled:
            return {"ok": False, "cancelled": True, "error": "Cancelled."}

    @server.command("amldebug.replicas")
    def replicas(ls: Any, options: dict[str, Any] | None = None) -> dict[str, Any]:
        return replicas_command(options)
