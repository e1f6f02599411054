"""Code actions: each diagnostic's quick fixes, plus the entry script's refactors on a line."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from amldebug import diagnostics as engine
from amldebug.analysis import entry_script
from amldebug.analysis.context import AnalysisContext
from amldebug.lsp.convert import fix_to_code_action, from_lsp_position, ranges_overlap
from amldebug.lsp.document_checker import MAX_CHECKED_CHARS
from amldebug.project import FileKind

if TYPE_CHECKING:
    from amldebug.lsp.server import AmlDebugLanguageServer

logger = logging.getLogger("amldebug.lsp")


def code_actions(
    ls: AmlDebugLanguageServer, params: types.CodeActionParams
) -> list[types.CodeAction] | None:
    document = ls.open_document(params.text_document.uri)
    # Asked at every cursor move; a document too large to analyse has nothing to offer.
    if document is None or len(document.text) > MAX_CHECKED_CHARS:
        return None
    result = ls.checker.result_for(document.uri, document.version)
    overlay = {doc.path: doc.text for doc in ls.open_documents()}
    if result is None:
        # The published diagnostics are older than the text (analysis still queued): analyse now.
        result = ls.checker.analyse_now(document, overlay, ls.settings_for(document.path))

    only = [_kind_text(kind) for kind in params.context.only or []]

    def wanted(kind: Any) -> bool:
        text = _kind_text(kind)
        return not only or any(text == prefix or text.startswith(f"{prefix}.") for prefix in only)

    workspace = ls.client_capabilities.workspace
    document_changes = bool(
        workspace and workspace.workspace_edit and workspace.workspace_edit.document_changes
    )

    def versions_of(uri: str) -> int | None:
        other = ls.workspace.text_documents.get(uri)
        return other.version if other is not None else None

    def build(fix: engine.Fix, diagnostics: list[types.Diagnostic]) -> types.CodeAction | None:
        try:
            return fix_to_code_action(
                fix,
                document_uri=document.uri,
                document_version=document.version,
                lines_of=lambda uri: result.lines if uri == document.uri else ls._lines_of(uri),
                versions_of=versions_of,
                codec=ls.checker.codec,
                diagnostics=diagnostics,
                document_changes=document_changes,
            )
        except Exception:  # one odd fix must not hide the others
            logger.exception("could not offer the fix %r", fix.title)
            return None

    actions: list[types.CodeAction] = []
    for diagnostic, lsp_diagnostic in zip(result.diagnostics, result.lsp_diagnostics, strict=False):
        if not ranges_overlap(lsp_diagnostic.range, params.range):
            continue
        for fix in diagnostic.fixes:
            action = build(fix, [lsp_diagnostic])
            if action is not None and wanted(action.kind):
                actions.append(action)

    if result.kind is FileKind.ENTRY_SCRIPT:
        start = from_lsp_position(params.range.start, result.lines, ls.checker.codec)
        context = AnalysisContext(path=document.path, project=result.project, overlay=overlay)
        try:
            refactors = entry_script.refactors_at(document.text, start.line, context)
        except Exception:  # the quick fixes above are still worth returning
            logger.exception("refactors_at failed on %s:%d", document.path, start.line + 1)
            refactors = []
        for fix in refactors:
            action = build(fix, [])
            if action is not None and wanted(action.kind):
                actions.append(action)
    return actions


def _kind_text(kind: Any) -> str:
    # CodeActionKind is a str enum whose str() is its Python name; the protocol value is wanted.
    return str(getattr(kind, "value", kind))
