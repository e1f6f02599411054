"""Folders and files the user may not read or write: a sentence, never a traceback, never a
false "All checks passed" (issue 9, item 10 and the smaller findings).

The CLI runs in a child process that obeys file permissions: as root (CI), without the
capabilities that let root read and write anything (`setpriv`); otherwise as the user."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCORE = "def init():\n    pass\n\n\ndef run(data):\n    return data\n"
CONDA = "dependencies:\n  - python=3.11\n  - pip:\n      - azureml-inference-server-http\n"
_DROP = "-dac_override,-dac_read_search"


def _prefix() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root, and no setpriv to drop the capabilities that bypass permissions")
    command = [setpriv, f"--bounding-set={_DROP}", f"--inh-caps={_DROP}"]
    if subprocess.run([*command, "true"], capture_output=True).returncode != 0:
        pytest.skip("setpriv cannot drop capabilities here")
    return command


def amldebug(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_prefix(), sys.executable, "-m", "amldebug", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "score.py").write_text(SCORE)
    (folder / "conda.yml").write_text(CONDA)
    yield folder
    for path in [folder, *folder.rglob("*")]:  # let pytest clean up
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)


@pytest.mark.parametrize("mode", [0o000, 0o300, 0o100])
def test_a_project_folder_that_cannot_be_listed_is_no_pass(project, mode):
    """0o300 / 0o100 (enter, not list) read as an empty folder: "All checks passed", exit 0."""
    project.chmod(mode)
    done = amldebug("check", str(project), cwd=project.parent)
    assert done.returncode != 0
    assert "All checks passed" not in done.stdout
    assert f"cannot read the folder {project}" in done.stderr or "cannot access" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unreadable_sub_folder_is_no_traceback(project):
    sub = project / "private"
    sub.mkdir()
    (sub / "notes.py").write_text("x = 1\n")
    (project / "score.py").write_text(SCORE.replace("return data", "return str(e"))
    sub.chmod(0o000)
    done = amldebug("check", str(project), cwd=project.parent)
    assert "Traceback" not in done.stderr
    assert "AML107" in done.stdout  # the readable files are still checked
    assert done.returncode == 1
    # ... and the folder that was passed over is said, not silently skipped.
    assert "The folder private/ could not be read (Permission denied)" in done.stdout


def test_an_unreadable_sub_folder_alone_is_not_all_checks_passed(project):
    (project / "private").mkdir()
    (project / "private").chmod(0o000)
    done = amldebug("check", str(project), cwd=project.parent)
    assert "All checks passed" not in done.stdout
    assert "private/ could not be read" in done.stdout


def test_a_read_only_vscode_folder_is_named(project):
    (project / ".vscode").mkdir()
    (project / ".vscode").chmod(0o555)
    done = amldebug("launch-config", str(project), cwd=project)
    assert done.returncode == 1
    assert f"the folder {project / '.vscode'} is not writable" in done.stderr
    assert ".launch.json." not in done.stderr  # not our temporary file's name
    assert "Traceback" not in done.stderr
    assert list((project / ".vscode").iterdir()) == []


def test_a_launch_json_the_user_cannot_write_is_left_alone(project):
    launch = project / ".vscode" / "launch.json"
    launch.parent.mkdir()
    launch.write_text('{"version": "0.2.0", "configurations": []}\n')
    launch.chmod(0o444)
    done = amldebug("launch-config", str(project), cwd=project)
    assert done.returncode == 1 and "read-only" in done.stderr
    assert json.loads(launch.read_text())["configurations"] == []
    assert oct(launch.stat().st_mode & 0o777) == oct(0o444)
