"""Entry-script mistakes the first rules missed (issue 8, "What nothing caught"): exception text
returned through variables (AML111), undefined names (AML117), `(body, status)` tuples (AML118),
numpy values inside returned containers (AML114) and `sklearn.externals.joblib` (AML119). Each
fires on the mistake and stays quiet on the correct version."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from amldebug.analysis.context import AnalysisContext
from amldebug.analysis.entry_script import analyze_entry_script
from amldebug.diagnostics import Diagnostic, Severity, apply_edits
from amldebug.project import Project

INIT = """
import json
import os
import traceback

import joblib
import numpy as np

model = None


def init():
    global model
    model = joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.pkl"))

"""


def dedent(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def check(root: Path, source: str, conda: str | None = None) -> list[Diagnostic]:
    path = root / "score.py"
    path.write_text(source, encoding="utf-8")
    conda_file = None
    if conda is not None:
        conda_file = root / "conda.yml"
        conda_file.write_text(conda, encoding="utf-8")
    project = Project(root=root, entry_script=path, conda_file=conda_file)
    return analyze_entry_script(source, AnalysisContext(path=path, project=project))


def only(diagnostics: list[Diagnostic], code: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.code == code]


def line_of(source: str, diagnostic: Diagnostic) -> str:
    return source.split("\n")[diagnostic.range.start.line].strip()


def script(run_body: str) -> str:
    return dedent(INIT) + "\ndef run(raw_data):\n" + textwrap.indent(dedent(run_body), "    ")


# --- AML111: exception text through variables, containers, f-strings, json.dumps ----------------


@pytest.mark.parametrize(
    ("body", "returned"),
    [
        (
            """
            try:
                result = model.predict(json.loads(raw_data)["data"]).tolist()
            except Exception as e:
                result = str(e)
            return json.dumps({"error": result})
            """,
            'return json.dumps({"error": result})',
        ),
        (
            """
            try:
                return model.predict(json.loads(raw_data)["data"]).tolist()
            except ValueError as error:
                return {"status": "failed", "detail": f"bad input: {error}"}
            """,
            'return {"status": "failed", "detail": f"bad input: {error}"}',
        ),
        (
            """
            response = {}
            try:
                response["predictions"] = model.predict(json.loads(raw_data)["data"]).tolist()
            except Exception:
                response["trace"] = traceback.format_exc()
            return response
            """,
            "return response",
        ),
        (
            """
            errors = []
            try:
                return model.predict(json.loads(raw_data)["data"]).tolist()
            except Exception as exc:
                errors.append(repr(exc))
            return json.dumps({"errors": errors})
            """,
            'return json.dumps({"errors": errors})',
        ),
    ],
)
def test_exception_text_followed_to_the_return(tmp_path: Path, body: str, returned: str) -> None:
    source = script(body)
    (found,) = only(check(tmp_path, source), "AML111")
    assert found.severity is Severity.WARNING
    assert line_of(source, found) == returned


@pytest.mark.parametrize(
    "body",
    [
        # Logged and re-raised: the text never reaches the caller.
        """
        try:
            result = model.predict(json.loads(raw_data)["data"]).tolist()
        except Exception as e:
            message = f"scoring failed: {e}"
            print(message)
            raise
        return {"predictions": result}
        """,
        # Only the exception's type name, and a generic message.
        """
        try:
            return model.predict(json.loads(raw_data)["data"]).tolist()
        except ValueError as e:
            return {"error": "invalid input", "kind": type(e).__name__}
        """,
        # A variable reassigned with clean data before it is returned.
        """
        detail = None
        try:
            data = json.loads(raw_data)["data"]
        except Exception as e:
            detail = str(e)
        detail = "ok" if detail is None else "invalid input"
        return {"detail": detail, "predictions": model.predict(data).tolist()}
        """,
    ],
)
def test_exception_text_that_does_not_reach_the_caller_is_fine(tmp_path: Path, body: str) -> None:
    assert only(check(tmp_path, script(body)), "AML111") == []


# --- AML117: undefined names ---------------------------------------------------------------------

UNDEFINED = """
import json
import os

import joblib
import numpy

model = None


def init():
    global model
    joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.pkl"))
    scaler = StandardScaler()


def run(raw_data):
    data = np.array(json.loads(raw_data)["data"])
    return predictor.predict(data).tolist()
"""


def test_undefined_names_are_errors_where_they_are_read(tmp_path: Path) -> None:
    source = dedent(UNDEFINED)
    found = only(check(tmp_path, source), "AML117")
    assert [(d.message.split("'")[1], d.severity) for d in found] == [
        ("StandardScaler", Severity.ERROR),
        ("np", Severity.ERROR),
        ("predictor", Severity.ERROR),
    ]
    scaler, np_read, predictor = found
    assert "in init(), so the worker never boots" in scaler.message
    assert "every request" in np_read.message
    # The model loaded in init() and dropped is the likely story behind 'predictor'.
    assert "init() calls joblib.load() on line 12 but never assigns the result" in (
        predictor.message
    )
    start = predictor.range.start
    assert source.split("\n")[start.line][start.character :].startswith("predictor.predict")


def test_names_defined_somewhere_the_server_sees_are_fine(tmp_path: Path) -> None:
    source = dedent(
        """
        from __future__ import annotations

        import json
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            import pandas as pd


        def init():
            global model, labels
            import joblib

            model = joblib.load("model.pkl")
            labels = ["a", "b"]


        def run(raw_data: str) -> "pd.DataFrame":
            frame: pd.DataFrame = helper(json.loads(raw_data))
            return [labels[i] for i in model.predict(frame)]


        def helper(data):
            return data


        if __name__ == "__main__":
            init()
            print(run(sample_request))
        """
    )
    assert only(check(tmp_path, source), "AML117") == []


def test_star_imports_and_init_locals_leave_names_to_other_rules(tmp_path: Path) -> None:
    star = "from helpers import *\n\n\ndef init():\n    pass\n\n\ndef run(raw_data):\n"
    star += "    return go(raw_data)\n"
    assert only(check(tmp_path, star), "AML117") == []
    # init() assigns `model` without `global`: AML106 reports it with its fix, not AML117.
    local = "def init():\n    model = 1\n\n\ndef run(raw_data):\n    return model\n"
    found = check(tmp_path, local)
    assert [d.code for d in found] == ["AML106"]


# --- AML118: (body, status) tuples ---------------------------------------------------------------


def test_status_tuple_is_a_warning(tmp_path: Path) -> None:
    source = script(
        """
        data = json.loads(raw_data).get("data")
        if data is None:
            return {"error": "no data"}, 400
        return model.predict(data).tolist()
        """
    )
    (found,) = only(check(tmp_path, source), "AML118")
    assert found.severity is Severity.WARNING
    assert line_of(source, found) == 'return {"error": "no data"}, 400'
    assert "HTTP 200" in found.message and "AMLResponse(body, 400)" in found.message


def test_tuples_without_a_status_and_aml_responses_are_fine(tmp_path: Path) -> None:
    source = script(
        """
        from azureml_inference_server_http.api.aml_response import AMLResponse

        data = json.loads(raw_data).get("data")
        if data is None:
            return AMLResponse({"error": "no data"}, 400, json_str=True)
        labels = model.predict(data).tolist()
        return labels, len(labels)
        """
    )
    assert only(check(tmp_path, source), "AML118") == []


# --- AML114: numpy values inside returned containers ---------------------------------------------


@pytest.mark.parametrize(
    ("body", "flagged", "fixed"),
    [
        (
            """
            data = np.array(json.loads(raw_data)["data"])
            result = {}
            result["labels"] = model.predict(data)
            return result
            """,
            'result["labels"] = model.predict(data)',
            'result["labels"] = model.predict(data).tolist()',
        ),
        (
            """
            data = np.array(json.loads(raw_data)["data"])
            scores = []
            for row in data:
                scores.append(np.float32(row.sum()))
            return {"scores": scores}
            """,
            "scores.append(np.float32(row.sum()))",
            "scores.append(np.float32(row.sum()).tolist())",
        ),
        (
            """
            data = np.array(json.loads(raw_data)["data"])
            best = np.argmax(model.predict_proba(data), axis=1)
            payload = {"best": best}
            return json.dumps(payload)
            """,
            'payload = {"best": best}',
            'payload = {"best": best.tolist()}',
        ),
    ],
)
def test_arrays_and_numpy_scalars_inside_returned_containers(
    tmp_path: Path, body: str, flagged: str, fixed: str
) -> None:
    source = script(body)
    (found,) = only(check(tmp_path, source), "AML114")
    assert line_of(source, found) == flagged
    assert "holding" in found.message
    after = apply_edits(source, list(found.fixes[0].edits))
    assert fixed in after
    assert only(check(tmp_path, after), "AML114") == []


def test_serialisable_numbers_in_containers_are_fine(tmp_path: Path) -> None:
    source = script(
        """
        data = np.array(json.loads(raw_data)["data"])
        probabilities = model.predict_proba(data)
        result = {"probability": probabilities[0][1], "mean": np.float64(data.mean())}
        result["labels"] = model.predict(data).tolist()
        return result
        """
    )
    assert only(check(tmp_path, source), "AML114") == []


# --- AML119: sklearn.externals.joblib ------------------------------------------------------------

SKLEARN_CONDA = """\
dependencies:
  - python=3.8
  - pip
  - pip:
      - azureml-defaults
      - {entry}
"""
EXTERNALS = """\
import os

from sklearn.externals import joblib


def init():
    global model
    model = joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.pkl"))


def run(raw_data):
    return model.predict(raw_data).tolist()
"""


@pytest.mark.parametrize(
    ("entry", "shown"),
    [("scikit-learn", "unpinned"), ("scikit-learn==0.24.2", "'scikit-learn==0.24.2'")],
)
def test_removed_joblib_with_a_scikit_learn_that_lacks_it(
    tmp_path: Path, entry: str, shown: str
) -> None:
    (found,) = only(check(tmp_path, EXTERNALS, SKLEARN_CONDA.format(entry=entry)), "AML119")
    assert found.severity is Severity.ERROR
    assert line_of(EXTERNALS, found) == "from sklearn.externals import joblib"
    assert shown in found.message and "ImportError" in found.message
    fixed = apply_edits(EXTERNALS, list(found.fixes[0].edits))
    assert "import joblib\n" in fixed and "sklearn.externals" not in fixed


def test_removed_joblib_is_fine_where_it_still_exists_or_is_unknown(tmp_path: Path) -> None:
    old = SKLEARN_CONDA.format(entry="scikit-learn==0.22.2")
    assert only(check(tmp_path, EXTERNALS, old), "AML119") == []
    # No conda file, or scikit-learn not declared (another package brings some version).
    assert only(check(tmp_path, EXTERNALS), "AML119") == []
    undeclared = SKLEARN_CONDA.format(entry="azureml-automl-runtime")
    assert only(check(tmp_path, EXTERNALS, undeclared), "AML119") == []
    # The usual fallback import is fine with any version.
    fallback = EXTERNALS.replace(
        "from sklearn.externals import joblib\n",
        "try:\n    from sklearn.externals import joblib\nexcept ImportError:\n    import joblib\n",
    )
    conda = SKLEARN_CONDA.format(entry="scikit-learn")
    assert only(check(tmp_path, fallback, conda), "AML119") == []
