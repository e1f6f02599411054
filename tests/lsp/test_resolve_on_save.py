"""The editor's `check --resolve`: saving a deployed conda file resolves its pip section in the
background and shows AML213 on the culprit line (uv replaced by recorded output)."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

import pytest
import pytest_lsp
from lsp_session import (
    SERVER_COMMAND,
    codes,
    make_recording_client,
    open_document,
    start_session,
    wait_for_publish,
)
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from amldebug.analysis.environment_resolution import UvRun
from amldebug.analysis.uv_resolver import _REMEMBERED, ResolutionCache
from amldebug.lsp.resolve_on_save import BackgroundResolver
from amldebug.project import discover_project

FAKE_UV_SCRIPT = Path(__file__).with_name("fake_uv.py")
_FOLDER = Path(tempfile.mkdtemp(prefix="amldebug-resolve-test-"))
FAKE_UV = _FOLDER / "uv"
FAKE_UV.write_text(f"#!/bin/sh\nexec {sys.executable} {FAKE_UV_SCRIPT}\n")
FAKE_UV.chmod(FAKE_UV.stat().st_mode | stat.S_IXUSR)

CONFIG = ClientServerConfig(
    server_command=SERVER_COMMAND,
    client_factory=make_recording_client,
    server_env={
        **os.environ,
        "AMLDEBUG_UV": str(FAKE_UV),
        "AMLDEBUG_RESOLVE": "1",
        "XDG_CACHE_HOME": str(_FOLDER / "cache"),
    },
)
TOO_NEW = """\
name: scoring
dependencies:
  - python=3.8
  - pip
  - pip:
      - azureml-inference-server-http==1.5.1
      - scikit-learn==1.6.1
"""
SCORE = "import json\n\n\ndef init():\n    pass\n\n\ndef run(raw_data):\n    return raw_data\n"


@pytest.fixture
def folder(tmp_path: Path):
    (tmp_path / "score.py").write_text(SCORE)
    (tmp_path / "conda.yml").write_text(TOO_NEW)
    yield tmp_path
    _REMEMBERED.clear()  # what the unit tests resolved stays in this test process


@pytest_lsp.fixture(config=CONFIG)
async def trusted(lsp_client: LanguageClient, folder: Path):
    await start_session(lsp_client, folder, {"trusted": True})
    yield
    await lsp_client.shutdown_session()


async def test_saving_a_conda_file_shows_what_the_resolver_says(
    trusted: LanguageClient, folder: Path
) -> None:
    lsp_client = trusted
    conda = folder / "conda.yml"
    uri = open_document(lsp_client, conda, TOO_NEW, language="yaml")
    await wait_for_publish(lsp_client, uri)
    assert "AML213" not in codes(lsp_client.published[-1])  # type: ignore[attr-defined]
    lsp_client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    published = await wait_for_publish(lsp_client, uri, where=lambda p: "AML213" in codes(p))
    (found,) = [d for d in published.diagnostics if d.code == "AML213"]
    assert found.range.start.line == 6 and "Python>=3.9" in found.message


class _Server:
    def __init__(self, trusted: bool) -> None:
        self.workspace_trusted = trusted
        self.published: list[tuple[Path, list[str]]] = []

    def publish_external_diagnostics(self, source: str, path: Path, diagnostics) -> None:
        self.published.append((path, [d.code for d in diagnostics]))


def _resolver(server: _Server, rechecked: list[Path]) -> BackgroundResolver:
    def recorded(requirements: str, python: str, folder: Path) -> UvRun:
        return UvRun(0, "azureml-inference-server-http==1.5.1\nscikit-learn==1.3.2\n", "")

    return BackgroundResolver(
        server,
        lambda path, _project: rechecked.append(path),
        runner=recorded,
        cache=ResolutionCache(_FOLDER / "unit-cache"),
    )


def test_saving_the_entry_script_resolves_its_environment_then_rechecks(folder: Path) -> None:
    server, rechecked = _Server(trusted=True), []
    resolver = _resolver(server, rechecked)
    score = folder / "score.py"
    resolver.saved(score, score.read_text(), discover_project(folder), lambda p: p.read_text())
    resolver.wait()
    assert server.published == [(folder / "conda.yml", [])]
    assert rechecked == [folder / "conda.yml"]


def test_nothing_runs_in_an_untrusted_workspace_or_when_switched_off(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conda = folder / "conda.yml"
    for trusted, switch in ((False, "1"), (True, "0")):
        monkeypatch.setenv("AMLDEBUG_RESOLVE", switch)
        server, rechecked = _Server(trusted), []
        resolver = _resolver(server, rechecked)
        resolver.saved(conda, conda.read_text(), discover_project(folder), lambda p: None)
        resolver.wait()
        assert server.published == [] and rechecked == []
