"""The real rules over `examples/`: what a user sees on the broken and the working project.

Each test works on a copy (`copy_example`), never on the examples in place.
"""

from __future__ import annotations

import json

EXPECTED_ON_BROKEN_PROJECT = {
    # (file, 1-based line, code): one per mistake listed in examples/broken-project/README.md
    ("score.py", 7, "AML116"),  # import cv2
    ("score.py", 9, "AML108"),  # import ptvsd
    ("score.py", 10, "AML116"),  # import sklearn
    ("score.py", 11, "AML116"),  # from azureml.core.model import Model
    ("score.py", 14, "AML109"),  # ptvsd.enable_attach on 0.0.0.0
    ("score.py", 17, "AML113"),  # open("model/encoder.pkl"): no such file
    ("score.py", 18, "AML115"),  # pickle.load at import time
    ("score.py", 24, "AML112"),  # Model.get_model_path
    ("score.py", 32, "AML106"),  # model assigned in init() without global
    ("score.py", 32, "AML114"),  # return model.predict(...) directly
    ("score.py", 34, "AML111"),  # return str(e)
    ("conda.yml", 5, "AML204"),  # no azureml-inference-server-http / azureml-defaults
    ("conda.yml", 6, "AML216"),  # python=3.7: past its end of life
    ("conda.yml", 7, "AML206"),  # numpy unpinned
    ("conda.yml", 9, "AML203"),  # pip: without pip
    ("conda.yml", 10, "AML208"),  # flask pinned
    ("conda.yml", 11, "AML209"),  # ptvsd
    ("conda.yml", 12, "AML207"),  # pandas twice
    ("Dockerfile.steps", 1, "AML301"),  # FROM
    ("Dockerfile.steps", 2, "AML303"),  # apt-get install without -y
    ("Dockerfile.steps", 3, "AML302"),  # not an instruction
}


def _found(out: str) -> set[tuple[str, int, str]]:
    return {(p["file"], p["line"], p["code"]) for p in json.loads(out)}


def test_broken_project_fires_the_rules_at_their_lines(run_cli, copy_example):
    project = copy_example("broken-project")
    code, out, _ = run_cli("check", "--format", "json", cwd=project)
    assert code == 1
    assert _found(out) >= EXPECTED_ON_BROKEN_PROJECT


def test_broken_project_text_output_names_file_line_column(run_cli, copy_example):
    project = copy_example("broken-project")
    code, out, _ = run_cli("check", "broken-project", cwd=project.parent)
    lines = out.splitlines()
    assert code == 1
    assert any(
        line.startswith("broken-project/score.py:32:16: AML106 error: 'model'") for line in lines
    )
    assert any(
        line.startswith("broken-project/Dockerfile.steps:1:1: AML301 error:") for line in lines
    )
    assert lines[-1].startswith("Found ") and lines[-1].endswith("fixable with --fix.")


def test_working_project_has_no_errors_or_warnings(run_cli, copy_example):
    project = copy_example("working-project")
    code, out, _ = run_cli("check", "--format", "json", cwd=project)
    assert code == 0
    assert [p for p in json.loads(out) if p["severity"] in ("error", "warning")] == []


def test_select_and_ignore_by_prefix_and_code(run_cli, copy_example):
    project = copy_example("broken-project")
    _, out, _ = run_cli(
        "check", "--format", "json", "--select", "AML2", "--ignore", "AML206", cwd=project
    )
    codes = {p["code"] for p in json.loads(out)}
    assert codes == {"AML203", "AML204", "AML207", "AML208", "AML209", "AML216"}
    code, out, _ = run_cli("check", "--format", "json", "--select", "AML3,AML116", cwd=project)
    assert {p["code"] for p in json.loads(out)} == {"AML116", "AML301", "AML302", "AML303"}
    assert code == 1
    code, out, _ = run_cli("check", "--select", "AML303", cwd=project)
    assert code == 0  # a warning alone does not fail the run
    assert out.endswith(
        "Found 1 problem (0 errors, 1 warning, 0 information); 1 fixable with --fix.\n"
    )


def test_noqa_silences_a_python_and_a_yaml_line(run_cli, copy_example):
    project = copy_example("broken-project")
    score, conda = project / "score.py", project / "conda.yml"
    score.write_text(score.read_text().replace("import ptvsd\n", "import ptvsd  # noqa: AML108\n"))
    conda.write_text(conda.read_text().replace("      - ptvsd\n", "      - ptvsd  # noqa\n"))
    _, out, _ = run_cli("check", "--format", "json", cwd=project)
    found = _found(out)
    assert ("score.py", 9, "AML108") not in found
    assert not any(item[:2] == ("conda.yml", 11) for item in found)
    assert ("score.py", 14, "AML109") in found  # other lines keep their diagnostics


def _is_subsequence(needles: list[str], haystack: list[str]) -> bool:
    remaining = iter(haystack)
    return all(any(needle == line for line in remaining) for needle in needles)


def test_fix_repairs_a_copy_and_leaves_every_other_line_alone(run_cli, copy_example):
    project = copy_example("broken-project")
    originals = {
        name: (project / name).read_text() for name in ("score.py", "conda.yml", "Dockerfile.steps")
    }
    _, before, _ = run_cli("check", "--format", "json", cwd=project)
    fixed_lines = {(p["file"], p["line"]) for p in json.loads(before) if p["fixable"]}

    code, out, _ = run_cli("check", "--fix", cwd=project)
    assert code == 1  # python=3.7 and the junk steps line have no quick fix
    assert "Fixed " in out and " problems in 3 files." in out

    score = (project / "score.py").read_text()
    assert "def init():\n    global model\n" in score
    assert ".tolist()" in score
    assert "ptvsd" not in score
    conda = (project / "conda.yml").read_text()
    assert "\n  - pip\n" in conda
    assert "azureml-inference-server-http" in conda
    steps = (project / "Dockerfile.steps").read_text()
    assert not any(line.startswith("FROM") for line in steps.splitlines())
    assert "apt-get install -y vim" in steps

    for name, original in originals.items():
        kept = [
            line
            for number, line in enumerate(original.splitlines(), start=1)
            if (name, number) not in fixed_lines
        ]
        assert _is_subsequence(kept, (project / name).read_text().splitlines()), name
        assert (project / name).read_text().endswith("\n")

    _, after, _ = run_cli("check", "--format", "json", cwd=project)
    remaining = _found(after)
    for fixed in (
        "AML106",
        "AML108",
        "AML109",
        "AML114",
        "AML116",
        "AML203",
        "AML204",
        "AML301",
        "AML303",
    ):
        assert not any(item[2] == fixed for item in remaining), fixed

    # A second run finds nothing more to fix and changes no byte.
    snapshot = {name: (project / name).read_bytes() for name in originals}
    _, out, _ = run_cli("check", "--fix", cwd=project)
    assert "No fixes applied." in out
    assert {name: (project / name).read_bytes() for name in originals} == snapshot


def test_fix_never_applies_the_debug_only_refactor(run_cli, copy_example):
    project = copy_example("broken-project")
    run_cli("check", "--fix", cwd=project)
    score = (project / "score.py").read_text()
    # run() keeps its own try/except; no debug-only wrapper was added around its body.
    assert score.count("except Exception") == 1
    assert "return str(e)" in score
