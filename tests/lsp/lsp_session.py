"""End-to-end helpers (imported by the tests and conftest.py): the real `amldebug lsp` over
stdio, with VS Code's client capabilities."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client

SERVER_COMMAND = [sys.executable, "-m", "amldebug", "lsp"]

WORKING_SCORE = """\
import json
import os

model = None


def init():
    global model
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.json")) as handle:
        model = json.load(handle)


def run(raw_data):
    rows = json.loads(raw_data)["data"]
    return {"predictions": [sum(row) * model["scale"] for row in rows]}
"""

CONDA = """\
name: scoring
dependencies:
  - python=3.11
  - pip=24.0
  - pip:
      - azureml-inference-server-http==1.5.1
"""


def make_recording_client() -> LanguageClient:
    """pytest-lsp's client, also keeping every publishDiagnostics (pytest-lsp keeps the last)."""
    client = make_test_lsp_client()
    client.published = []  # type: ignore[attr-defined]
    features = client.protocol.fm.features
    keep_last = features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def record(params: types.PublishDiagnosticsParams) -> None:
        keep_last(params)
        client.published.append(params)  # type: ignore[attr-defined]

    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = record

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    client.registrations = []  # type: ignore[attr-defined]
    return client


CONFIG = ClientServerConfig(server_command=SERVER_COMMAND, client_factory=make_recording_client)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "score.py").write_text(WORKING_SCORE)
    (tmp_path / "conda.yml").write_text(CONDA)
    return tmp_path


async def start_session(client: LanguageClient, root: Path, options: dict | None = None) -> None:
    client.initialize_result = await client.initialize_session(  # type: ignore[attr-defined]
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=options or {},
        )
    )


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, project: Path):
    await start_session(lsp_client, project)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def client_ignoring_aml002(lsp_client: LanguageClient, project: Path):
    await start_session(lsp_client, project, {"trusted": True, "settings": {"ignore": ["AML002"]}})
    yield
    await lsp_client.shutdown_session()


def open_document(
    client: LanguageClient, path: Path, text: str, version: int = 1, language: str = "python"
) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language, version=version, text=text
            )
        )
    )
    return uri


def replace_text(
    client: LanguageClient, uri: str, old_text: str, new_text: str, version: int
) -> None:
    """An incremental didChange replacing the whole document, as VS Code sends for a paste."""
    lines = old_text.split("\n")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=0, character=0),
                        end=types.Position(line=len(lines) - 1, character=len(lines[-1])),
                    ),
                    text=new_text,
                )
            ],
        )
    )


async def wait_for_publish(
    client: LanguageClient,
    uri: str,
    *,
    after: int = 0,
    where: Callable[[types.PublishDiagnosticsParams], bool] = lambda params: True,
    timeout: float = 20.0,
) -> types.PublishDiagnosticsParams:
    """The first publishDiagnostics for `uri` (from index `after` of everything received) that
    satisfies `where`."""
    published: list[types.PublishDiagnosticsParams] = client.published  # type: ignore[attr-defined]
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        for params in published[after:]:
            if params.uri == uri and where(params):
                return params
        if asyncio.get_running_loop().time() > deadline:
            seen = [(p.uri, p.version, [d.code for d in p.diagnostics]) for p in published[after:]]
            raise AssertionError(f"no matching publishDiagnostics for {uri}; received {seen}")
        await asyncio.sleep(0.02)


def codes(params: types.PublishDiagnosticsParams) -> list[str]:
    return [str(diagnostic.code) for diagnostic in params.diagnostics]
