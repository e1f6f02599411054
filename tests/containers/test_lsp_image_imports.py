"""AML120 in the editor: after `amldebug.build` over LSP, the entry script's published diagnostics
include the import the built image cannot resolve, on its line (real server, real engine)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client
from tests.support.docker_engine import BASE_IMAGE, engine_or_skip

pytestmark = [
    pytest.mark.docker,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:Unknown progress token"),
]

REPO = Path(__file__).resolve().parents[2]
WORKING = REPO / "examples" / "working-project"
WORKSPACE = Path(tempfile.mkdtemp(prefix="amldebug-lsp-imports-"))


def make_client() -> LanguageClient:
    client = make_test_lsp_client()

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        return None

    @client.feature("amldebug/log")
    def log(params: Any) -> None:
        return None

    @client.feature("amldebug/containerState")
    def container_state(params: Any) -> None:
        return None

    return client


CONFIG = ClientServerConfig(
    server_command=[sys.executable, "-m", "amldebug", "lsp"],
    client_factory=make_client,
    # The server's record of the probe goes to a cache of this test's own.
    server_env={**os.environ, "XDG_CACHE_HOME": str(WORKSPACE / "cache")},
)


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient):
    project = WORKSPACE / "project"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(WORKING, project, ignore=shutil.ignore_patterns(".vscode", "__pycache__"))
    script = project / "score.py"
    script.write_text("import lightgbm\n" + script.read_text())
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=project.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=project.as_uri(), name="project")],
            initialization_options={"trusted": True},
        )
    )
    yield lsp_client
    await lsp_client.shutdown_session()
    shutil.rmtree(WORKSPACE, ignore_errors=True)


async def test_build_over_lsp_publishes_aml120_on_the_import_line(client: LanguageClient) -> None:
    engine = engine_or_skip()
    project = WORKSPACE / "project"
    script = project / "score.py"
    uri = script.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=script.read_text()
            )
        )
    )
    tag = f"amldebug-test-lsp-imports:{uuid.uuid4().hex[:8]}"
    options: dict[str, Any] = {
        "folder": str(project),
        "baseImage": BASE_IMAGE,
        "tag": tag,
        "caBundle": "auto",
    }
    try:
        result = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="amldebug.build", arguments=[options])
        )
    finally:
        if engine.image_exists(tag):
            engine.remove_image(tag)
        engine.close()
    assert result["ok"] is True
    published: list[types.Diagnostic] = []
    for _ in range(100):
        published = [d for d in client.diagnostics.get(uri, []) if d.code == "AML120"]
        if published:
            break
        await asyncio.sleep(0.1)
    assert [(d.range.start.line, d.range.start.character, d.severity) for d in published] == [
        (0, 7, types.DiagnosticSeverity.Error)
    ]
    assert "lightgbm" in published[0].message
