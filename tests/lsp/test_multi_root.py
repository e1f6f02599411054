"""Settings per workspace folder (issue 11, item 1): in a two-folder workspace each folder's
`amldebug.condaFile` applies to its own documents and commands, pulled with
`workspace/configuration` per `scopeUri`, never one window-level object for both."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsp_session import CONFIG, codes, open_document, wait_for_publish
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from amldebug.debug_loop.target import project_for
from amldebug.lsp.command_helpers import loop_request
from amldebug.lsp.debug_loop_commands import project_target
from amldebug.lsp.server import create_server
from amldebug.lsp.settings import (
    ServerSettings,
    WorkspaceSettings,
    configuration_items,
    parse_settings,
    workspace_settings_from_configuration,
)

# Imports numpy: the conda file that lacks it gets AML116, the one that has it does not.
SCORE = (
    "import numpy\n\n\ndef init():\n    pass\n\n\n"
    "def run(raw_data):\n    return numpy.sum(raw_data)\n"
)
WITHOUT_NUMPY = (
    "dependencies:\n  - python=3.11\n  - pip\n  - pip:\n"
    "      - azureml-inference-server-http==1.5.1\n"
)
WITH_NUMPY = WITHOUT_NUMPY + "      - numpy==2.1.0\n"


def make_folder(root: Path) -> Path:
    """`root/deploy/` with score.py, env.yml (no numpy) and other.yml (numpy): which conda file
    is used shows in score.py's diagnostics."""
    (root / "deploy").mkdir(parents=True)
    (root / "deploy" / "score.py").write_text(SCORE)
    (root / "deploy" / "env.yml").write_text(WITHOUT_NUMPY)
    (root / "deploy" / "other.yml").write_text(WITH_NUMPY)
    return root


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    return make_folder(tmp_path / "a"), make_folder(tmp_path / "b")


@pytest_lsp.fixture(config=CONFIG)
async def two_folder_client(lsp_client: LanguageClient, folders: tuple[Path, Path]):
    a, b = folders
    # What VS Code answers for each scope: folder a's and folder b's own `.vscode/settings.json`.
    lsp_client.set_configuration(
        {"condaFile": "deploy/env.yml"}, section="amldebug", scope_uri=a.as_uri()
    )
    lsp_client.set_configuration(
        {"condaFile": "deploy/other.yml"}, section="amldebug", scope_uri=b.as_uri()
    )
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=a.as_uri(),
            workspace_folders=[
                types.WorkspaceFolder(uri=a.as_uri(), name="a"),
                types.WorkspaceFolder(uri=b.as_uri(), name="b"),
            ],
            initialization_options={"trusted": False, "settings": {}},
        )
    )
    yield
    await lsp_client.shutdown_session()


def _numpy_missing(params: types.PublishDiagnosticsParams) -> bool:
    return "AML116" in codes(params)


async def test_each_folder_s_conda_file_setting_applies_to_its_own_documents(
    two_folder_client: LanguageClient, folders: tuple[Path, Path]
):
    a, b = folders
    a_uri = open_document(two_folder_client, a / "deploy" / "score.py", SCORE)
    b_uri = open_document(two_folder_client, b / "deploy" / "score.py", SCORE)
    # Folder a says deploy/env.yml (no numpy), folder b says deploy/other.yml (numpy).
    await wait_for_publish(two_folder_client, a_uri, where=_numpy_missing)
    b_published = await wait_for_publish(
        two_folder_client, b_uri, where=lambda params: "AML116" not in codes(params)
    )
    assert "AML116" not in codes(b_published)
    a_numpy = [d for d in two_folder_client.diagnostics[a_uri] if d.code == "AML116"]
    assert a_numpy and "env.yml" in a_numpy[0].message


async def test_a_changed_folder_setting_rechecks_that_folder_s_documents(
    two_folder_client: LanguageClient, folders: tuple[Path, Path]
):
    _, b = folders
    b_uri = open_document(two_folder_client, b / "deploy" / "score.py", SCORE)
    await wait_for_publish(two_folder_client, b_uri, where=lambda p: "AML116" not in codes(p))
    after = len(two_folder_client.published)  # type: ignore[attr-defined]
    two_folder_client.set_configuration(
        {"condaFile": "deploy/env.yml"}, section="amldebug", scope_uri=b.as_uri()
    )
    two_folder_client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings=None)
    )
    await wait_for_publish(two_folder_client, b_uri, after=after, where=_numpy_missing)


async def test_an_added_workspace_folder_brings_its_own_settings(
    two_folder_client: LanguageClient, tmp_path: Path
):
    c = make_folder(tmp_path / "c")
    two_folder_client.set_configuration(
        {"condaFile": "deploy/other.yml"}, section="amldebug", scope_uri=c.as_uri()
    )
    two_folder_client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(uri=c.as_uri(), name="c")], removed=[]
            )
        )
    )
    c_uri = open_document(two_folder_client, c / "deploy" / "score.py", SCORE)
    # Without c's own setting, discovery would pick env.yml (no numpy) and publish AML116.
    published = await wait_for_publish(
        two_folder_client, c_uri, where=lambda p: "AML116" not in codes(p), timeout=10
    )
    assert "AML116" not in codes(published)


# The server's pieces, without a client --------------------------------------------------------


def test_a_command_on_a_folder_uses_that_folder_s_settings(folders: tuple[Path, Path]):
    a, b = folders
    server = create_server()
    server.checker.settings = WorkspaceSettings(
        ServerSettings(conda_file="window.yml"),
        (
            (a, parse_settings({"condaFile": "deploy/env.yml"})),
            (b, parse_settings({"condaFile": "deploy/other.yml"})),
        ),
    )
    for workspace, conda in ((a, "env.yml"), (b, "other.yml")):
        options = {"folder": str(workspace / "deploy"), "workspaceFolder": str(workspace)}
        target = project_target(server, options)
        assert target.conda_file == workspace / "deploy" / conda
        assert target.discover().conda_file == workspace / "deploy" / conda
    # A path the command names itself wins over the folder's setting (Build with this file).
    named = project_target(
        server, {"folder": str(a / "deploy"), "workspaceFolder": str(a), "condaFile": "x.yml"}
    )
    assert named.conda_file == a / "x.yml"


def test_the_debug_loop_request_carries_the_target_the_folder_s_settings_name(
    folders: tuple[Path, Path],
):
    """`up` with no folder and no path options (the command palette, no project file open): the
    server's workspace folder, its settings, and the sub-folder they name, which is mounted."""
    a, _ = folders
    (a / "deploy" / "env.yml").rename(a / "deploy" / "scoring-env.yml")  # not found by name
    server = create_server()
    server.checker.settings = WorkspaceSettings(
        ServerSettings(), ((a, parse_settings({"condaFile": "deploy/scoring-env.yml"})),)
    )
    server.workspace_roots = lambda: [a]  # type: ignore[method-assign]
    for verb in ("build", "run", "up"):
        request = loop_request(server, verb, {})
        assert request.target is not None
        assert request.target.workspace_folder == a
        assert request.folder == str(a / "deploy")
        assert request.target.local_root == "${workspaceFolder}/deploy"
        project = project_for(request)
        assert project.root == a / "deploy"
        assert project.conda_file == a / "deploy" / "scoring-env.yml"
        assert not project.problems


def test_settings_are_asked_for_the_window_then_each_folder():
    items = configuration_items(["file:///ws/a", "file:///ws/b"])
    assert [(item.scope_uri, item.section) for item in items] == [
        (None, "amldebug"),
        ("file:///ws/a", "amldebug"),
        ("file:///ws/b", "amldebug"),
    ]


def test_a_scope_the_client_has_no_section_for_keeps_the_initialization_options():
    a, b = Path("/ws/a"), Path("/ws/b")
    initial = WorkspaceSettings(ServerSettings(select=("AML1",)))
    pulled = workspace_settings_from_configuration(
        [None, {"condaFile": "deploy/env.yml"}, None], [a, b], initial
    )
    assert pulled.window == initial.window
    assert pulled.for_path(a / "deploy" / "score.py").conda_file == "deploy/env.yml"
    assert pulled.for_path(b / "score.py") == initial.window
    assert pulled.for_path(Path("/elsewhere/score.py")) == initial.window


def test_nested_workspace_folders_take_the_inner_folder_s_settings():
    outer, inner = Path("/ws"), Path("/ws/deploy")
    settings = WorkspaceSettings(
        ServerSettings(),
        ((outer, ServerSettings(conda_file="o.yml")), (inner, ServerSettings(conda_file="i.yml"))),
    )
    assert settings.for_path(inner / "score.py").conda_file == "i.yml"
    assert settings.for_path(outer / "score.py").conda_file == "o.yml"
    assert settings.folder_of(inner / "score.py") == inner


async def test_the_second_folder_s_document_is_checked_against_its_own_setting(
    two_folder_client: LanguageClient, folders: tuple[Path, Path]
):
    # As the e2e fixture: folder b's other.yml lacks numpy too, so b must say "other.yml".
    a, b = folders
    (b / "deploy" / "other.yml").write_text(WITHOUT_NUMPY)
    a_uri = open_document(two_folder_client, a / "deploy" / "score.py", SCORE)
    await wait_for_publish(two_folder_client, a_uri, where=_numpy_missing)
    b_uri = open_document(two_folder_client, b / "deploy" / "score.py", SCORE)
    published = await wait_for_publish(two_folder_client, b_uri, where=_numpy_missing)
    (numpy,) = [d for d in published.diagnostics if d.code == "AML116"]
    assert "other.yml" in numpy.message
