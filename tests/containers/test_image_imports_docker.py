"""AML120 against the real Docker engine: a project whose entry script imports a module the conda
file does not provide builds; `amldebug build` reports the import line, the probe found it missing
with the image's own Python, local modules count as present, and `amldebug check` shows the same
diagnostic until the script changes."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.docker_engine import BASE_IMAGE, engine_or_skip

from amldebug.cli.main import main
from amldebug.containers.docker_engine import DockerEngine
from amldebug.containers.image_imports import cache_file

pytestmark = [pytest.mark.docker, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
WORKING = REPO / "examples" / "working-project"
TAG = f"amldebug-test-imports:{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def engine() -> Iterator[DockerEngine]:
    engine = engine_or_skip()
    yield engine
    for container in engine.containers_with_label("amldebug.role=import-probe"):
        container.remove(force=True)
    if engine.image_exists(TAG):
        engine.remove_image(TAG)
    engine.close()


def test_a_missing_import_lands_on_its_line_after_a_build(
    engine: DockerEngine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    project = tmp_path / "project"
    shutil.copytree(WORKING, project, ignore=shutil.ignore_patterns(".vscode", "__pycache__"))
    (project / "helpers.py").write_text("SCALE = 1\n")
    script = project / "score.py"
    original = script.read_text()
    # lightgbm: nothing in the conda file brings it; flask: the inference server does; helpers:
    # the project's own module; json: the standard library.
    script.write_text("import flask\nimport lightgbm\nimport helpers\n" + original)

    code = main(
        [
            "build",
            str(project),
            "--base-image",
            BASE_IMAGE,
            "--tag",
            TAG,
            "--ca-bundle",
            "auto",
            "--quiet",
        ]
    )
    assert code == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "AML120" in line]
    assert len(lines) == 1, err
    assert lines[0].startswith("score.py:2:8: AML120 error: 'lightgbm' is not importable")

    record = json.loads(cache_file().read_text())["records"][-1]
    assert record["missing"] == ["lightgbm"]
    assert record["image_id"] == engine.image_id(TAG)
    assert record["python"].startswith("3.")
    assert not engine.containers_with_label("amldebug.role=import-probe")

    code = main(["check", str(project), "--format", "json"])
    found = [d for d in json.loads(capsys.readouterr().out) if d["code"] == "AML120"]
    assert [(Path(d["file"]).name, d["line"]) for d in found] == [("score.py", 2)]

    script.write_text(script.read_text() + "\n# edited after the build\n")
    main(["check", str(project), "--format", "json"])
    assert not [d for d in json.loads(capsys.readouterr().out) if d["code"] == "AML120"]
