"""AML113 judged against the same model layout the debug container reproduces, for the four shapes
(v2 folder, v2 file, v1 one model, v1 several models).

The score.py texts are the ones tests/containers/test_fidelity_docker.py runs in a real container,
where each loads its model: here AML113 must say nothing about them, and must fire when the path
is written the old way (a folder's contents straight in AZUREML_MODEL_DIR) or misspelt. With
several models AZUREML_MODEL_DIR holds `<name>/<version>` per model, whose registered names
amldebug does not know: not judged (docs/rules.md, AML113), and that limit is pinned here too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.model_shapes import SHAPES, V1_ONE, V1_SEVERAL, V2_FILE, V2_FOLDER, ModelShape

from amldebug.analysis import analyze_document
from amldebug.diagnostics import Diagnostic
from amldebug.project import discover_project


def aml113(root: Path, shape: ModelShape, score: str | None = None) -> list[Diagnostic]:
    shape.write(root, shape.name)
    if score is not None:
        (root / "score.py").write_text(score)
    project = discover_project(root, model_paths=shape.model_paths)
    path = root / "score.py"
    found = analyze_document(path, path.read_text(), project=project)
    return [d for d in found if d.code == "AML113"]


@pytest.mark.parametrize("shape", SHAPES, ids=[shape.name for shape in SHAPES])
def test_the_samples_that_load_in_the_container_are_not_flagged(
    shape: ModelShape, tmp_path: Path
) -> None:
    assert aml113(tmp_path, shape) == []


def test_v2_folder_opened_without_its_folder_name_is_flagged(tmp_path: Path) -> None:
    # The layout amldebug used to build (the folder's contents straight in AZUREML_MODEL_DIR).
    score = V2_FOLDER.score.replace('"model/weights.json"', '"weights.json"')
    (found,) = aml113(tmp_path, V2_FOLDER, score)
    assert "'weights.json'" in found.message
    assert "'model/weights.json' under AZUREML_MODEL_DIR" in found.message


def test_v2_file_under_a_folder_name_it_does_not_have_is_flagged(tmp_path: Path) -> None:
    # A single file sits directly in AZUREML_MODEL_DIR: its local folder is not kept.
    score = V2_FILE.score.replace('"weights.json"', '"models/weights.json"')
    (found,) = aml113(tmp_path, V2_FILE, score)
    assert "'models/weights.json'" in found.message


def test_v1_one_model_opened_without_its_registered_folder_is_flagged(tmp_path: Path) -> None:
    score = V1_ONE.score.replace('"clf", "weights.json"', '"weights.json"')
    (found,) = aml113(tmp_path, V1_ONE, score)
    assert "'clf/weights.json' under AZUREML_MODEL_DIR" in found.message


def test_v1_one_model_misspelt_is_flagged(tmp_path: Path) -> None:
    score = V1_ONE.score.replace('"clf", "weights.json"', '"clf", "weigths.json"')
    (found,) = aml113(tmp_path, V1_ONE, score)
    assert "'clf/weigths.json'" in found.message


def test_v1_several_models_are_not_judged_even_when_misspelt(tmp_path: Path) -> None:
    # The registered names (`<name>/<version>`) are the user's choice at Model.register time.
    score = V1_SEVERAL.score.replace('name + ".json"', '"weights.json"')
    assert aml113(tmp_path, V1_SEVERAL, score) == []
