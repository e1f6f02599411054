"""What the entry-script rule tests share (tests/analysis/test_entry_script*.py): a project with
a conda file and a single-file model, the analysis of one script in it, applying a quick fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

from amldebug.analysis import analyze_document
from amldebug.diagnostics import Diagnostic, Fix, Severity, apply_edits
from amldebug.project import Project

CONDA = """\
name: scoring
channels:
  - conda-forge
dependencies:
  - python=3.10
  - pip
  - pip:
      - azureml-inference-server-http==1.5.1
      - scikit-learn==1.3.2
"""

GOOD = """\
import json
import os

import joblib

model = None


def init():
    global model
    model_dir = os.getenv("AZUREML_MODEL_DIR")
    model = joblib.load(os.path.join(model_dir, "model.pkl"))


def run(raw_data):
    data = json.loads(raw_data)["data"]
    return {"predictions": model.predict(data).tolist()}
"""


def dedent(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def make_project(
    root: Path,
    conda: str | None = CONDA,
    *,
    with_model: bool = True,
) -> Project:
    conda_file = None
    if conda is not None:
        conda_file = root / "conda.yml"
        conda_file.write_text(conda, encoding="utf-8")
    models: tuple[Path, ...] = ()
    if with_model:
        # A single-file model: Azure ML puts it directly in AZUREML_MODEL_DIR.
        (root / "model.pkl").write_bytes(b"weights")
        models = (root / "model.pkl",)
    return Project(
        root=root, entry_script=root / "score.py", conda_file=conda_file, model_paths=models
    )


def check(project: Project, source: str) -> list[Diagnostic]:
    path = project.root / "score.py"
    path.write_text(source, encoding="utf-8")
    return analyze_document(path, source, project=project)


def only(diagnostics: list[Diagnostic], code: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.code == code]


def position(diagnostic: Diagnostic) -> tuple[int, int]:
    return diagnostic.range.start.line, diagnostic.range.start.character


def apply_fix(project: Project, source: str, fix: Fix) -> tuple[str, str | None]:
    """The entry script and conda file texts after the fix (the conda file is written back)."""
    script = project.root / "score.py"
    own = [e for e in fix.edits if e.path is None or e.path == script]
    fixed = apply_edits(source, own)
    conda_edits = [e for e in fix.edits if e.path is not None and e.path != script]
    conda_text = None
    if conda_edits:
        assert project.conda_file is not None
        assert all(e.path == project.conda_file for e in conda_edits)
        conda_text = apply_edits(project.conda_file.read_text(encoding="utf-8"), conda_edits)
        project.conda_file.write_text(conda_text, encoding="utf-8")
    return fixed, conda_text


def assert_fixed(
    project: Project, before: list[Diagnostic], after_source: str, code: str
) -> list[Diagnostic]:
    """After the fix: the diagnostic is gone and no error appears that was not there before."""
    after = check(project, after_source)
    assert only(after, code) == [], [d.message for d in only(after, code)]
    errors_before = {d.code for d in before if d.severity is Severity.ERROR}
    new_errors = [d for d in after if d.severity is Severity.ERROR and d.code not in errors_before]
    assert new_errors == [], [(d.code, d.message) for d in new_errors]
    return after
