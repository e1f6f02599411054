"""Diagnostics as the user sees them in the editor: on open, change, close, with the version."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
from lsp_session import WORKING_SCORE, codes, open_document, replace_text, wait_for_publish
from lsprotocol import types
from pytest_lsp import LanguageClient

from amldebug.analysis.rule_catalogue import get_rule


async def send_raw(client: LanguageClient, message: dict) -> None:
    """Bytes on the wire, bypassing the client's typed serialisation (which refuses bad params)."""
    body = json.dumps(message).encode()
    result = client.protocol.writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)  # type: ignore[union-attr]
    if inspect.isawaitable(result):
        await result


NO_INIT_SCORE = """\
import json


def run(raw_data):
    return {"echo": json.loads(raw_data)}
"""


async def test_binary_entry_script_gets_one_diagnostic_with_the_open_version(
    client: LanguageClient, project: Path
):
    uri = open_document(client, project / "score.py", "def init():\x00\n", version=7)

    published = await wait_for_publish(client, uri)

    assert published.version == 7
    assert codes(published) == ["AML002"]
    diagnostic = published.diagnostics[0]
    assert diagnostic.source == "amldebug"
    assert diagnostic.severity == types.DiagnosticSeverity.Information
    assert "NUL" in diagnostic.message
    assert diagnostic.range.start == types.Position(line=0, character=0)


async def test_huge_file_gets_the_too_large_notice_instead_of_a_stall(
    client: LanguageClient, project: Path
):
    huge = "x = 1\n" * 400_000  # 2.4 million characters

    uri = open_document(client, project / "score.py", huge)

    published = await wait_for_publish(client, uri)
    assert codes(published) == ["AML001"]
    assert "2,400,000 characters" in published.diagnostics[0].message


async def test_edit_republishes_with_the_new_version_and_close_clears(
    client: LanguageClient, project: Path
):
    broken = "import json\x00\n"
    uri = open_document(client, project / "score.py", broken, version=1)
    assert codes(await wait_for_publish(client, uri)) == ["AML002"]

    after = len(client.published)
    replace_text(client, uri, broken, WORKING_SCORE, version=2)
    fixed = await wait_for_publish(client, uri, after=after)
    assert fixed.version == 2
    assert "AML002" not in codes(fixed)

    replace_text(client, uri, WORKING_SCORE, broken, version=3)
    broken_again = await wait_for_publish(client, uri, after=after, where=lambda p: p.version == 3)
    assert codes(broken_again) == ["AML002"]

    after = len(client.published)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    cleared = await wait_for_publish(client, uri, after=after)
    assert len(cleared.diagnostics) == 0


@pytest.mark.skipif(
    get_rule("AML101") is None, reason="AML101 (no top-level init) not in the catalogue yet"
)
async def test_entry_script_without_init_is_flagged_on_line_one(
    client: LanguageClient, project: Path
):
    uri = open_document(client, project / "score.py", NO_INIT_SCORE, version=3)

    published = await wait_for_publish(client, uri, where=lambda p: "AML101" in codes(p))

    aml101 = next(d for d in published.diagnostics if d.code == "AML101")
    assert published.version == 3
    assert aml101.range.start.line == 0
    assert aml101.severity == types.DiagnosticSeverity.Error
    assert "init" in aml101.message


async def test_server_survives_requests_about_documents_it_never_saw(
    client: LanguageClient, project: Path
):
    ghost = (project / "ghost.py").as_uri()
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=ghost),
            position=types.Position(line=99, character=5),
        )
    )
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=ghost),
            range=types.Range(
                start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
            ),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert hover is None
    assert not actions

    # Still answering afterwards.
    uri = open_document(client, project / "score.py", "\x00")
    assert codes(await wait_for_publish(client, uri)) == ["AML002"]


async def test_server_survives_malformed_and_out_of_order_messages(
    client: LanguageClient, project: Path
):
    ghost = (project / "never-opened.py").as_uri()
    # A change to a document that was never opened, a message whose params do not match the
    # protocol, and a range far outside the document.
    await send_raw(
        client,
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didChange",
            "params": {
                "textDocument": {"uri": ghost, "version": 2},
                "contentChanges": [{"text": "x"}],
            },
        },
    )
    await send_raw(
        client, {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"x": 42}}
    )
    await send_raw(client, {"jsonrpc": "2.0", "method": "textDocument/didClose", "params": None})
    uri = open_document(client, project / "score.py", WORKING_SCORE)
    await wait_for_publish(client, uri)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(
                start=types.Position(line=10_000, character=3),
                end=types.Position(line=20_000, character=0),
            ),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert not actions

    # Still analysing afterwards.
    after = len(client.published)
    replace_text(client, uri, WORKING_SCORE, "\x00", version=2)
    assert codes(await wait_for_publish(client, uri, after=after)) == ["AML002"]
    # Problems go to the log, never as pop-ups in the user's face.
    assert client.messages == []
    assert any(m.type == types.MessageType.Error for m in client.log_messages)


@pytest.mark.parametrize(
    ("name", "text", "code", "line"),
    [
        ("Dockerfile.steps", "RUN apt-get update\nFROM ubuntu:22.04\n", "AML301", 1),
        (
            "deployment.yml",
            "name: blue\nscale_settings:\n  type: target_utilization\n"
            "  min_instances: 5\n  max_instances: 2\n",
            "AML401",
            None,
        ),
    ],
)
async def test_steps_files_and_deployment_yaml_get_diagnostics(
    client: LanguageClient, project: Path, name: str, text: str, code: str, line: int | None
):
    uri = open_document(client, project / name, text, language="plaintext")

    published = await wait_for_publish(client, uri, where=lambda p: code in codes(p))

    found = next(d for d in published.diagnostics if d.code == code)
    assert found.source == "amldebug"
    if line is not None:
        assert found.range.start.line == line
