"""Entry script rules AML101-AML119: each fires where the rule table says, stays quiet on correct
code, and each quick fix, applied, removes its diagnostic without introducing an error."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from amldebug.analysis import analyze_document
from amldebug.analysis.context import AnalysisContext
from amldebug.analysis.entry_script import RULES, analyze_entry_script, refactors_at
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


def test_the_good_script_has_no_diagnostics(tmp_path: Path) -> None:
    assert check(make_project(tmp_path), GOOD) == []


def test_every_rule_is_documented() -> None:
    codes = [rule.code for rule in RULES]
    assert codes == sorted(codes)
    assert set(codes) == {f"AML{n}" for n in (*range(101, 110), *range(111, 120))}
    for rule in RULES:
        assert rule.name and rule.name == rule.name.lower() and " " not in rule.name
        assert rule.summary and rule.why and rule.fix
        assert "```" in rule.example, rule.code


# --- AML101 / AML102 -----------------------------------------------------------------------------


def test_missing_init_fires_on_line_one_and_the_stub_fixes_it(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    source = "import json\n\n\ndef run(raw_data):\n    return json.loads(raw_data)\n"
    before = check(project, source)
    (found,) = only(before, "AML101")
    assert found.severity is Severity.ERROR
    assert position(found) == (0, 0)
    assert "init()" in found.message
    fixed, _ = apply_fix(project, source, found.fixes[0])
    assert "\n\n\ndef init():\n" in fixed
    assert fixed.startswith(source)
    assert_fixed(project, before, fixed, "AML101")


def test_missing_run_fires_and_the_stub_takes_raw_data(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    source = "def init():\n    pass\n"
    before = check(project, source)
    (found,) = only(before, "AML102")
    assert (found.severity, position(found)) == (Severity.ERROR, (0, 0))
    fixed, _ = apply_fix(project, source, found.fixes[0])
    assert "def run(raw_data):" in fixed
    assert_fixed(project, before, fixed, "AML102")


def test_both_stubs_apply_together(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    source = "import json\n"
    before = check(project, source)
    edits = [e for d in before if d.code in ("AML101", "AML102") for e in d.fixes[0].edits]
    fixed = apply_edits(source, edits)
    after = check(project, fixed)
    assert not only(after, "AML101") and not only(after, "AML102")
    assert fixed.index("def init") < fixed.index("def run")


def test_init_and_run_bound_by_import_count(tmp_path: Path) -> None:
    source = "from scoring_impl import init, run\n"
    (tmp_path / "scoring_impl.py").write_text("def init(): pass\ndef run(x): return x\n")
    diagnostics = check(make_project(tmp_path), source)
    assert not only(diagnostics, "AML101") and not only(diagnostics, "AML102")
    assert not only(diagnostics, "AML116")  # a local module


# --- AML103 / AML104 / AML105 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signature", "words"),
    [
        ("*args", "*args"),
        ("raw_data, **kwargs", "**kwargs"),
        ("raw_data, /", "positional-only"),
        ("request_headers", '"request_headers"'),
        ("", "input data"),
    ],
)
def test_run_signature_the_server_rejects(tmp_path: Path, signature: str, words: str) -> None:
    source = f"def init():\n    pass\n\n\ndef run({signature}):\n    return 1\n"
    (found,) = only(check(make_project(tmp_path), source), "AML103")
    assert (found.severity, position(found)) == (Severity.ERROR, (4, 0))
    assert found.range.end.character == len("def run")
    assert words in found.message


def test_run_signature_with_headers_and_keyword_only_is_accepted(tmp_path: Path) -> None:
    source = "def init():\n    pass\n\n\ndef run(data, *, request_headers=None):\n    return 1\n"
    assert only(check(make_project(tmp_path), source), "AML103") == []


def test_init_with_required_parameter(tmp_path: Path) -> None:
    source = "def init(model_name, *, threads):\n    pass\n\n\ndef run(raw_data):\n    return 1\n"
    (found,) = only(check(make_project(tmp_path), source), "AML104")
    assert (found.severity, position(found)) == (Severity.ERROR, (0, 0))
    assert "'model_name', 'threads'" in found.message


def test_init_with_defaults_is_fine(tmp_path: Path) -> None:
    source = (
        'def init(model_name="m.pkl", *args, **kwargs):\n    pass\n\n\n'
        "def run(raw_data):\n    return 1\n"
    )
    assert only(check(make_project(tmp_path), source), "AML104") == []


RAWHTTP = """\
from azureml.contrib.services.aml_request import rawhttp
from inference_schema.schema_decorators import input_schema
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType


def init():
    pass


{decorators}
def run(data):
    return 1
"""


def test_rawhttp_with_input_schema(tmp_path: Path) -> None:
    source = RAWHTTP.format(
        decorators='@rawhttp\n@input_schema("data", StandardPythonParameterType([1]))'
    )
    (found,) = only(check(make_project(tmp_path), source), "AML105")
    assert (found.severity, position(found)) == (Severity.ERROR, (11, 0))
    assert "@rawhttp" in found.message and "@input_schema" in found.message


def test_input_schema_alone_is_fine(tmp_path: Path) -> None:
    source = RAWHTTP.format(decorators='@input_schema("data", StandardPythonParameterType([1]))')
    diagnostics = check(make_project(tmp_path), source)
    assert only(diagnostics, "AML105") == []
    # inference_schema and azureml.contrib.services come with azureml-inference-server-http
    assert only(diagnostics, "AML116") == []


# --- AML106 --------------------------------------------------------------------------------------

MISSING_GLOBAL = """\
import json


def init():
    \"\"\"Load the model.\"\"\"
    model = json.loads("[1]")


def run(raw_data):
    data = json.loads(raw_data)
    return [model[0] * x for x in data]
"""


def test_global_missing_fires_at_the_first_read_in_run(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    before = check(project, MISSING_GLOBAL)
    (found,) = only(before, "AML106")
    assert (found.severity, position(found)) == (Severity.ERROR, (10, 12))
    assert found.range.end.character == 17
    assert "'model' is assigned in init() without 'global'" in found.message
    assert "NameError" in found.message
    fixed, _ = apply_fix(project, MISSING_GLOBAL, found.fixes[0])
    assert '    """Load the model."""\n    global model\n    model = json.loads' in fixed
    assert_fixed(project, before, fixed, "AML106")


def test_global_missing_with_module_level_none(tmp_path: Path) -> None:
    source = (
        "model = None\n\n\ndef init():\n    model = 1\n\n\ndef run(raw_data):\n    return model\n"
    )
    project = make_project(tmp_path)
    before = check(project, source)
    (found,) = only(before, "AML106")
    assert position(found) == (8, 11)
    assert "model = None" in found.message
    fixed, _ = apply_fix(project, source, found.fixes[0])
    assert "def init():\n    global model\n    model = 1\n" in fixed
    assert_fixed(project, before, fixed, "AML106")


def test_global_declared_or_module_value_is_fine(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert only(check(project, GOOD), "AML106") == []
    # A real module-level value (not None) that init() shadows locally is still what run() reads.
    source = (
        "LABELS = ['a']\n\n\ndef init():\n    LABELS = ['b']\n\n\n"
        "def run(raw_data):\n    return LABELS\n"
    )
    assert only(check(project, source), "AML106") == []


# --- AML107 --------------------------------------------------------------------------------------


def test_syntax_error_reports_the_parser_position_and_nothing_else(tmp_path: Path) -> None:
    source = "def init():\n    pass\n\ndef run(raw_data)\n    return 1\n"
    diagnostics = check(make_project(tmp_path), source)
    assert [d.code for d in diagnostics] == ["AML107"]
    (found,) = diagnostics
    assert (found.severity, position(found)) == (Severity.ERROR, (3, 17))
    assert "expected ':'" in found.message


def test_return_outside_a_function_is_a_syntax_error_too(tmp_path: Path) -> None:
    source = GOOD + "\nreturn model\n"
    (found,) = only(check(make_project(tmp_path), source), "AML107")
    assert (found.severity, position(found)) == (Severity.ERROR, (18, 0))
    assert "'return' outside function" in found.message


def test_valid_script_has_no_syntax_error(tmp_path: Path) -> None:
    assert only(check(make_project(tmp_path), GOOD), "AML107") == []


# --- AML108 / AML109 -----------------------------------------------------------------------------

PTVSD = """\
import ptvsd


def init():
    ptvsd.enable_attach(address=("0.0.0.0", 5678), redirect_output=True)
    ptvsd.wait_for_attach()


def run(raw_data):
    return raw_data
"""


def test_ptvsd_import_and_the_fix_rewrites_import_and_calls(tmp_path: Path) -> None:
    project = make_project(tmp_path, conda=None)
    before = check(project, PTVSD)
    (found,) = only(before, "AML108")
    assert (found.severity, position(found)) == (Severity.WARNING, (0, 7))
    assert "debugpy" in found.message
    fixed, _ = apply_fix(project, PTVSD, found.fixes[0])
    assert fixed == PTVSD.replace("import ptvsd", "import debugpy").replace(
        'ptvsd.enable_attach(address=("0.0.0.0", 5678), redirect_output=True)',
        'debugpy.listen(("0.0.0.0", 5678))',
    ).replace("ptvsd.wait_for_attach()", "debugpy.wait_for_client()")
    after = assert_fixed(project, before, fixed, "AML108")
    # Still a debugger hook, now reported against debugpy.
    assert [d.message.split("(")[0] for d in only(after, "AML109")] == [
        "debugpy.listen",
        "debugpy.wait_for_client",
    ]


def test_ptvsd_from_import_is_rewritten_with_its_calls(tmp_path: Path) -> None:
    source = dedent(
        """
        from ptvsd import enable_attach


        def init():
            enable_attach()


        def run(raw_data):
            return raw_data
        """
    )
    project = make_project(tmp_path, conda=None)
    before = check(project, source)
    (found,) = only(before, "AML108")
    assert position(found) == (0, 0)
    fixed, _ = apply_fix(project, source, found.fixes[0])
    assert "from debugpy import listen\n" in fixed
    assert '    listen(("0.0.0.0", 5678))\n' in fixed
    assert_fixed(project, before, fixed, "AML108")


def test_debugpy_is_not_ptvsd(tmp_path: Path) -> None:
    source = "import debugpy\n" + GOOD
    assert only(check(make_project(tmp_path, conda=None), source), "AML108") == []


HOOK = """\
import debugpy


def init():
    debugpy.listen(("0.0.0.0", 5678))
    debugpy.wait_for_client()


def run(raw_data):
    return raw_data
"""


def test_debugger_hook_says_when_it_binds_all_interfaces(tmp_path: Path) -> None:
    listen, wait = only(check(make_project(tmp_path, conda=None), HOOK), "AML109")
    assert (listen.severity, position(listen)) == (Severity.WARNING, (4, 4))
    assert listen.range.end == listen.range.start.__class__(4, 37)
    assert "binds 0.0.0.0:5678" in listen.message and "port 5678" in listen.message
    assert position(wait) == (5, 4)
    assert "blocks until a debugger attaches" in wait.message
    assert "0.0.0.0" not in wait.message


def test_debugger_hook_on_loopback_does_not_mention_all_interfaces(tmp_path: Path) -> None:
    source = HOOK.replace('("0.0.0.0", 5678)', "5678")
    listen = only(check(make_project(tmp_path, conda=None), source), "AML109")[0]
    assert "port 5678" in listen.message
    assert "0.0.0.0" not in listen.message


def test_debugger_hook_removed_by_the_fix(tmp_path: Path) -> None:
    project = make_project(tmp_path, conda=None)
    before = check(project, HOOK)
    listen = only(before, "AML109")[0]
    remove, comment = listen.fixes
    assert remove.title == "Remove the debugger hook" and remove.preferred
    fixed, _ = apply_fix(project, HOOK, remove)
    assert fixed == HOOK.replace('    debugpy.listen(("0.0.0.0", 5678))\n', "")
    after = assert_fixed(project, before, fixed, "AML106")
    assert [position(d) for d in only(after, "AML109")] == [(4, 4)]  # only wait_for_client is left
    commented, _ = apply_fix(project, HOOK, comment)
    assert '    # debugpy.listen(("0.0.0.0", 5678))\n' in commented
    assert len(only(check(project, commented), "AML109")) == 1


def test_removing_the_only_statement_of_a_block_leaves_pass(tmp_path: Path) -> None:
    source = dedent(
        """
        import os

        import debugpy


        def init():
            if os.getenv("DEBUG"):
                debugpy.listen(5678)


        def run(raw_data):
            return raw_data
        """
    )
    project = make_project(tmp_path, conda=None)
    before = check(project, source)
    (hook,) = only(before, "AML109")
    for fix in hook.fixes:
        fixed, _ = apply_fix(project, source, fix)
        assert '    if os.getenv("DEBUG"):\n' in fixed
        assert "        pass\n" in fixed
        assert_fixed(project, before, fixed, "AML109")


def test_no_debugger_hook_under_main_guard(tmp_path: Path) -> None:
    source = (
        GOOD + '\n\nif __name__ == "__main__":\n    import debugpy\n\n    debugpy.listen(5678)\n'
    )
    assert only(check(make_project(tmp_path), source), "AML109") == []


def test_noqa_silences_the_debugger_hook(tmp_path: Path) -> None:
    source = HOOK.replace("5678))\n", "5678))  # noqa: AML109\n")
    diagnostics = check(make_project(tmp_path, conda=None), source)
    assert [position(d) for d in only(diagnostics, "AML109")] == [(5, 4)]


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
