"""What `amldebug build` / `amldebug up` say about conda entries the debug image leaves out
(issue 10, item 6): the python= pin is no missing package, other entries are said plainly."""

from __future__ import annotations

from pathlib import Path

import pytest

from amldebug.cli.container_report import TerminalReporter
from amldebug.containers.dockerfile import build_notes, translate_conda_to_pip
from amldebug.project import discover_project

CONDA = """name: env
dependencies:
  - python=3.11
  - libgcc-ng
  - pip
  - pip:
      - numpy==1.26.4
"""


def _untranslated(tmp_path: Path):
    conda = tmp_path / "conda.yml"
    conda.write_text(CONDA)
    return translate_conda_to_pip(CONDA, conda).untranslated, discover_project(tmp_path)


def test_the_python_pin_gets_no_note(tmp_path: Path):
    untranslated, project = _untranslated(tmp_path)
    notes = build_notes(untranslated, project)
    assert not any("python" in note for note in notes)
    assert not any(note.startswith("not installed") for note in notes)


def test_a_conda_only_package_is_named_with_its_line_and_why(tmp_path: Path):
    untranslated, project = _untranslated(tmp_path)
    assert build_notes(untranslated, project) == [
        "conda.yml:4: 'libgcc-ng' is left out of the debug image: "
        "a conda-only (non-Python) package with no pip equivalent."
    ]


def test_the_build_log_stream_does_not_repeat_the_plan_notes(capsys: pytest.CaptureFixture[str]):
    reporter = TerminalReporter()
    reporter.log(
        "amldebug: conda.yml:4: 'libgcc-ng' is left out of the debug image: a conda-only package."
    )
    reporter.log("Step 3/9 : RUN sh install.sh")
    assert capsys.readouterr().err == "Step 3/9 : RUN sh install.sh\n"


def test_the_build_plan_says_the_same_for_the_editor(tmp_path: Path):
    """The plan's notes reach the editor's Build channel: no `python=` line, plain words."""
    untranslated, _ = _untranslated(tmp_path)
    notes = build_notes(untranslated)
    assert notes == [
        "conda.yml:4: 'libgcc-ng' is left out of the debug image: "
        "a conda-only (non-Python) package with no pip equivalent."
    ]
