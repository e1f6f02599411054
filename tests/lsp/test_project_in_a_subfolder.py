"""A project in a sub-folder of the workspace (issue 11, item 1): workspace `ws/`, project in
`ws/deploy/`, setting `amldebug.condaFile: deploy/env.yml`. The debug loop reads the same files
the diagnostics read, and the attach entry goes into the launch.json VS Code reads for `ws/`,
mapping `ws/deploy/` (what is mounted) onto the app root."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from amldebug.lsp.debug_loop_commands import _project
from amldebug.lsp.launch_config_commands import launch_config_command
from amldebug.lsp.settings import parse_settings

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
    project = _project(None, options)
    assert project is not None
    assert project.conda_file == workspace / "deploy" / "env.yml"
    assert not project.problems  # no "ws/deploy/deploy/env.yml does not exist"
    # The diagnostics side reads the same file from the same setting.
    settings = parse_settings({"condaFile": "deploy/env.yml"})
    assert settings.explicit_path(settings.conda_file, workspace) == project.conda_file


def test_the_attach_entry_goes_into_the_workspace_folders_launch_json(workspace: Path):
    trusted = SimpleNamespace(workspace_trusted=True)
    options = {"folder": str(workspace / "deploy"), "workspaceFolder": str(workspace)}
    answer = launch_config_command(trusted, options)
    assert answer["ok"] is True
    assert answer["path"] == str(workspace / ".vscode" / "launch.json")
    (entry,) = json.loads(answer["text"])["configurations"]
    assert entry["pathMappings"] == [
        {"localRoot": "${workspaceFolder}/deploy", "remoteRoot": "/var/azureml-app"}
    ]
    written = launch_config_command(trusted, {**options, "write": True})
    assert Path(written["path"]) == workspace / ".vscode" / "launch.json"
    assert not (workspace / "deploy" / ".vscode").exists()


def test_a_project_at_the_workspace_root_maps_the_workspace_folder_itself(workspace: Path):
    trusted = SimpleNamespace(workspace_trusted=True)
    answer = launch_config_command(
        trusted, {"folder": str(workspace), "workspaceFolder": str(workspace)}
    )
    (entry,) = json.loads(answer["text"])["configurations"]
    assert entry["pathMappings"][0]["localRoot"] == "${workspaceFolder}"


def test_a_workspace_folder_that_does_not_hold_the_project_is_ignored(
    workspace: Path, tmp_path_factory
):
    other = tmp_path_factory.mktemp("other")
    trusted = SimpleNamespace(workspace_trusted=True)
    answer = launch_config_command(
        trusted, {"folder": str(workspace / "deploy"), "workspaceFolder": str(other)}
    )
    assert answer["path"] == str(workspace / "deploy" / ".vscode" / "launch.json")
