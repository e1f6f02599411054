"""A hostile deployment YAML in a project just opened: `check` and the editor go on with the rest
of the project, within seconds.

- nested 5,000 deep (item 10): a RecursionError traceback in the CLI, and in the editor every
  diagnostic of the project was lost;
- an alias bomb under environment_variables (item 2): gigabytes in seconds, a hung server;
- `conda_file: /dev/stdin` (item 3): the server read its own JSON-RPC pipe; a FIFO in the project
  blocked it for good."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from amldebug.cli.main import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lsp"))
from lsp_session import client, codes, open_document, wait_for_publish

__all__ = ["client"]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "working-project"
BROKEN_RUN = "def run(data):\n    return str(e\n"


BOMB = (
    "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10))
    + "environment_variables:\n  BOMB: *a9\n"
)
HOSTILE = {
    "deep": "environment_variables:\n  A: " + "[" * 5000 + "]" * 5000 + "\n",
    "alias-bomb": BOMB,
    "dev-stdin": None,
    "fifo": None,
}


@pytest.fixture(params=sorted(HOSTILE))
def project(request, tmp_path: Path) -> Path:
    folder = tmp_path / "hostile"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".vscode", "__pycache__"))
    deployment = folder / "deployment.yml"
    text = deployment.read_text()
    if request.param == "dev-stdin":
        text = text.replace("conda_file: conda.yml", "conda_file: /dev/stdin")
    elif request.param == "fifo":
        os.mkfifo(folder / "env.yml")
        text = text.replace("conda_file: conda.yml", "conda_file: env.yml")
    else:
        text += HOSTILE[request.param]
    deployment.write_text(text)
    score = folder / "score.py"
    score.write_text(score.read_text() + "\n\n" + BROKEN_RUN)
    return folder


def test_check_reports_the_rest_of_the_project(project, capsys):
    started = time.monotonic()
    assert main(["check", str(project)]) == 1
    assert time.monotonic() - started < 30
    out, err = capsys.readouterr()
    assert "AML107" in out
    assert "Traceback" not in err and "RecursionError" not in err


@pytest.mark.asyncio
async def test_the_editor_keeps_the_projects_diagnostics(client, project):
    score = project / "score.py"
    uri = open_document(client, score, score.read_text())
    published = await wait_for_publish(client, uri, where=lambda p: bool(p.diagnostics), timeout=30)
    assert "AML107" in codes(published)
    deployment = project / "deployment.yml"
    yaml_uri = open_document(client, deployment, deployment.read_text(), language="yaml")
    await wait_for_publish(client, yaml_uri, timeout=30)  # answered, not lost to an exception
