"""Helpers for the `amldebug check` / `amldebug rule` tests.

`fake_entry_analyzer` stands in for the entry-script analyzer where a test is about the CLI's
mechanics (formats, --fix, clobbering) rather than about a rule: it fires on fixed markers, so the
expected output never depends on how a rule words its message.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from amldebug.analysis import entry_script
from amldebug.analysis.context import AnalysisContext
from amldebug.cli.main import main
from amldebug.diagnostics import Diagnostic, Fix, Range, Severity, TextEdit

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

FAKE_SCORE = """\
import json

import sklearn


def init():
    model = {"bias": 1}


def run(raw_data):
    try:
        return model.predict(raw_data)
    except Exception as e:
        return str(e)
"""
FAKE_CONDA = """\
# keep this comment
dependencies:
  - python=3.11
  - pip=24.0
  - pip:
      - azureml-inference-server-http==1.5.1
"""


def fake_analyze_entry_script(text: str, context: AnalysisContext) -> list[Diagnostic]:
    lines = text.splitlines()
    found: list[Diagnostic] = []
    init_line = next((i for i, line in enumerate(lines) if line.startswith("def init")), None)
    for number, line in enumerate(lines):
        if "model.predict" in line and "global model" not in text and init_line is not None:
            column = line.index("model")
            add_global = TextEdit(Range.of(init_line + 1, 0), "    global model\n")
            found.append(
                Diagnostic(
                    "AML106",
                    Severity.ERROR,
                    "'model' is assigned in init() without 'global'",
                    Range.of(number, column, number, column + 5),
                    fixes=(Fix("Add 'global model' to init()", (add_global,)),),
                )
            )
        if line.startswith("import sklearn"):
            conda = context.project.conda_file
            conda_text = context.read_text(conda) if conda else None
            if conda is not None and conda_text is not None and "scikit-learn" not in conda_text:
                end = len(conda_text.splitlines())
                add = TextEdit(Range.of(end, 0), "      - scikit-learn\n", path=conda)
                found.append(
                    Diagnostic(
                        "AML116",
                        Severity.ERROR,
                        "'sklearn' is provided by nothing in conda.yml",
                        Range.whole_line(lines, number),
                        fixes=(Fix("Add scikit-learn to conda.yml", (add,)),),
                    )
                )
        if line.strip() == "return str(e)":
            refactor = TextEdit(Range.whole_line(lines, number), 'return "internal error"')
            found.append(
                Diagnostic(
                    "AML111",
                    Severity.WARNING,
                    "run() returns exception text, e.g. 'a,b: 100%'\nsecond line",
                    Range.whole_line(lines, number),
                    fixes=(Fix("Hide the error", (refactor,), kind="refactor"),),
                )
            )
    return found


@pytest.fixture
def fake_analyzer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entry_script, "analyze_entry_script", fake_analyze_entry_script)


@pytest.fixture
def fake_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "score.py").write_text(FAKE_SCORE, encoding="utf-8")
    (project / "conda.yml").write_text(FAKE_CONDA, encoding="utf-8")
    return project


@pytest.fixture
def copy_example(tmp_path: Path) -> Callable[[str], Path]:
    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(EXAMPLES / name, target)
        return target

    return copy


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run `amldebug ARGS` in-process from `cwd`; returns (exit code, stdout, stderr)."""

    def run(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def load_json(text: str) -> object:
    return json.loads(text)


@pytest.fixture
def fake_texts() -> tuple[str, str]:
    """The fake project's (score.py, conda.yml) texts as written by `fake_project`."""
    return FAKE_SCORE, FAKE_CONDA
