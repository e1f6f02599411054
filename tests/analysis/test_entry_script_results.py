"""Entry script rules AML111-AML116 (what run() returns, how the model is found and loaded, what
is imported), the debug-only refactor, and odd inputs: each fires where the rule table says,
stays quiet on correct code, and each quick fix removes its diagnostic."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from tests.support.entry_scripts import (
    CONDA,
    GOOD,
    apply_fix,
    assert_fixed,
    check,
    dedent,
    make_project,
    only,
    position,
)

from amldebug.analysis import analyze_document
from amldebug.analysis.context import AnalysisContext
from amldebug.analysis.entry_script import analyze_entry_script, refactors_at
from amldebug.diagnostics import Severity, apply_edits
from amldebug.project import Project

# --- AML111 --------------------------------------------------------------------------------------

LEAK = """\
import json
import logging


def init():
    pass


def run(raw_data):
    try:
        return json.loads(raw_data)
    except Exception as e:
{handler}
"""


def test_exception_text_returned_from_run(tmp_path: Path) -> None:
    source = LEAK.format(handler='        return {"error": str(e)}')
    (found,) = only(check(make_project(tmp_path), source), "AML111")
    assert (found.severity, position(found)) == (Severity.WARNING, (12, 8))
    assert "exception 'e'" in found.message


def test_exception_logged_and_raised_is_fine(tmp_path: Path) -> None:
    source = LEAK.format(handler='        logging.exception("scoring failed")\n        raise')
    assert only(check(make_project(tmp_path), source), "AML111") == []


# --- AML112 / AML113 -----------------------------------------------------------------------------


def test_get_model_path(tmp_path: Path) -> None:
    source = GOOD.replace(
        'model_dir = os.getenv("AZUREML_MODEL_DIR")', 'model_dir = Model.get_model_path("model")'
    ).replace("import joblib\n", "import joblib\nfrom azureml.core.model import Model\n")
    project = make_project(tmp_path, conda=CONDA + "      - azureml-core\n")
    diagnostics = check(project, source)
    (found,) = only(diagnostics, "AML112")
    assert (found.severity, position(found)) == (Severity.WARNING, (11, 16))
    assert "Model.get_model_path('model')" in found.message
    # the model folder is named "model": no AML113
    assert only(diagnostics, "AML113") == []


def test_model_dir_is_fine(tmp_path: Path) -> None:
    assert only(check(make_project(tmp_path), GOOD), "AML112") == []


def test_get_model_path_with_a_name_no_model_has(tmp_path: Path) -> None:
    source = (
        "from azureml.core import Model\n\n\n"
        'def init():\n    Model.get_model_path("sklearn_mnist")\n'
    )
    source += "\n\ndef run(raw_data):\n    return 1\n"
    project = make_project(tmp_path, conda=None)
    (found,) = only(check(project, source), "AML113")
    assert position(found) == (4, 25)
    assert "'sklearn_mnist'" in found.message and "model" in found.message


def test_model_file_missing_in_the_model_folder(tmp_path: Path) -> None:
    source = GOOD.replace('"model.pkl"', '"modle.pkl"')
    (found,) = only(check(make_project(tmp_path), source), "AML113")
    assert (found.severity, position(found)) == (Severity.WARNING, (11, 48))
    assert "'modle.pkl'" in found.message and "AZUREML_MODEL_DIR" in found.message


def test_model_file_in_the_model_folder_or_unknown_model_is_fine(tmp_path: Path) -> None:
    assert only(check(make_project(tmp_path), GOOD), "AML113") == []
    source = GOOD.replace('"model.pkl"', '"modle.pkl"')
    # No model path known: nothing to compare with, so no warning.
    assert only(check(make_project(tmp_path, with_model=False), source), "AML113") == []


def _folder_model_project(root: Path) -> Project:
    (root / "model").mkdir()
    (root / "model" / "model.pkl").write_bytes(b"weights")
    return replace(make_project(root, with_model=False), model_paths=(root / "model",))


def test_v2_layout_with_the_model_folder_name_is_found(tmp_path: Path) -> None:
    """`model.path: model` (a folder): Azure ML keeps its name, $AZUREML_MODEL_DIR/model/..."""
    source = GOOD.replace('"model.pkl"', '"model", "model.pkl"')
    assert only(check(_folder_model_project(tmp_path), source), "AML113") == []


def test_a_folder_models_contents_are_not_directly_in_the_model_dir(tmp_path: Path) -> None:
    (found,) = only(check(_folder_model_project(tmp_path), GOOD), "AML113")
    assert "keeps the folder's name" in found.message and "'model/model.pkl'" in found.message


def test_relative_model_file_next_to_the_script(tmp_path: Path) -> None:
    source = dedent(
        """
        import pickle
        from pathlib import Path


        def init():
            global model
            with open("encoder.pkl", "rb") as handle:
                model = pickle.load(handle)
            weights = Path(__file__).parent / "weights.pt"


        def run(raw_data):
            return raw_data
        """
    )
    project = make_project(tmp_path, conda=None)
    opened, joined = only(check(project, source), "AML113")
    assert position(opened) == (6, 14)
    assert "'encoder.pkl'" in opened.message and "/var/azureml-app" in opened.message
    assert position(joined) == (8, 38)
    (tmp_path / "encoder.pkl").write_bytes(b"x")
    (tmp_path / "weights.pt").write_bytes(b"x")
    assert only(check(project, source), "AML113") == []


# --- AML114 --------------------------------------------------------------------------------------

ARRAY = """\
import json

import numpy as np


def init():
    global model
    model = None


def run(raw_data):
    data = np.array(json.loads(raw_data)["data"])
{body}
"""


@pytest.mark.parametrize(
    ("body", "where", "fixed_line"),
    [
        ("    return model.predict(data)", (12, 11), "    return model.predict(data).tolist()"),
        (
            "    result = model.predict(data)\n    return {'result': result}",
            (13, 22),
            "    return {'result': result.tolist()}",
        ),
        ("    return json.dumps(data)", (12, 22), "    return json.dumps(data.tolist())"),
    ],
)
def test_run_returns_an_array(
    tmp_path: Path, body: str, where: tuple[int, int], fixed_line: str
) -> None:
    project = make_project(tmp_path, conda=CONDA + "      - numpy\n")
    source = ARRAY.format(body=body)
    before = check(project, source)
    (found,) = only(before, "AML114")
    assert (found.severity, position(found)) == (Severity.WARNING, where)
    assert "JSON" in found.message and ".tolist()" in found.message
    fixed, _ = apply_fix(project, source, found.fixes[0])
    assert fixed_line in fixed.splitlines()
    assert_fixed(project, before, fixed, "AML114")


def test_run_returning_lists_is_fine(tmp_path: Path) -> None:
    project = make_project(tmp_path, conda=CONDA + "      - numpy\n")
    source = ARRAY.format(
        body="    result = model.predict(data)\n    result = result.tolist()\n    return result"
    )
    assert only(check(project, source), "AML114") == []
    decorated = ARRAY.format(body="    return model.predict(data)").replace(
        "def run", "@output_schema(NumpyParameterType(sample))\ndef run"
    )
    assert only(check(project, decorated), "AML114") == []


# --- AML115 --------------------------------------------------------------------------------------


def test_model_loaded_at_import(tmp_path: Path) -> None:
    source = GOOD.replace("model = None\n", 'model = joblib.load("model/model.pkl")\n')
    (found,) = only(check(make_project(tmp_path), source), "AML115")
    assert (found.severity, position(found)) == (Severity.WARNING, (5, 8))
    assert "joblib.load()" in found.message and "init()" in found.message


def test_model_loaded_in_init_or_under_main_guard_is_fine(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert only(check(project, GOOD), "AML115") == []
    guarded = GOOD + '\n\nif __name__ == "__main__":\n    model = joblib.load("model/model.pkl")\n'
    assert only(check(project, guarded), "AML115") == []


# --- AML116 --------------------------------------------------------------------------------------


def test_import_not_in_the_conda_file_and_the_fix_adds_it_to_pip(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    source = "import cv2\n" + GOOD
    before = check(project, source)
    (found,) = only(before, "AML116")
    assert (found.severity, position(found)) == (Severity.ERROR, (0, 7))
    assert "opencv-python" in found.message and "conda.yml" in found.message
    assert "CrashLoopBackOff" in found.message
    fixed, conda_text = apply_fix(project, source, found.fixes[0])
    assert fixed == source
    assert conda_text == CONDA + "      - opencv-python-headless\n"
    assert_fixed(project, before, fixed, "AML116")


def test_from_import_in_run_names_the_module(tmp_path: Path) -> None:
    source = GOOD.replace(
        "    data = json.loads", "    from PIL import Image\n\n    data = json.loads"
    )
    (found,) = only(check(make_project(tmp_path), source), "AML116")
    assert position(found) == (15, 9)
    assert "'PIL'" in found.message and "pillow" in found.message and "HTTP 500" in found.message


def test_fix_without_a_pip_section_adds_one(tmp_path: Path) -> None:
    conda = "name: scoring\ndependencies:\n  - python=3.10\n  - scikit-learn\n"
    project = make_project(tmp_path, conda=conda)
    source = "import yaml\n" + GOOD
    before = check(project, source)
    (found,) = only(before, "AML116")
    assert "pyyaml" in found.message
    _, conda_text = apply_fix(project, source, found.fixes[0])
    assert conda_text == conda + "  - pip\n  - pip:\n      - pyyaml\n"
    assert_fixed(project, before, source, "AML116")


def test_imports_provided_directly_transitively_or_locally_are_fine(tmp_path: Path) -> None:
    conda = CONDA.replace("scikit-learn==1.3.2", "pandas").replace(
        "azureml-inference-server-http==1.5.1", "azureml-defaults"
    )
    project = make_project(tmp_path, conda=conda)
    (tmp_path / "helpers.py").write_text("X = 1\n")
    source = dedent(
        """
        import os
        import json
        import numpy as np
        import pandas
        import flask
        import dateutil.parser
        from azureml.core.model import Model
        import helpers

        try:
            import ujson
        except ImportError:
            ujson = None


        def init():
            pass


        def run(raw_data):
            return raw_data
        """
    )
    assert only(check(project, source), "AML116") == []


def test_no_conda_file_means_no_import_check(tmp_path: Path) -> None:
    source = "import cv2\n" + GOOD
    assert only(check(make_project(tmp_path, conda=None), source), "AML116") == []


def test_unsaved_conda_text_is_what_counts(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    source = "import cv2\n" + GOOD
    assert project.conda_file is not None
    overlay = {project.conda_file: CONDA + "      - opencv-python-headless\n"}
    (tmp_path / "score.py").write_text(source)
    diagnostics = analyze_document(tmp_path / "score.py", source, project=project, overlay=overlay)
    assert only(diagnostics, "AML116") == []


def test_requirements_file_referenced_from_pip(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("# scoring\nopencv-python-headless==4.9\n")
    project = make_project(tmp_path, conda=CONDA + "      - -r requirements.txt\n")
    assert only(check(project, "import cv2\n" + GOOD), "AML116") == []


# --- The debug-only refactor ---------------------------------------------------------------------


def test_debug_try_except_refactor_on_the_def_run_line(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    context = AnalysisContext(path=tmp_path / "score.py", project=project)
    run_line = GOOD.splitlines().index("def run(raw_data):")
    assert refactors_at(GOOD, run_line - 1, context) == []
    (fix,) = refactors_at(GOOD, run_line, context)
    assert fix.kind == "refactor"
    assert "debug only" in fix.title.lower()
    fixed = apply_edits(GOOD, fix.edits)
    assert fixed.endswith(
        "def run(raw_data):\n"
        "    # Debug only: returns the error to the caller; remove before deploying to "
        "production.\n"
        "    try:\n"
        '        data = json.loads(raw_data)["data"]\n'
        '        return {"predictions": model.predict(data).tolist()}\n'
        "    except Exception as error:\n"
        "        import traceback\n\n"
        '        return {"error": repr(error), "traceback": traceback.format_exc()}\n'
    )
    after = check(project, fixed)
    # It parses, and the leak it introduces on purpose is pointed out.
    assert [d.code for d in after] == ["AML111"]
    assert refactors_at(fixed, run_line, context) == []  # already wrapped


def test_refactor_keeps_multi_line_strings_as_they_are(tmp_path: Path) -> None:
    source = (
        'def init():\n    pass\n\n\ndef run(raw_data):\n    text = """a\nb"""\n    return text\n'
    )
    context = AnalysisContext(
        path=tmp_path / "score.py", project=make_project(tmp_path, conda=None)
    )
    (fix,) = refactors_at(source, 4, context)
    fixed = apply_edits(source, fix.edits)
    assert '        text = """a\nb"""\n' in fixed
    compile(fixed, "score.py", "exec")


# --- Robustness ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "",
        "\n\n",
        "x = (",
        "def init(:\n",
        "\ufeffdef init():\n    pass\n",
        "é = 1\ndef run(a): return é\n",
    ],
)
def test_odd_inputs_never_raise(tmp_path: Path, source: str) -> None:
    context = AnalysisContext(path=tmp_path / "score.py", project=make_project(tmp_path))
    diagnostics = analyze_entry_script(source, context)
    assert all(d.code.startswith("AML1") for d in diagnostics)
    for line in range(3):
        refactors_at(source, line, context)


def test_positions_count_characters_not_bytes(tmp_path: Path) -> None:
    source = (
        'import debugpy\n\n\ndef init():\n    é = "ü"; debugpy.listen(5678)\n\n\n'
        "def run(d):\n    return d\n"
    )
    (found,) = only(check(make_project(tmp_path, conda=None), source), "AML109")
    assert position(found) == (4, 13)
    assert found.fixes == ()  # shares its line with other code: no line edit offered


def test_get_model_path_with_a_planned_fallback_is_not_reported(tmp_path: Path) -> None:
    # A held-out project: the lookup is tried, and a model shipped with the code is the fallback.
    source = dedent("""
        import os

        from azureml.core.model import Model
        from azureml.exceptions import ModelNotFoundException

        model = None


        def init():
            global model
            try:
                path = Model.get_model_path(os.environ["MODEL_NAME"])
            except ModelNotFoundException:
                path = os.path.join(os.path.dirname(__file__), "outputs", "model.pkl")
            model = path


        def run(raw_data):
            return {"model": model}
        """)
    project = make_project(tmp_path, conda=CONDA + "      - azureml-core\n")
    assert only(check(project, source), "AML112") == []
    unguarded = source.replace("ModelNotFoundException:", "KeyError:")
    assert len(only(check(project, unguarded), "AML112")) == 1
