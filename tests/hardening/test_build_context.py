"""What is baked into the debug image as code: .amlignore / .gitignore honoured as Azure ML does,
the --ca-bundle file never, secret-looking files named once (issue 9, item 9)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from amldebug.containers.dockerfile import BuildOptions, context_files, plan_debug_image
from amldebug.project import discover_project

WORKING = Path(__file__).resolve().parents[2] / "examples" / "working-project"


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    target = tmp_path / "wp"
    shutil.copytree(WORKING, target, ignore=shutil.ignore_patterns(".vscode", "__pycache__"))
    (target / ".env").write_text("TOKEN=secret\n")
    (target / "secrets").mkdir()
    (target / "secrets" / "key.txt").write_text("k\n")
    (target / "notes.log").write_text("log\n")
    return target


def code_names(project_dir: Path, **options) -> tuple[set[str], tuple[str, ...]]:
    plan = plan_debug_image(
        discover_project(project_dir), BuildOptions(base_image="b:1", **options)
    )
    names = {name for name, _ in context_files(plan) if name.startswith("code/")}
    return names, plan.notes


def test_gitignore_is_honoured(project_dir: Path):
    (project_dir / ".gitignore").write_text("secrets/\n*.log\n.env\n")
    names, notes = code_names(project_dir)
    assert "code/score.py" in names
    assert not {"code/secrets/key.txt", "code/notes.log", "code/.env"} & names
    assert any("3 file(s) that .gitignore ignores" in note for note in notes)


def test_amlignore_wins_over_gitignore(project_dir: Path):
    (project_dir / ".gitignore").write_text("*.log\n")
    (project_dir / ".amlignore").write_text("secrets/\n")
    names, _ = code_names(project_dir)
    assert "code/secrets/key.txt" not in names
    assert "code/notes.log" in names  # .gitignore is not read when .amlignore exists


def test_the_ca_bundle_is_never_code(project_dir: Path):
    bundle = project_dir / "corp-ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    names, _ = code_names(project_dir, ca_bundle=bundle)
    assert "code/corp-ca.pem" not in names
    assert "code/score.py" in names


def test_secret_looking_files_are_named_once(project_dir: Path):
    names, notes = code_names(project_dir)
    assert "code/.env" in names
    warnings = [note for note in notes if "look(s) like secrets" in note]
    assert len(warnings) == 1 and ".env" in warnings[0] and ".amlignore" in warnings[0]
