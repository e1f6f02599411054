"""Conda file rules AML201-AML209 (AML210-AML212 and the deployed scope:
test_conda_server_rules.py): each fires where the issue says, stays quiet on a correct file, and
each quick fix, applied, leaves valid YAML with the user's comments and without the problem."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amldebug.analysis import analyze_document
from amldebug.analysis.conda_file import RULES
from amldebug.diagnostics import Diagnostic, Severity, apply_edits
from amldebug.project import FileKind, discover_project
from amldebug.rules import Rule

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "working-project" / "conda.yml"
PROJECT = discover_project(EXAMPLE.parent)


def diagnose(text: str, path: Path | None = None) -> list[Diagnostic]:
    return analyze_document(
        path or EXAMPLE.parent / "conda.yml", text, project=PROJECT, kind=FileKind.CONDA_FILE
    )


def only(diagnostics: list[Diagnostic], code: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.code == code]


def one(text: str, code: str) -> Diagnostic:
    found = only(diagnose(text), code)
    assert len(found) == 1, (code, found)
    return found[0]


def at(diagnostic: Diagnostic) -> tuple[int, int]:
    return diagnostic.range.start.line, diagnostic.range.start.character


def apply_fix(text: str, diagnostic: Diagnostic) -> str:
    assert diagnostic.fixable, diagnostic
    return apply_edits(text, diagnostic.fixes[0].edits)


def yml(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


GOOD = yml("""
    # scoring environment
    name: env
    channels:
      - conda-forge
    dependencies:
      - python=3.11
      - pip=24.0
      - pip:
          - azureml-inference-server-http==1.5.1
          - scikit-learn==1.4.2
    """)


# --- the correct files ----------------------------------------------------------------------------


def test_working_example_has_no_errors_or_warnings_and_nothing_unpinned() -> None:
    diagnostics = diagnose(EXAMPLE.read_text())
    assert diagnostics == []


def test_a_fully_pinned_file_gets_no_diagnostic_at_all() -> None:
    assert diagnose(GOOD) == []


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_every_rule_is_documented_with_a_bad_and_good_example(rule: Rule) -> None:
    assert rule.name == rule.name.lower() and " " not in rule.name
    assert rule.why.strip() and rule.fix.strip() and rule.summary
    assert rule.example.count("```") >= 4  # a fenced mistake and a fenced fix


# --- AML201 / AML202 -----------------------------------------------------------------------------


def test_aml201_fires_at_the_parsers_line_and_column() -> None:
    diagnostic = one("dependencies:\n  - python=3.10\n - pip\n", "AML201")
    assert diagnostic.severity is Severity.ERROR
    assert at(diagnostic) == (2, 1)
    assert "not valid YAML" in diagnostic.message


def test_aml201_does_not_fire_on_valid_yaml() -> None:
    assert only(diagnose(GOOD), "AML201") == []


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("- numpy\n- pandas\n", (0, 0), "not a mapping"),
        ("name: env\nchannels: [conda-forge]\n", (0, 0), "no `dependencies`"),
        ("name: env\ndependencies: numpy\n", (1, 14), "not a list"),
        ("name: env\ndependencies:\n", (1, 0), "not a list"),
        ("dependencies:\n  - pip\n  - pip:\n      numpy\n", (3, 6), "`pip:` is not a list"),
        ("dependencies:\n  - [numpy]\n", (1, 4), "package spec"),
    ],
)
def test_aml202_fires_on_the_offending_node(text: str, where: tuple[int, int], words: str) -> None:
    diagnostic = one(text, "AML202")
    assert diagnostic.severity is Severity.ERROR
    assert at(diagnostic) == where
    assert words in diagnostic.message


def test_aml202_does_not_fire_on_a_conda_environment() -> None:
    assert only(diagnose(GOOD), "AML202") == []


# --- AML203 ---------------------------------------------------------------------------------------

NO_PIP = yml("""
    dependencies:
      - python=3.10
      # pip packages below
      - pip:   # the server
          - azureml-inference-server-http==1.5.1
    """)


def test_aml203_fires_at_the_pip_key() -> None:
    diagnostic = one(NO_PIP, "AML203")
    assert diagnostic.severity is Severity.INFORMATION
    assert at(diagnostic) == (3, 4)


def test_aml203_does_not_fire_when_pip_is_a_conda_dependency() -> None:
    assert only(diagnose(GOOD), "AML203") == []
    assert only(diagnose(GOOD.replace("pip=24.0", "conda-forge::pip")), "AML203") == []


def test_aml203_fix_adds_pip_above_the_pip_item_and_keeps_comments() -> None:
    fixed = apply_fix(NO_PIP, one(NO_PIP, "AML203"))
    assert fixed == NO_PIP.replace("  - pip:", "  - pip\n  - pip:")
    assert yaml.safe_load(fixed)["dependencies"][1] == "pip"
    assert "# pip packages below" in fixed and "# the server" in fixed
    assert only(diagnose(fixed), "AML203") == []


# --- AML204 ---------------------------------------------------------------------------------------


def test_aml204_fires_at_the_dependencies_key() -> None:
    text = GOOD.replace("azureml-inference-server-http==1.5.1", "numpy==1.26.4")
    diagnostic = one(text, "AML204")
    assert diagnostic.severity is Severity.ERROR
    assert at(diagnostic) == (4, 0)
    assert "azureml-inference-server-http" in diagnostic.message


def test_aml204_does_not_fire_with_the_server_or_azureml_defaults() -> None:
    assert only(diagnose(GOOD), "AML204") == []
    defaults = GOOD.replace("azureml-inference-server-http==1.5.1", "azureml-defaults==1.56.0")
    assert only(diagnose(defaults), "AML204") == []


def test_aml204_reads_requirement_files(tmp_path: Path) -> None:
    conda = tmp_path / "conda.yml"
    # A score.py beside it: a deployment builds with this environment, so AML204 applies.
    (tmp_path / "score.py").write_text(
        "def init():\n    pass\n\n\ndef run(data):\n    return data\n"
    )
    text = GOOD.replace("azureml-inference-server-http==1.5.1", "-r requirements.txt")
    conda.write_text(text)
    (tmp_path / "requirements.txt").write_text("# serving\nazureml-inference-server-http==1.5.1\n")
    assert only(diagnose(text, conda), "AML204") == []
    (tmp_path / "requirements.txt").write_text("numpy==1.26.4\n")
    assert len(only(diagnose(text, conda), "AML204")) == 1


def _fixed_by_aml204(text: str) -> str:
    fixed = apply_fix(text, one(text, "AML204"))
    assert only(diagnose(fixed), "AML204") == []
    assert only(diagnose(fixed), "AML201") == []
    return fixed


def _pip_list(text: str) -> list[str]:
    for item in yaml.safe_load(text)["dependencies"]:
        if isinstance(item, dict):
            return list(item["pip"])
    raise AssertionError("no pip list")


def test_aml204_fix_appends_to_the_existing_pip_list() -> None:
    text = yml("""
        dependencies:
          - python=3.10  # pinned
          - pip=24.0
          - pip:
              - numpy==1.26.4   # trailing comment
              # a comment after the last entry
        # after the list
        """)
    fixed = _fixed_by_aml204(text)
    assert _pip_list(fixed) == ["numpy==1.26.4", "azureml-inference-server-http"]
    assert fixed == text.replace("comment\n", "comment\n      - azureml-inference-server-http\n", 1)


@pytest.mark.parametrize("indent", [2, 4])
def test_aml204_fix_creates_the_pip_block_with_the_files_indentation(indent: int) -> None:
    pad = " " * indent
    text = f"name: env\ndependencies:\n{pad}- python=3.10\n{pad}- numpy=1.26  # math\n# end\n"
    fixed = _fixed_by_aml204(text)
    assert fixed == (
        f"name: env\ndependencies:\n{pad}- python=3.10\n{pad}- numpy=1.26  # math\n"
        f"{pad}- pip\n{pad}- pip:\n{pad}    - azureml-inference-server-http\n# end\n"
    )
    assert yaml.safe_load(fixed)["dependencies"][:3] == ["python=3.10", "numpy=1.26", "pip"]
    assert only(diagnose(fixed), "AML203") == []


def test_aml204_fix_does_not_add_pip_twice() -> None:
    text = "dependencies:\n  - pip\n  - python=3.10"  # no newline at the end
    fixed = _fixed_by_aml204(text)
    assert yaml.safe_load(fixed)["dependencies"] == [
        "pip",
        "python=3.10",
        {"pip": ["azureml-inference-server-http"]},
    ]


def test_aml204_fix_fills_an_empty_pip_key() -> None:
    text = "dependencies:\n  - pip\n  - pip:\n  - python=3.10\n"
    fixed = _fixed_by_aml204(text)
    assert _pip_list(fixed) == ["azureml-inference-server-http"]


def test_aml204_fix_keeps_windows_line_endings() -> None:
    text = "dependencies:\r\n  - pip\r\n  - pip:\r\n      - numpy==1.26.4\r\n"
    fixed = _fixed_by_aml204(text)
    assert fixed.count("\r\n") == 5 and "\n" not in fixed.replace("\r\n", "")


# --- AML205 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "line", "column"),
    [
        ("  - numpy==>1", 1, 4),
        ("  - numpy=abc def ghi", 1, 4),
        ("  - numpy>=1,", 1, 4),
        ("  - pip:\n      - pandas = = 2", 2, 8),
        ("  - pip:\n      - pandas==>2.0", 2, 8),
    ],
)
def test_aml205_fires_on_the_invalid_entry(entry: str, line: int, column: int) -> None:
    text = f"dependencies:\n{entry}\n"
    diagnostic = one(text, "AML205")
    assert diagnostic.severity is Severity.ERROR
    assert at(diagnostic) == (line, column)


@pytest.mark.parametrize(
    "entry",
    [
        "numpy",
        "numpy=1.26",
        "numpy==1.26.4",
        "numpy>=1.26,<2",
        "numpy 1.26.*",
        "numpy=1.26.4=py310h5f9d8c6_0",
        "conda-forge::numpy=1.26",
        "python 3.10.* *_cpython",
        "numpy[version='>=1.26,<2']",
        "openssl=3.0.13",
    ],
)
def test_aml205_does_not_fire_on_conda_match_specs(entry: str) -> None:
    assert only(diagnose(f"dependencies:\n  - {entry}\n"), "AML205") == []


@pytest.mark.parametrize(
    "entry",
    [
        "scikit-learn[alldeps]~=1.4.2",
        "numpy==1.26.4; python_version >= '3.9'",
        "mylib @ https://example.invalid/mylib-1.0-py3-none-any.whl",
        "--extra-index-url https://example.invalid/simple",
        "-e ./src",
        "numpy==1.26.4 --hash=sha256:abc",
    ],
)
def test_aml205_does_not_fire_on_pip_requirements(entry: str) -> None:
    text = f"dependencies:\n  - pip\n  - pip:\n      - {entry}\n"
    assert only(diagnose(text), "AML205") == []


# --- AML206 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", ["scipy", "scipy>=1.11", "conda-forge::scipy", "python"])
def test_aml206_fires_on_an_unpinned_or_lower_bound_only_entry(entry: str) -> None:
    diagnostic = one(f"dependencies:\n  - {entry}\n", "AML206")
    assert diagnostic.severity is Severity.INFORMATION
    assert at(diagnostic) == (1, 4)


@pytest.mark.parametrize(
    "entry", ["scipy=1.11", "scipy>=1.11,<2", "scipy 1.11.*", "pip", "flask", "scipy~=1.11"]
)
def test_aml206_does_not_fire_on_pinned_entries_pip_or_server_packages(entry: str) -> None:
    assert only(diagnose(f"dependencies:\n  - {entry}\n"), "AML206") == []


def test_noqa_on_the_entry_line_silences_it() -> None:
    assert only(diagnose("dependencies:\n  - scipy  # noqa: AML206\n"), "AML206") == []
    assert len(only(diagnose("dependencies:\n  - scipy  # noqa: AML207\n"), "AML206")) == 1


# --- AML207 ---------------------------------------------------------------------------------------


def test_aml207_fires_on_the_second_entry_across_sections() -> None:
    text = GOOD.replace("scikit-learn==1.4.2", "numpy==1.26.4").replace(
        "  - pip=24.0\n", "  - pip=24.0\n  - numpy=1.26\n"
    )
    diagnostic = one(text, "AML207")
    assert diagnostic.severity is Severity.WARNING
    assert at(diagnostic) == (10, 8)
    assert "conda and the pip section" in diagnostic.message and "line 8" in diagnostic.message


def test_aml207_compares_canonical_names_within_one_section() -> None:
    text = GOOD.replace("scikit-learn==1.4.2", "Scikit_Learn==1.4.1\n      - scikit-learn==1.4.2")
    diagnostic = one(text, "AML207")
    assert at(diagnostic) == (10, 8)


@pytest.mark.parametrize(
    ("conda", "pip"),
    [
        ("numpy", "numpy"),  # pip finds conda's numpy installed and keeps it
        ("numpy=1.26", "numpy"),
        ("numpy", "Numpy >=1.20"),  # a bound is a version pip may change: reported
    ],
)
def test_aml207_only_where_two_builds_can_mix(conda: str, pip: str) -> None:
    text = GOOD.replace("scikit-learn==1.4.2", pip).replace(
        "  - pip=24.0\n", f"  - pip=24.0\n  - {conda}\n"
    )
    expected = 1 if ">=" in pip else 0
    assert len(only(diagnose(text), "AML207")) == expected


def test_aml207_not_on_the_same_spec_spelled_twice() -> None:
    text = GOOD.replace("scikit-learn==1.4.2", "Scikit_Learn == 1.4.2\n      - scikit-learn==1.4.2")
    assert only(diagnose(text), "AML207") == []


def test_aml207_does_not_fire_on_distinct_packages() -> None:
    assert only(diagnose(GOOD), "AML207") == []


# --- AML208 ---------------------------------------------------------------------------------------


def test_aml208_fires_on_a_pinned_server_package() -> None:
    text = GOOD.replace("scikit-learn==1.4.2", "Werkzeug==2.0.3")
    diagnostic = one(text, "AML208")
    assert diagnostic.severity is Severity.WARNING
    assert at(diagnostic) == (9, 8)


@pytest.mark.parametrize(
    ("pin", "fires"),
    [
        ("flask>=3.0.0", False),  # server 1.5.1 requires flask~=3.1.0: pip meets both
        ("flask~=3.1", False),
        ("flask==2.0.3", True),  # outside ~=3.1.0: the build cannot resolve
        ("flask<3", True),
        ("gunicorn>=21.2.0", False),  # a floor where the releases table knows no requirement
        ("gunicorn==20.1.0", True),  # an exact pin the table cannot vouch for
    ],
)
def test_aml208_only_for_pins_the_server_cannot_live_with(pin: str, fires: bool) -> None:
    # GOOD pins azureml-inference-server-http==1.5.1 on Python 3.11.
    text = GOOD.replace("scikit-learn==1.4.2", pin)
    assert bool(only(diagnose(text), "AML208")) is fires


def test_aml208_does_not_fire_on_an_unpinned_server_package() -> None:
    text = GOOD.replace("scikit-learn==1.4.2", "flask")
    assert only(diagnose(text), "AML208") == []


# --- AML209 ---------------------------------------------------------------------------------------

PTVSD = GOOD.replace("scikit-learn==1.4.2", "ptvsd==4.3.2  # for VS Code")


def test_aml209_fires_on_ptvsd() -> None:
    diagnostic = one(PTVSD, "AML209")
    assert diagnostic.severity is Severity.WARNING
    assert at(diagnostic) == (9, 8)


def test_aml209_does_not_fire_on_debugpy() -> None:
    assert only(diagnose(GOOD.replace("scikit-learn==1.4.2", "debugpy==1.8.1")), "AML209") == []


def test_aml209_fix_replaces_ptvsd_with_debugpy() -> None:
    fixed = apply_fix(PTVSD, one(PTVSD, "AML209"))
    assert "      - debugpy  # for VS Code\n" in fixed
    assert only(diagnose(fixed), "AML209") == []
    assert "debugpy" in _pip_list(fixed)


def test_aml209_fix_removes_ptvsd_when_debugpy_is_listed() -> None:
    text = PTVSD.replace("  - pip=24.0\n", "  - pip=24.0\n  - debugpy=1.8\n")
    fixed = apply_fix(text, one(text, "AML209"))
    assert "ptvsd" not in fixed
    assert _pip_list(fixed) == ["azureml-inference-server-http==1.5.1"]


# --- property: the YAML fixes never lose anything -----------------------------------------------

_NAMES = st.sampled_from(["numpy", "pandas", "scipy", "lightgbm", "pyarrow", "requests", "tqdm"])
_VERSIONS = st.sampled_from(["", "=1.2", "==1.2.3", ">=1,<2", " 1.2.*"])
_COMMENTS = st.sampled_from(["", "  # pinned for training", "   # why: reasons"])


@st.composite
def conda_files(draw: st.DrawFn) -> str:
    pad = " " * draw(st.sampled_from([2, 4]))
    lines = ["# environment for scoring", "name: env", "channels:", f"{pad}- conda-forge"]
    lines.append("dependencies:" + draw(_COMMENTS))
    conda = draw(st.lists(_NAMES, min_size=1, max_size=5, unique=True))
    for name in conda:
        if draw(st.booleans()):
            lines.append(f"{pad}# about {name}")
        lines.append(f"{pad}- {name}{draw(_VERSIONS)}{draw(_COMMENTS)}")
    if draw(st.booleans()):
        lines.append(f"{pad}- pip")
    if draw(st.booleans()):
        lines.append(f"{pad}- pip:{draw(_COMMENTS)}")
        pip = draw(st.lists(st.sampled_from(["joblib", "onnx", "shap"]), unique=True))
        for name in pip:
            lines.append(f"{pad}    - {name}==1.0{draw(_COMMENTS)}")
            if draw(st.booleans()):
                lines.append(f"{pad}    # after {name}")
    if draw(st.booleans()):
        lines.append("# trailing comment")
    return "\n".join(lines) + ("\n" if draw(st.booleans()) else "")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conda_files())
def test_aml204_and_aml203_fixes_give_yaml_that_keeps_everything(text: str) -> None:
    original = yaml.safe_load(text)
    fixed = text
    for code in ("AML204", "AML203"):
        found = only(diagnose(fixed), code)
        if found:
            fixed = apply_fix(fixed, found[0])
    result = yaml.safe_load(fixed)
    assert result["name"] == original["name"] and result["channels"] == original["channels"]
    strings = [item for item in result["dependencies"] if isinstance(item, str)]
    original_strings = [item for item in original["dependencies"] if isinstance(item, str)]
    assert [s for s in strings if s != "pip"] == [s for s in original_strings if s != "pip"]
    assert "pip" in strings
    pip = _pip_list(fixed)
    original_pip = next(
        (i["pip"] or [] for i in original["dependencies"] if isinstance(i, dict)), []
    )
    assert [p for p in pip if p != "azureml-inference-server-http"] == original_pip
    assert "azureml-inference-server-http" in pip
    # Every line of the original, comments included, is still there and in the same order.
    remaining = iter(fixed.splitlines())
    assert all(any(line == other for other in remaining) for line in text.splitlines())
    assert not [d for d in diagnose(fixed) if d.code in ("AML201", "AML202", "AML203", "AML204")]


def test_aml201_on_an_unfinished_file_points_where_the_unclosed_bracket_opens() -> None:
    # YAML finds the problem only past the last character; the `[` that never closes is the news.
    assert at(one("dependencies: [python", "AML201")) == (0, 14)
    assert at(one("name: x\ndependencies:\n  - 'python\n", "AML201"))[0] == 2


def test_positions_count_only_line_feeds_as_line_breaks() -> None:
    # A lone CR or a Unicode line separator is a line break to YAML but not to the editor.
    text = "name: a\u2028b\ndependencies:\n  - scipy\n"
    assert at(one(text, "AML206")) == (2, 4)


def test_the_json_schema_accepts_the_example_and_rejects_a_broken_pip_section() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = ROOT / "server" / "amldebug" / "data" / "conda-environment.schema.json"
    schema = json.loads(schema_path.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    assert list(validator.iter_errors(yaml.safe_load(EXAMPLE.read_text()))) == []
    broken = yaml.safe_load("dependencies:\n  - pip:\n      numpy\n  - [x]\n")
    assert len(list(validator.iter_errors(broken))) == 2
