"""Entry-script rules stay where they mean something (issue 8, classes 5 and 6): names local to
run() are not globals (AML106), code the server never runs is not checked for model files
(AML113), and batch drivers get only the rules that apply to them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from amldebug.analysis import analyze_document, analyze_in_context
from amldebug.analysis.context import AnalysisContext
from amldebug.analysis.entry_script import is_batch_driver
from amldebug.diagnostics import Diagnostic
from amldebug.project import FileKind, Project


def dedent(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def check(root: Path, source: str, **context: object) -> list[Diagnostic]:
    path = root / "score.py"
    path.write_text(source, encoding="utf-8")
    project = Project(root=root, entry_script=path)
    if not context:  # as the engine sees it: the batch shape read from run()
        return analyze_document(path, source, project=project, kind=FileKind.ENTRY_SCRIPT)
    given = AnalysisContext(path=path, project=project, **context)  # type: ignore[arg-type]
    return analyze_in_context(FileKind.ENTRY_SCRIPT, source, given)


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


# --- AML106: names local to run() ----------------------------------------------------------------

LOCAL_NAMES_IN_RUN = """
import json
import os

import joblib

model = None


def init():
    global model
    data = json.load(open(os.path.join(os.path.dirname(__file__), "settings.json")))
    labels = data["labels"]
    error = None
    row = 0
    scale = 1.0
    model = joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.pkl"))


def run(data, labels=None):
    try:
        rows = [row for row in json.loads(data)["data"]]
        scaled = list(map(lambda scale: scale * 2, rows))
        return {"predictions": model.predict(scaled).tolist(), "labels": labels}
    except ValueError as error:
        return {"error": "bad input"}
"""


def test_parameters_and_other_names_local_to_run_are_not_missing_globals(tmp_path: Path) -> None:
    # init() has locals named like run()'s parameters, comprehension and lambda variables and its
    # except name: each is local to run(), so run() never reads init()'s value.
    assert "AML106" not in codes(check(tmp_path, dedent(LOCAL_NAMES_IN_RUN)))


def test_a_global_init_forgot_still_fires_beside_local_names(tmp_path: Path) -> None:
    source = dedent(LOCAL_NAMES_IN_RUN).replace("    global model\n", "")
    found = [d for d in check(tmp_path, source) if d.code == "AML106"]
    assert [d.message.split("'")[1] for d in found] == ["model"]


# --- AML113: code the server never runs ----------------------------------------------------------

LOCAL_HARNESS = """
import json
import os

import joblib

model = None


def init():
    global model
    model = joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.pkl"))


def run(raw_data):
    return {"predictions": model.predict(json.loads(raw_data)["data"]).tolist()}


def load_local_model():
    return joblib.load("outputs/local_model.pkl")


if __name__ == "__main__":
    model = load_local_model()
    other = joblib.load("outputs/other_model.joblib")
    print(run(json.dumps({"data": [[1, 2, 3]]})))
"""


def test_model_paths_of_a_local_test_harness_are_not_checked(tmp_path: Path) -> None:
    # Neither file exists; both are loaded only by the `__main__` block (directly or through a
    # function only it calls), which the inference server never runs.
    assert "AML113" not in codes(check(tmp_path, dedent(LOCAL_HARNESS)))


def test_a_helper_the_server_also_calls_is_still_checked(tmp_path: Path) -> None:
    source = dedent(LOCAL_HARNESS).replace(
        "def run(raw_data):\n", "def run(raw_data):\n    load_local_model()\n"
    )
    found = [d for d in check(tmp_path, source) if d.code == "AML113"]
    assert len(found) == 1 and "'outputs/local_model.pkl'" in found[0].message


def test_loading_at_import_for_schema_samples_is_the_design(tmp_path: Path) -> None:
    source = dedent(
        """
        import os

        import mlflow
        import pandas as pd
        from inference_schema.parameter_types.pandas_parameter_type import PandasParameterType
        from inference_schema.schema_decorators import input_schema

        model_dir = os.path.join(os.environ["AZUREML_MODEL_DIR"], "model")
        sample = pd.read_json(os.path.join(model_dir, "sample.json"))
        model = mlflow.pyfunc.load_model(model_dir)


        def init():
            pass


        @input_schema("data", PandasParameterType(sample))
        def run(data):
            return model.predict(data).tolist()
        """
    )
    assert "AML115" not in codes(check(tmp_path, source))
    # With a literal schema sample, the load at import is the usual slip.
    literal = source.replace(
        "PandasParameterType(sample)", 'PandasParameterType(pd.DataFrame({"a": [1]}))'
    )
    assert "AML115" in codes(check(tmp_path, literal))


# --- Batch drivers -------------------------------------------------------------------------------

BATCH_DRIVER = """
import os

import joblib
import pandas as pd


def init():
    model = joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.pkl"))


def run(mini_batch):
    results = []
    for path in mini_batch:
        frame = pd.read_csv(path)
        results.append(model.predict(frame))
    return model.predict(pd.concat([pd.read_csv(p) for p in mini_batch]))
"""


@pytest.mark.parametrize(
    ("signature", "batch"),
    [
        ("run(mini_batch)", True),
        ("run(mini_batch: list[str]) -> pd.DataFrame", True),
        ("run(minibatch, context=None)", True),
        ("run(batch)", True),
        ("run(file_list)", True),
        ("run(raw_data)", False),
        ("run(data, request_headers)", False),
        ("run()", False),
    ],
)
def test_is_batch_driver_reads_the_shape_of_run(signature: str, batch: bool) -> None:
    assert (
        is_batch_driver(
            f"import pandas as pd\n\n\ndef init():\n    pass\n\n\ndef {signature}:\n    return []\n"
        )
        is batch
    )


def test_is_batch_driver_is_false_without_run_or_on_a_syntax_error() -> None:
    assert not is_batch_driver("def init():\n    pass\n")
    assert not is_batch_driver("def run(mini_batch)\n    pass\n")


def test_batch_driver_gets_only_batch_rules(tmp_path: Path) -> None:
    # An online script would get AML114 (run() returns an array) too; a batch driver's return
    # value is written to a file by the batch runtime, not serialised for an HTTP answer.
    found = codes(check(tmp_path, dedent(BATCH_DRIVER)))
    assert found == ["AML106"]


def test_entry_kind_batch_from_discovery_wins_over_the_shape(tmp_path: Path) -> None:
    source = dedent(BATCH_DRIVER).replace("mini_batch", "inputs")
    assert "AML114" in codes(check(tmp_path, source))
    assert codes(check(tmp_path, source, entry_kind="batch")) == ["AML106"]


def test_batch_driver_still_needs_init_and_run(tmp_path: Path) -> None:
    source = "def run(mini_batch):\n    return mini_batch\n"
    assert codes(check(tmp_path, source)) == ["AML101"]
