"""Paths a deployment YAML names stay inside the project unless given as flags (issue 9, item 6):
`model.path: ../../secret` copied that host folder into the image, or bind-mounted it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from amldebug.cli.main import main
from amldebug.containers.dockerfile import BuildOptions, context_files, plan_debug_image
from amldebug.containers.model_files import link_model_tree
from amldebug.project import discover_project

WORKING = Path(__file__).resolve().parents[2] / "examples" / "working-project"
SECRET = b"-----BEGIN OPENSSH PRIVATE KEY----- not really\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "home" / ".ssh").mkdir(parents=True)
    (tmp_path / "home" / ".ssh" / "id_rsa").write_bytes(SECRET)
    folder = tmp_path / "home" / "clones" / "project"
    shutil.copytree(WORKING, folder, ignore=shutil.ignore_patterns(".vscode", "__pycache__"))
    deployment = folder / "deployment.yml"
    deployment.write_text(
        deployment.read_text()
        .replace("path: model", "path: ../../.ssh")
        .replace("conda_file: conda.yml", "conda_file: ../../.ssh/id_rsa")
    )
    return folder


def every_context_byte(plan) -> bytes:
    chunks = []
    for _, source in context_files(plan):
        if isinstance(source, Path) and source.is_file():
            chunks.append(source.read_bytes())
        elif isinstance(source, bytes):
            chunks.append(source)
    return b"".join(chunks)


def test_a_model_or_conda_path_leading_out_is_ignored_and_said(project):
    found = discover_project(project)
    assert found.model_paths == ()
    assert found.conda_file is None or found.conda_file.parent == project
    problems = " ".join(found.problems)
    assert "names the model" in problems and "outside" in problems
    assert "names the conda file" in problems


def test_nothing_outside_goes_into_the_image(project):
    plan = plan_debug_image(discover_project(project), BuildOptions(base_image="b:1"))
    assert SECRET not in every_context_byte(plan)
    assert not any(".ssh" in name or "id_rsa" in name for name, _ in context_files(plan))


def test_nothing_outside_is_laid_out_for_the_local_server(project, tmp_path):
    """The process runtime links the models into a folder it serves as AZUREML_MODEL_DIR."""
    assert link_model_tree(discover_project(project), tmp_path / "models") is None


def test_a_flag_may_point_anywhere(project):
    outside = project.parent.parent / ".ssh"
    found = discover_project(project, model_paths=[outside])
    assert found.model_paths == (outside,)


def test_the_cli_says_what_it_ignored(project, capsys):
    main(["project", str(project)])
    captured = capsys.readouterr()
    assert "outside" in captured.out + captured.err
