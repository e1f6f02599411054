"""launch.json is written only inside the folder, never through a symlink leading out, never over a
read-only file, and from the language server only in a trusted workspace (issue 9, item 5 and the
smaller launch.json findings)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from amldebug.cli.main import main
from amldebug.containers.launch_config import docker_debug_configuration
from amldebug.containers.launch_json_file import write_launch_config
from amldebug.errors import AmlDebugError
from amldebug.lsp.contract.dispatch import run_command

OURS = docker_debug_configuration()
SETTINGS = '{\n  "editor.fontSize": 14\n}\n'


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A user's settings file outside the project."""
    target = tmp_path / "home" / ".config" / "Code" / "User" / "settings.json"
    target.parent.mkdir(parents=True)
    target.write_text(SETTINGS)
    return target


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / ".vscode").mkdir(parents=True)
    return folder


def test_a_launch_json_symlink_leading_outside_is_refused(project, outside):
    (project / ".vscode" / "launch.json").symlink_to(outside)
    with pytest.raises(AmlDebugError, match="leads outside"):
        write_launch_config(project, OURS)
    assert outside.read_text() == SETTINGS


def test_a_vscode_folder_symlink_leading_outside_is_refused(tmp_path, outside):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / ".vscode").symlink_to(outside.parent)
    outside.with_name("launch.json").write_text('{"configurations": []}\n')
    with pytest.raises(AmlDebugError, match="leads outside"):
        write_launch_config(folder, OURS)
    assert json.loads(outside.with_name("launch.json").read_text()) == {"configurations": []}


def test_a_dangling_symlink_leading_outside_is_refused(project, tmp_path):
    planted = tmp_path / "home" / ".bashrc.d" / "x.json"
    (project / ".vscode" / "launch.json").symlink_to(planted)
    with pytest.raises(AmlDebugError, match="leads outside"):
        write_launch_config(project, OURS)
    assert not planted.exists()


def test_a_symlink_inside_the_folder_is_written_through(project):
    shared = project / "shared-launch.json"
    shared.write_text('{"version": "0.2.0", "configurations": []}\n')
    (project / ".vscode" / "launch.json").symlink_to(shared)
    write_launch_config(project, OURS)
    assert (project / ".vscode" / "launch.json").is_symlink()
    assert json.loads(shared.read_text())["configurations"][0]["name"] == OURS["name"]


def test_a_symlink_loop_is_a_message_not_a_traceback(project):
    (project / ".vscode" / "launch.json").symlink_to("loop.json")
    (project / ".vscode" / "loop.json").symlink_to("launch.json")
    with pytest.raises(AmlDebugError, match="symlink loop"):
        write_launch_config(project, OURS)


def test_a_fifo_launch_json_is_refused(project):
    os.mkfifo(project / ".vscode" / "launch.json")
    with pytest.raises(AmlDebugError, match="not a regular file"):
        write_launch_config(project, OURS)


def test_a_read_only_launch_json_is_left_alone(project):
    launch = project / ".vscode" / "launch.json"
    launch.write_text('{"version": "0.2.0", "configurations": []}\n')
    launch.chmod(0o444)
    with pytest.raises(AmlDebugError, match="read-only"):
        write_launch_config(project, OURS)
    assert json.loads(launch.read_text())["configurations"] == []


def test_a_new_launch_json_is_readable_like_any_new_file(project):
    write_launch_config(project, OURS)
    mode = stat.S_IMODE((project / ".vscode" / "launch.json").stat().st_mode)
    assert mode == 0o644


def test_cli_refuses_and_names_the_problem(project, outside, capsys):
    (project / ".vscode" / "launch.json").symlink_to(outside)
    assert main(["launch-config", str(project)]) == 1
    assert "leads outside" in capsys.readouterr().err
    assert main(["launch-config", str(project), "--dry-run"]) == 1
    assert outside.read_text() == SETTINGS


def test_language_server_edit_refuses_a_symlink_leading_outside(project, outside):
    (project / ".vscode" / "launch.json").symlink_to(outside)
    server = SimpleNamespace(workspace_trusted=True)
    answer = run_command(server, "amldebug.launchConfig", {"folder": str(project)})
    assert answer["ok"] is False and "leads outside" in answer["error"]


def test_language_server_writes_launch_json_only_when_trusted(project):
    untrusted = SimpleNamespace(workspace_trusted=False)
    write = {"folder": str(project), "write": True}
    answer = run_command(untrusted, "amldebug.launchConfig", write)
    assert answer["ok"] is False and "not trusted" in answer["error"]
    assert not (project / ".vscode" / "launch.json").exists()
    trusted = SimpleNamespace(workspace_trusted=True)
    assert run_command(trusted, "amldebug.launchConfig", write)["ok"] is True
    assert (project / ".vscode" / "launch.json").is_file()


def test_user_edits_to_our_entry_survive_a_rewrite(project):
    """The smaller finding: `justMyCode: false` and a custom `localRoot` were silently reverted;
    only what attaching needs (the port) is updated."""
    write_launch_config(project, docker_debug_configuration(5678))
    launch = project / ".vscode" / "launch.json"
    text = launch.read_text()
    text = text.replace('"justMyCode": true', '"justMyCode": false')
    text = text.replace(
        '"localRoot": "${workspaceFolder}"', '"localRoot": "${workspaceFolder}/src"'
    )
    launch.write_text(text)
    write_launch_config(project, docker_debug_configuration(5690))
    [entry] = json.loads(launch.read_text())["configurations"]
    assert entry["justMyCode"] is False
    assert entry["pathMappings"][0]["localRoot"] == "${workspaceFolder}/src"
    assert entry["connect"]["port"] == 5690
