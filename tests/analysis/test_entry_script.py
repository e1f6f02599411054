"""Entry script rules AML101-AML109 (AML111-AML116 and the refactor are in
test_entry_script_results.py): each fires where the rule table says, stays quiet on correct
code, and each quick fix, applied, removes its diagnostic without introducing an error."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.entry_scripts import (
    GOOD,
    apply_fix,
    assert_fixed,
    check,
    dedent,
    make_project,
    only,
    position,
)

from amldebug.analysis.entry_script import RULES
from amldebug.diagnostics import Severity, apply_edits


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
