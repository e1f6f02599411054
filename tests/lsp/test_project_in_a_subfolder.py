"""A project in a sub-folder of the workspace (issue 11, item 1): workspace `ws/`, project in
`ws/deploy/`, setting `amldebug.condaFile: deploy/env.yml`. The debug loop reads the same files
the diagnostics read, and the attach entry goes into the launch.json VS Code reads for `ws/`,
mapping `ws/deploy/` (what is mounted) onto the app root."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import pytest_lsp
from lsp_session import CONFIG, codes, open_document, start_session, wait_for_publish
from lsprotocol import types
from pytest_lsp import LanguageClient

from amldebug.debug_loop.start import write_attach_configuration
from amldebug.lsp.command_helpers import project_target
from amldebug.lsp.contract.dispatch import run_command
from amldebug.lsp.settings import parse_settings
from amldebug.project_target import resolve_target

SCORE = "def init():\n    pass\n\n\ndef run(raw_data):\n    return raw_data\n"
ENV = "dependencies:\n  - python=3.11\n  - pip\n  - pip:\n      - azureml-inference-server-http\n"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "score.py").write_text(SCORE)
    (tmp_path / "deploy" / "env.yml").write_text(ENV)
    return tmp_path


def test_settings_paths_are_relative_to_the_workspace_folder_in_both_halves(workspace: Path):
    options = {
        "folder": str(workspace / "deploy"),
        "workspaceFolder": str(workspace),
        "condaFile": "deploy/env.yml",
    }
    project = project_target(None, options).discover()
    assert project is not None
    assert project.conda_file == workspace / "deploy" / "env.yml"
    assert not project.problems  # no "ws/deploy/deploy/env.yml does not exist"
    # The diagnostics side reads the same file from the same setting.
    settings = parse_settings({"condaFile": "deploy/env.yml"})
    assert settings.explicit_path(settings.conda_file, workspace) == project.conda_file


def test_the_attach_entry_goes_into_the_workspace_folders_launch_json(workspace: Path):
    trusted = SimpleNamespace(workspace_trusted=True)
    options = {"folder": str(workspace / "deploy"), "workspaceFolder": str(workspace)}
    answer = run_command(trusted, "amldebug.launchConfig", options)
    assert answer["ok"] is True
    assert answer["path"] == str(workspace / ".vscode" / "launch.json")
    (entry,) = json.loads(answer["text"])["configurations"]
    assert entry["pathMappings"] == [
        {"localRoot": "${workspaceFolder}/deploy", "remoteRoot": "/var/azureml-app"}
    ]
    written = run_command(trusted, "amldebug.launchConfig", {**options, "write": True})
    assert Path(written["path"]) == workspace / ".vscode" / "launch.json"
    assert not (workspace / "deploy" / ".vscode").exists()


def test_a_project_at_the_workspace_root_maps_the_workspace_folder_itself(workspace: Path):
    trusted = SimpleNamespace(workspace_trusted=True)
    at_root = {"folder": str(workspace), "workspaceFolder": str(workspace)}
    answer = run_command(trusted, "amldebug.launchConfig", at_root)
    (entry,) = json.loads(answer["text"])["configurations"]
    assert entry["pathMappings"][0]["localRoot"] == "${workspaceFolder}"


def test_a_workspace_folder_that_does_not_hold_the_project_is_ignored(
    workspace: Path, tmp_path_factory
):
    other = tmp_path_factory.mktemp("other")
    trusted = SimpleNamespace(workspace_trusted=True)
    elsewhere = {"folder": str(workspace / "deploy"), "workspaceFolder": str(other)}
    answer = run_command(trusted, "amldebug.launchConfig", elsewhere)
    assert answer["path"] == str(workspace / "deploy" / ".vscode" / "launch.json")


# One target for every command: the project folder, the workspace folder, the files ----------


def test_a_command_on_the_workspace_folder_acts_on_the_project_the_settings_name(workspace: Path):
    """No project file open: the command gets the workspace folder; the conda file setting says
    the project is ws/deploy/; that folder is mounted, as the diagnostics of its files see it."""
    target = resolve_target(workspace, workspace_folder=workspace, conda_file="deploy/env.yml")
    assert target.project_folder == workspace / "deploy"
    assert target.conda_file == workspace / "deploy" / "env.yml"
    assert (target.subfolder, target.local_root) == ("deploy", "${workspaceFolder}/deploy")
    project = target.discover()
    assert project.root == workspace / "deploy"  # what run_debug_container mounts
    assert project.conda_file == workspace / "deploy" / "env.yml"
    assert project.entry_script == workspace / "deploy" / "score.py"


def test_a_workspace_folder_with_its_own_entry_script_stays_the_project(workspace: Path):
    (workspace / "score.py").write_text(SCORE)
    target = resolve_target(workspace, workspace_folder=workspace, conda_file="deploy/env.yml")
    assert target.project_folder == workspace
    assert target.conda_file == workspace / "deploy" / "env.yml"


def test_the_workspace_folder_is_the_server_s_folder_that_holds_the_project(workspace: Path):
    """A client that sends no `workspaceFolder` (the CLI-like path): the innermost workspace
    folder the server knows, not the project folder."""
    target = resolve_target(workspace / "deploy", workspace_folders=[workspace.parent, workspace])
    assert target.workspace_folder == workspace
    assert target.local_root == "${workspaceFolder}/deploy"
    bare = resolve_target(workspace / "deploy")
    assert (bare.workspace_folder, bare.local_root) == (workspace / "deploy", "${workspaceFolder}")


def test_up_writes_the_attach_entry_into_the_workspace_folder_s_launch_json(workspace: Path):
    """The debug loop's own launch.json write (`up` without `writeLaunchConfig: false`, and the
    CLI) goes where the editor's edit goes."""
    target = resolve_target(workspace / "deploy", workspace_folder=workspace)
    path, changed = write_attach_configuration(target.discover(), "docker", 5678, target)
    assert path == workspace / ".vscode" / "launch.json" and changed
    (entry,) = json.loads(path.read_text())["configurations"]
    assert entry["pathMappings"][0]["localRoot"] == "${workspaceFolder}/deploy"
    assert not (workspace / "deploy" / ".vscode").exists()


# The same over the wire: diagnostics and launch.json from the real server ---------------------

NUMPY_SCORE = "import numpy\n" + SCORE


@pytest_lsp.fixture(config=CONFIG)
async def subfolder_client(lsp_client: LanguageClient, workspace: Path):
    (workspace / "deploy" / "score.py").write_text(NUMPY_SCORE)
    # Discovery alone would take conda.yml (numpy in it); the setting names env.yml (no numpy).
    (workspace / "deploy" / "conda.yml").write_text(ENV + "      - numpy\n")
    lsp_client.set_configuration(
        {"condaFile": "deploy/env.yml"}, section="amldebug", scope_uri=workspace.as_uri()
    )
    await start_session(lsp_client, workspace, {"trusted": True})  # launchConfig needs trust
    yield
    await lsp_client.shutdown_session()


async def test_diagnostics_and_launch_json_agree_on_the_sub_folder_project(
    subfolder_client: LanguageClient, workspace: Path
):
    uri = open_document(subfolder_client, workspace / "deploy" / "score.py", NUMPY_SCORE)
    published = await wait_for_publish(subfolder_client, uri, where=lambda p: "AML116" in codes(p))
    (missing,) = [d for d in published.diagnostics if d.code == "AML116"]
    assert "env.yml" in missing.message
    for options in ({"folder": str(workspace / "deploy"), "workspaceFolder": str(workspace)}, {}):
        # `{}`: no folder at all; the server's workspace folder and its settings decide.
        answer = await subfolder_client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="amldebug.launchConfig", arguments=[options])
        )
        assert answer["ok"] is True, answer
        assert answer["path"] == str(workspace / ".vscode" / "launch.json")
        (entry,) = json.loads(answer["text"])["configurations"]
        assert entry["pathMappings"][0]["localRoot"] == "${workspaceFolder}/deploy"
