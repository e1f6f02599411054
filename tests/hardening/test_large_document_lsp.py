"""A 10 MB document in the editor: no analysis per edit, one information diagnostic, hover and
other requests answered promptly, memory given back on close (issue 9, item 12); a BOM in a
document's text is no AML107 (item 11)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from lsprotocol import types

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lsp"))
from lsp_session import (
    client,
    codes,
    open_document,
    project,
    wait_for_publish,
)

__all__ = ["client", "project"]


HEAD = "def init():\n    pass\n\n\ndef run(data):\n    return data\n"
PADDING_LINES = 2_600_000  # "# x\n" each: 10.4 MB, the worst shape for anything done per line


def insert(client, uri: str, version: int, line: int, character: int, text: str) -> None:
    replace(client, uri, version, (line, character), (line, character), text)


def replace(client, uri: str, version: int, start, end, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=start[0], character=start[1]),
                        end=types.Position(line=end[0], character=end[1]),
                    ),
                    text=text,
                )
            ],
        )
    )


async def hover(client, uri: str):
    return await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=0, character=5),
        )
    )


def memory_megabytes(pid: int, field: str) -> float:
    """VmRSS (resident now) or VmHWM (peak) of the server process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} in /proc/{pid}/status")


@pytest.mark.asyncio
async def test_hover_is_answered_while_a_10_mb_document_is_typed_into(client, project: Path):
    """Each keystroke in a 10 MB document cost 1.5-2 s of the event loop (pygls split the text
    into 2.6 M lines to apply it), so a hover behind 30 keystrokes waited about a minute, and the
    server's peak memory grew by some 230 MB. Generous bounds: seconds, not a minute."""
    pid = client._server.pid  # pygls's client keeps the server process here
    rss_before = memory_megabytes(pid, "VmRSS")
    uri = open_document(client, project / "score.py", HEAD + "# x\n" * PADDING_LINES)
    first = await wait_for_publish(client, uri, timeout=30)
    assert [d.code for d in first.diagnostics] == ["AML001"]
    assert "that amldebug analyses; it was skipped" in first.diagnostics[0].message
    published = len(client.published)

    started = time.monotonic()
    for version in range(2, 32):
        insert(client, uri, version, 1_000_000 + version, 0, "#")
    assert await hover(client, uri) is None
    assert time.monotonic() - started < 20.0

    # Nothing is analysed or published per edit: the notice stays.
    assert [p for p in client.published[published:] if p.uri == uri] == []
    # A copy or two of a 10 MB text fits; millions of per-line objects do not.
    assert memory_megabytes(pid, "VmHWM") - rss_before < 150

    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    await wait_for_publish(client, uri, after=published, where=lambda p: not p.diagnostics)
    await hover(client, uri)
    assert memory_megabytes(pid, "VmRSS") - rss_before < 40


@pytest.mark.asyncio
async def test_edits_to_a_huge_document_land_where_they_were_typed(client, project: Path):
    """The cheap edit path keeps the text exact: once the document is small again, the analysis
    sees each edit (UTF-16 columns after an emoji, CRLF line ends) where the client put it."""
    text = HEAD.replace("\n", "\r\n") + 'S = "\U0001f60b"\r\n' + "# x\r\n" * PADDING_LINES
    uri = open_document(client, project / "score.py", text)
    await wait_for_publish(client, uri, timeout=30)
    published = len(client.published)
    insert(client, uri, 2, 6, 8, " + len(")  # S = "😋" + len(  : the paren at UTF-16 column 14
    insert(client, uri, 3, 1, 8, "  # ok")
    replace(client, uri, 4, (7, 0), (7 + PADDING_LINES, 0), "")
    analysed = await wait_for_publish(
        client, uri, after=published, where=lambda p: "AML001" not in codes(p), timeout=30
    )
    syntax = [d for d in analysed.diagnostics if d.code == "AML107"]
    assert len(syntax) == 1, codes(analysed)
    assert (syntax[0].range.start.line, syntax[0].range.start.character) == (6, 14)


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
