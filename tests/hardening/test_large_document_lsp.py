"""A 10 MB document in the editor: no analysis per edit, one information diagnostic, hover and
other requests answered promptly (issue 9, item 12); a BOM in a document's text is no AML107
(item 11)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from lsprotocol import types

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lsp"))
from lsp_session import (
    client,
    open_document,
    project,
    wait_for_publish,
)

__all__ = ["client", "project"]


@pytest.mark.asyncio
async def test_a_10_mb_document_costs_nothing_per_edit(client, project: Path):
    path = project / "score.py"
    big = "def init():\n    pass\n\n\ndef run(data):\n    return data\n" + "# x\n" * 2_600_000
    uri = open_document(client, path, big)
    first = await wait_for_publish(client, uri, timeout=30)
    assert [d.code for d in first.diagnostics] == ["AML001"]
    assert "that amldebug analyses; it was skipped" in first.diagnostics[0].message
    started = time.monotonic()
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=0, character=5),
        )
    )
    assert hover is None
    assert time.monotonic() - started < 5.0  # analysing it took 13 s
    published = len(client.published)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=7, character=0),
                        end=types.Position(line=7, character=0),
                    ),
                    text="# edit\n",
                )
            ],
        )
    )
    # The edit is not analysed: nothing new is published (the notice stays).
    await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=0, character=5),
        )
    )
    assert [p for p in client.published[published:] if p.uri == uri] == []


@pytest.mark.asyncio
async def test_a_bom_in_the_document_text_is_no_syntax_error(client, project: Path):
    uri = open_document(
        client,
        project / "score.py",
        "\ufeffdef init():\n    pass\n\n\ndef run(data):\n    return data\n",
    )
    published = await wait_for_publish(client, uri, timeout=30)
    assert "AML107" not in [d.code for d in published.diagnostics]


@pytest.mark.asyncio
@pytest.mark.parametrize("port", ["abc", [1], {"x": 1}, True])
async def test_options_of_the_wrong_type_are_a_clear_error(client, port):
    """Issue 9, item 10: a -32603 with a Python traceback became {"ok": false, "error"}."""
    answer = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="amldebug.invoke", arguments=[{"port": port, "data": "{}"}]
        )
    )
    assert answer["ok"] is False
    assert answer["error"].startswith("`port` must be a number")


@pytest.mark.asyncio
async def test_a_client_cannot_claim_trust_in_a_command(client, project: Path):
    """Issue 9, item 13: the server knows trust itself; `"trusted": true` in options is ignored."""
    for command, options in (
        ("amldebug.status", {"trusted": True}),
        ("amldebug.launchConfig", {"trusted": True, "folder": str(project), "write": True}),
    ):
        answer = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command, arguments=[options])
        )
        assert answer["ok"] is False and "not trusted" in answer["error"], command
    assert not (project / ".vscode" / "launch.json").exists()
