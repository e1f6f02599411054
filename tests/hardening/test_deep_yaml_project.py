"""A deployment YAML nested thousands deep: `check` and the editor go on with the rest of the
project (issue 9, item 10). It was a RecursionError traceback in the CLI, and in the editor every
diagnostic of the project was lost."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from amldebug.cli.main import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lsp"))
from lsp_session import client, codes, open_document, wait_for_publish

__all__ = ["client"]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "working-project"
BROKEN_RUN = "def run(data):\n    return str(e\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "deep"
    shutil.copytree(EXAMPLE, folder)
    deployment = folder / "deployment.yml"
    deployment.write_text(
        deployment.read_text() + "environment_variables:\n  A: " + "[" * 5000 + "]" * 5000 + "\n"
    )
    score = folder / "score.py"
    score.write_text(score.read_text() + "\n\n" + BROKEN_RUN)
    return folder


def test_check_reports_the_rest_of_the_project(project, capsys):
    assert main(["check", str(project)]) == 1
    out, err = capsys.readouterr()
    assert "AML107" in out
    assert "Traceback" not in err and "RecursionError" not in err


@pytest.mark.asyncio
async def test_the_editor_keeps_the_projects_diagnostics(client, project):
    score = project / "score.py"
    uri = open_document(client, score, score.read_text())
    published = await wait_for_publish(client, uri, where=lambda p: bool(p.diagnostics))
    assert "AML107" in codes(published)
    deployment = project / "deployment.yml"
    yaml_uri = open_document(client, deployment, deployment.read_text(), language="yaml")
    await wait_for_publish(client, yaml_uri)  # answered, not lost to an exception
