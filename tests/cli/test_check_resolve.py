"""`amldebug check --resolve` end to end in-process, with uv replaced by recorded output
($AMLDEBUG_UV): the diagnostics land on the conda-file line, the answer is cached, AML116 uses
the resolved closure, and without uv there is one information, exit 0."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from amldebug.analysis.uv_resolver import _REMEMBERED

FAKE_UV_SCRIPT = Path(__file__).resolve().parents[1] / "lsp" / "fake_uv.py"
SCORE = "import json\n\n\ndef init():\n    pass\n\n\ndef run(raw_data):\n    return raw_data\n"
TOO_NEW = """\
name: scoring
dependencies:
  - python=3.8
  - pip
  - pip:
      - azureml-inference-server-http==1.5.1
      - scikit-learn==1.6.1
"""


@pytest.fixture
def resolving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    fake = tmp_path / "bin" / "uv"
    fake.parent.mkdir()
    calls = tmp_path / "calls"
    fake.write_text(f"#!/bin/sh\necho run >> {calls}\nexec {sys.executable} {FAKE_UV_SCRIPT}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("AMLDEBUG_UV", str(fake))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    project = tmp_path / "project"
    project.mkdir()
    (project / "score.py").write_text(SCORE)
    (project / "conda.yml").write_text(TOO_NEW)
    yield project, calls
    _REMEMBERED.clear()


def test_resolve_reports_on_the_culprit_line_and_caches(resolving, run_cli) -> None:
    project, calls = resolving
    code, out, _ = run_cli("check", "--resolve", "--format", "json", cwd=project)
    found = [p for p in json.loads(out) if p["code"] == "AML213"]
    assert code == 1 and len(found) == 1
    assert found[0]["file"].endswith("conda.yml") and found[0]["line"] == 7
    run_cli("check", "--resolve", "--format", "json", cwd=project)
    assert calls.read_text().count("run") == 1  # the second answer came from the cache


def test_without_resolve_uv_is_never_run(resolving, run_cli) -> None:
    project, calls = resolving
    _, out, _ = run_cli("check", "--format", "json", cwd=project)
    assert "AML213" not in out and not calls.exists()


def test_no_uv_is_one_information(resolving, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    project, _ = resolving
    monkeypatch.setenv("AMLDEBUG_UV", str(project / "no-such-uv"))
    code, out, _ = run_cli("check", "--resolve", "--select", "AML213,AML214,AML215", cwd=project)
    assert code == 0
    assert out.count("AML215 information") == 1
