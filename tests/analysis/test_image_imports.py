"""AML120 without a Docker engine: which imports are probed, and the record of a probe turned into
diagnostics by `check` while the script and the environment file are what was built."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from amldebug.analysis import analyze_document
from amldebug.analysis.image_imports import entry_imports
from amldebug.containers import image_imports
from amldebug.containers.image_imports import ImageImportCheck, recorded_check
from amldebug.diagnostics import Severity
from amldebug.project import FileKind, discover_project

ROOT = Path(__file__).resolve().parents[2]
WORKING = ROOT / "examples" / "working-project"

SCRIPT = textwrap.dedent("""\
    import json
    import os.path
    from sklearn.linear_model import LinearRegression
    from . import sibling
    from __future__ import annotations
    import helpers as h, lightgbm
    try:
        import orjson
    except ImportError:
        orjson = None
    if TYPE_CHECKING:
        import pandas
    if True:
        import xgboost


    def init():
        import torch
    """)


def test_entry_imports_are_the_module_level_imports_the_server_runs() -> None:
    sites = entry_imports(SCRIPT)
    assert [s.module for s in sites] == ["json", "os", "sklearn", "helpers", "lightgbm", "xgboost"]
    lightgbm = next(s for s in sites if s.module == "lightgbm")
    assert (lightgbm.range.start.line, lightgbm.range.start.character) == (5, 21)
    assert entry_imports("def broken(:\n") == ()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    target = tmp_path / "project"
    shutil.copytree(WORKING, target, ignore=shutil.ignore_patterns(".vscode", "__pycache__"))
    script = target / "score.py"
    script.write_text("import lightgbm\n" + script.read_text())
    return target


def _record(folder: Path, missing: tuple[str, ...]) -> None:
    found = discover_project(folder)
    assert found.entry_script is not None and found.conda_file is not None
    text = found.entry_script.read_text()
    image_imports._store(
        ImageImportCheck(
            image="debug:test",
            image_id="sha256:0123",
            script=str(found.entry_script.resolve()),
            script_sha256=image_imports._sha256(text),
            environment_sha256=image_imports._sha256(found.conda_file.read_text()),
            python="3.11.2",
            missing=missing,
            checked_at=1.0,
        )
    )


def _aml120(folder: Path) -> list[tuple[int, int]]:
    script = folder / "score.py"
    found = analyze_document(
        script, script.read_text(), project=discover_project(folder), kind=FileKind.ENTRY_SCRIPT
    )
    return [
        (d.range.start.line, d.range.start.character)
        for d in found
        if d.code == "AML120" and d.severity is Severity.ERROR
    ]


def test_a_recorded_probe_puts_aml120_on_the_import_line(project: Path) -> None:
    _record(project, ("lightgbm",))
    assert _aml120(project) == [(0, 7)]


def test_the_record_no_longer_applies_once_script_or_environment_changed(project: Path) -> None:
    _record(project, ("lightgbm",))
    conda = project / "conda.yml"
    conda.write_text(conda.read_text() + "      - lightgbm==4.3.0\n")
    assert _aml120(project) == []
    script = project / "score.py"
    found = discover_project(project)
    assert recorded_check(script, script.read_text() + "\n", found) is None


def test_nothing_is_reported_without_a_record_or_when_nothing_is_missing(project: Path) -> None:
    assert _aml120(project) == []
    _record(project, ())
    assert _aml120(project) == []
