"""Engine data (amldebug.diagnostics) to and from LSP types.

The engine counts columns in code points; LSP clients count in the negotiated position encoding
(UTF-16 for VS Code). Lines that are pure ASCII, nearly all of them in these files, are the same in
every encoding, so conversion only does work on the rare line that is not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path

from amldebug import diagnostics as engine
from amldebug.analysis.rule_catalogue import get_rule

SOURCE = "amldebug"
# docs/rules.md next to the package in a source checkout; installed copies have no docs folder.
_RULES_DOC = Path(__file__).resolve().parents[3] / "docs" / "rules.md"


class ColumnCodec:
    """Converts a column between code points (engine) and the client's units."""

    def __init__(self, encoding: str | None) -> None:
        self.encoding = str(encoding or types.PositionEncodingKind.Utf16)

    def _units(self, text: str) -> int:
        if self.encoding == types.PositionEncodingKind.Utf8:
            return len(text.encode("utf-8", errors="surrogatepass"))
        if self.encoding == types.PositionEncodingKind.Utf32:
            return len(text)
        return len(text.encode("utf-16-le", errors="surrogatepass")) // 2

    def to_client(self, line_text: str | None, character: int) -> int:
        if line_text is None or line_text.isascii():
            return character
        return self._units(line_text[:character])

    def from_client(self, line_text: str | None, units: int) -> int:
        if line_text is None or line_text.isascii():
            return units
        counted = 0
        for index, char in enumerate(line_text):
            if counted >= units:
                return index
            counted += self._units(char)
        return len(line_text)


def line_at(lines: Sequence[str], line: int) -> str | None:
    return lines[line] if 0 <= line < len(lines) else None


def to_lsp_position(
    position: engine.Position, lines: Sequence[str], codec: ColumnCodec
) -> types.Position:
    line, character = max(position.line, 0), max(position.character, 0)
    if lines and line >= len(lines):
        # Past the end (a YAML parser's end-of-stream mark): the end of the last line.
        line, character = len(lines) - 1, len(lines[-1])
    return types.Position(line=line, character=codec.to_client(line_at(lines, line), character))


def to_lsp_range(range_: engine.Range, lines: Sequence[str], codec: ColumnCodec) -> types.Range:
    start = to_lsp_position(range_.start, lines, codec)
    end = to_lsp_position(range_.end, lines, codec)
    if (end.line, end.character) < (start.line, start.character):
        end = start
    return types.Range(start=start, end=end)


def from_lsp_position(
    position: types.Position, lines: Sequence[str], codec: ColumnCodec
) -> engine.Position:
    return engine.Position(
        position.line, codec.from_client(line_at(lines, position.line), position.character)
    )


@cache
def rule_href(code: str) -> str | None:
    rule = get_rule(code)
    if rule is None or not _RULES_DOC.is_file():
        return None
    return f"{_RULES_DOC.as_uri()}#{rule.code.lower()}-{rule.name}"


def to_lsp_diagnostic(
    diagnostic: engine.Diagnostic, lines: Sequence[str], codec: ColumnCodec
) -> types.Diagnostic:
    href = rule_href(diagnostic.code)
    return types.Diagnostic(
        range=to_lsp_range(diagnostic.range, lines, codec),
        message=diagnostic.message,
        severity=types.DiagnosticSeverity(int(diagnostic.severity)),
        code=diagnostic.code,
        code_description=types.CodeDescription(href=href) if href else None,
        source=SOURCE,
    )


def fix_to_code_action(
    fix: engine.Fix,
    *,
    document_uri: str,
    document_version: int | None,
    lines_of: Callable[[str], Sequence[str]],
    versions_of: Callable[[str], int | None],
    codec: ColumnCodec,
    diagnostics: Iterable[types.Diagnostic] = (),
    document_changes: bool = True,
) -> types.CodeAction:
    """One CodeAction per Fix. Edits whose `path` is set go to that file's URI.

    `lines_of(uri)` gives a file's current lines (for column conversion), `versions_of(uri)` the
    open document's version (None for a file that is not open).
    """
    by_uri: dict[str, list[types.TextEdit]] = {}
    for edit in fix.edits:
        uri = (
            document_uri
            if edit.path is None
            else (from_fs_path(str(edit.path)) or edit.path.as_uri())
        )
        lines = lines_of(uri)
        by_uri.setdefault(uri, []).append(
            types.TextEdit(range=to_lsp_range(edit.range, lines, codec), new_text=edit.new_text)
        )

    workspace_edit: types.WorkspaceEdit
    if document_changes:
        workspace_edit = types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=uri,
                        version=document_version if uri == document_uri else versions_of(uri),
                    ),
                    edits=edits,
                )
                for uri, edits in by_uri.items()
            ]
        )
    else:
        workspace_edit = types.WorkspaceEdit(changes=by_uri)

    kind = (
        types.CodeActionKind.QuickFix
        if fix.kind == "quickfix"
        else types.CodeActionKind.RefactorRewrite
    )
    return types.CodeAction(
        title=fix.title,
        kind=kind,
        diagnostics=list(diagnostics) or None,
        is_preferred=fix.preferred or None,
        edit=workspace_edit,
    )


def ranges_overlap(a: types.Range, b: types.Range) -> bool:
    """True when the ranges share a point (touching counts: a cursor at a range's edge matches)."""
    a_start, a_end = (a.start.line, a.start.character), (a.end.line, a.end.character)
    b_start, b_end = (b.start.line, b.start.character), (b.end.line, b.end.character)
    return a_start <= b_end and b_start <= a_end
