"""Conda-file rules scoped and graded by evidence: the deployed scope (issue 8, class 1), AML210 by
the servers' real Requires-Python (class 2), AML203 as information (class 3), AML211 by the old
server's real Flask stack, AML212 for standard-library names in the pip list."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from packaging.version import Version

from amldebug.analysis import analyze_document, analyze_in_context
from amldebug.analysis.conda_model import parse_conda_environment
from amldebug.analysis.context import AnalysisContext
from amldebug.analysis.server_releases import (
    AZUREML_DEFAULTS,
    INFERENCE_SERVER,
    installable,
    python_minors,
    releases,
    server_choice,
)
from amldebug.diagnostics import Diagnostic, Severity
from amldebug.project import FileKind, discover_project

ROOT = Path(__file__).resolve().parents[2]
PROJECT_DIR = ROOT / "examples" / "working-project"
PROJECT = discover_project(PROJECT_DIR)


def yml(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def diagnose(text: str) -> list[Diagnostic]:
    return analyze_document(
        PROJECT_DIR / "conda.yml", text, project=PROJECT, kind=FileKind.CONDA_FILE
    )


def only(diagnostics: list[Diagnostic], code: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.code == code]


def env(python: str, *pip: str) -> str:
    lines = ["dependencies:", f"  - {python}", "  - pip", "  - pip:"]
    lines += [f"      - {entry}" for entry in pip]
    return "\n".join(lines) + "\n"


# --- class 1: files no deployment uses get only what any conda file supports --------------------

NOTEBOOK_KERNEL = yml("""
    # the kernel the sample notebooks run in
    name: notebook-kernel
    dependencies:
      - python=3.7
      - numpy
      - pip:
          - os
          - flask==2.0.3
          - azureml-defaults==1.38.0
          - ptvsd
    """)
TRAINING_JOB = yml("""
    name: train
    dependencies:
      - python=3.8
      - scikit-learn==1.3.2
      - pip:
          - mlflow
          - scikit-learn==1.3.0
          - pandas==>2
    """)
MLFLOW_MODEL = yml("""
    channels:
      - conda-forge
    dependencies:
      - python=3.8.18
      - pip<=23.3.1
      - pip:
          - mlflow==2.9.2
          - cloudpickle==2.2.1
    name: mlflow-env
    """)


def not_deployed(text: str, name: str = "environment.yml") -> list[Diagnostic]:
    context = AnalysisContext(path=PROJECT_DIR / name, project=PROJECT, deployed=False)
    return analyze_in_context(FileKind.CONDA_FILE, text, context)


def test_a_notebook_kernel_environment_gets_no_deployment_rule() -> None:
    assert not_deployed(NOTEBOOK_KERNEL) == []
    deployed = {d.code for d in diagnose(NOTEBOOK_KERNEL)}
    assert {"AML203", "AML206", "AML209", "AML211", "AML212", "AML216"} <= deployed


def test_a_training_environment_keeps_the_checks_every_conda_file_supports() -> None:
    codes = [d.code for d in not_deployed(TRAINING_JOB)]
    assert sorted(codes) == ["AML205", "AML207"]  # `pandas==>2`, two scikit-learn pins


def test_an_mlflow_models_conda_yaml_is_left_alone_when_nothing_deploys_it() -> None:
    assert not_deployed(MLFLOW_MODEL, "conda.yaml") == []
    assert {d.code for d in diagnose(MLFLOW_MODEL)} >= {"AML204", "AML216"}


def test_yaml_and_structure_errors_still_show_in_files_nobody_deploys() -> None:
    assert [d.code for d in not_deployed("dependencies:\n  - python\n - pip\n")] == ["AML201"]
    assert [d.code for d in not_deployed("name: env\n")] == ["AML202"]


def test_a_batch_environment_gets_no_inference_server_rule() -> None:
    # The end of life (AML216) holds for any image; the server's rules only where one serves.
    text = env("python=3.8", "azureml-defaults==1.20.0", "flask==1.0.3", "os")
    context = AnalysisContext(path=PROJECT_DIR / "conda.yml", project=PROJECT, entry_kind="batch")
    found = {
        (d.code, d.severity)
        for d in analyze_in_context(FileKind.CONDA_FILE, text, context)
        if d.code != "AML206"
    }
    assert found == {("AML216", Severity.WARNING), ("AML212", Severity.ERROR)}
    online = {d.code for d in diagnose(text)}
    assert "AML211" in online
    # flask==1.0.3 is what that old server requires itself: the pin breaks nothing more.
    assert "AML208" not in online


# --- class 3: AML203 is information ---------------------------------------------------------------


def test_aml203_is_information_because_conda_installs_pip_anyway() -> None:
    text = "dependencies:\n  - python=3.11\n  - pip:\n      - azureml-inference-server-http\n"
    (found,) = only(diagnose(text), "AML203")
    assert found.severity is Severity.INFORMATION and "anyway" in found.message


# --- class 2: AML210 by the releases' Requires-Python -------------------------------------------


@pytest.mark.parametrize(
    ("python", "server", "words"),
    [
        ("python=3.8", "azureml-inference-server-http==1.5.1", "newest"),
        ("python 3.8.*", "azureml-inference-server-http>=1.4", "1.3.4"),
        ("python=3.8", "azureml-defaults==1.61.0", "azureml-defaults==1.61.0"),
        ("python=3.5", "azureml-inference-server-http", "no release supports it"),
        ("python=3.6", "azureml-inference-server-http==0.8.4", "0.7.7"),
    ],
)
def test_aml210_is_an_error_when_no_allowed_server_installs(
    python: str, server: str, words: str
) -> None:
    (found,) = only(diagnose(env(python, server)), "AML210")
    assert found.severity is Severity.ERROR
    assert (found.range.start.line, found.range.start.character) == (1, 4)
    assert "No matching distribution" in found.message and words in found.message


@pytest.mark.parametrize(
    ("python", "server", "eol"),
    [
        ("python=3.7", "azureml-defaults==1.47.0", "June 2023"),  # -> server 0.7.x, >=3.6
        ("python==3.6.15", "azureml-defaults==1.38.0", "December 2021"),
        ("python=3.8", "azureml-inference-server-http", "October 2024"),  # pip picks 1.3.4
        ("python=3.7", "azureml-inference-server-http==0.8.4", "June 2023"),
        ("python=3.8", "azureml-defaults", "October 2024"),
    ],
)
def test_aml216_warns_of_an_end_of_life_python_that_installs(
    python: str, server: str, eol: str
) -> None:
    found = diagnose(env(python, server))
    assert only(found, "AML210") == []  # a server release installs: no build error
    (warning,) = only(found, "AML216")
    assert warning.severity is Severity.WARNING
    assert eol in warning.message and "end of life" in warning.message


def test_python_3_10_is_past_its_end_of_life_and_3_11_is_not() -> None:
    (warning,) = only(diagnose(env("python=3.10", "azureml-inference-server-http")), "AML216")
    assert "October 2026" in warning.message
    assert only(diagnose(env("python=3.11", "azureml-inference-server-http")), "AML216") == []


def test_a_python_no_server_installs_on_gets_the_error_and_the_end_of_life() -> None:
    found = {(d.code, d.severity) for d in diagnose(env("python=3.5", INFERENCE_SERVER))}
    assert {("AML210", Severity.ERROR), ("AML216", Severity.WARNING)} <= found


@pytest.mark.parametrize(
    ("python", "server"),
    [
        ("python=3.11", "azureml-inference-server-http==1.5.1"),
        ("python>=3.7", "azureml-inference-server-http==1.5.1"),
        ("python=3.10", "azureml-defaults"),
        ("python", "azureml-inference-server-http==1.5.1"),
        ("python=3.12", "azureml-inference-server-http @ https://example.invalid/s.whl"),
    ],
)
def test_aml210_does_not_fire_on_a_supported_python(python: str, server: str) -> None:
    assert only(diagnose(env(python, server)), "AML210") == []


def test_the_release_table_holds_the_real_requires_python() -> None:
    servers = {str(r.version): r for r in releases(INFERENCE_SERVER)}
    assert str(servers["1.5.1"].requires_python) == ">=3.9"
    assert str(servers["0.7.2"].requires_python) == ">=3.6"
    defaults = {str(r.version): r for r in releases(AZUREML_DEFAULTS)}
    assert str(defaults["1.47.0"].requires[INFERENCE_SERVER]) == "~=0.7.2"
    assert not any(r.version.is_prerelease for r in releases(AZUREML_DEFAULTS))
    environment = parse_conda_environment(env("python=3.7", "azureml-defaults==1.47.0"))
    choice = server_choice(environment)
    assert choice is not None
    (minor,) = python_minors(environment.conda_entries()[0])
    picked = installable(choice, minor)[0]
    assert picked.server is not None and picked.server.version == Version("0.7.7")


@pytest.mark.slow
def test_the_release_table_is_what_the_generator_makes_from_the_index() -> None:
    import subprocess
    import sys
    import urllib.request

    try:
        urllib.request.urlopen("https://pypi.org/simple/", timeout=10).close()
    except OSError:
        pytest.skip("the package index is not reachable")
    result = subprocess.run(
        [sys.executable, "-m", "amldebug.analysis.server_releases_build", "--check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


# --- AML211: the old server's Flask stack --------------------------------------------------------


def test_aml211_fires_on_an_old_azureml_defaults_that_lets_pip_take_jinja2_3_1() -> None:
    text = env("python=3.8", "azureml-defaults==1.20.0", "scikit-learn==1.3.2")
    (found,) = only(diagnose(text), "AML211")
    assert found.severity is Severity.ERROR
    assert found.range.start.line == 4  # the azureml-defaults line
    assert "Flask 1.0.3" in found.message
    assert "cannot import name 'Markup' from 'jinja2'" in found.message
    assert "cannot import name 'json' from 'itsdangerous'" in found.message
    assert "`jinja2<3.1`" in found.message and "`itsdangerous<2.1`" in found.message


def test_aml211_fires_on_the_users_own_jinja2_pin_with_an_old_server() -> None:
    text = env("python=3.9", "azureml-inference-server-http==0.4.14", "jinja2==3.1.2")
    # 0.4.14 caps jinja2<3.1 itself: the pin conflicts (pip fails; AML214's business), not AML211.
    assert only(diagnose(text), "AML211") == []
    text = env("python=3.9", "azureml-defaults==1.30.0", "jinja2==3.1.2", "itsdangerous<2.1")
    (found,) = only(diagnose(text), "AML211")
    assert found.range.start.line == 5  # the jinja2 line
    assert "`jinja2==3.1.2` with Flask 1.0.3" in found.message


def test_aml211_follows_a_jinja2_2_pin_to_markupsafe() -> None:
    # `jinja2<3`, the usual answer to the Markup error, brings Jinja2 2.11, then MarkupSafe 2.1.
    text = env("python=3.8", "azureml-defaults==1.30.0", "jinja2<3", "itsdangerous<2.1")
    (found,) = only(diagnose(text), "AML211")
    assert "soft_unicode" in found.message and "`markupsafe<2.1`" in found.message


def test_aml211_werkzeug_2_1_breaks_flask_1_1() -> None:
    pins = ("flask==1.1.2", "jinja2<3.1", "itsdangerous<2.1", "werkzeug==2.1.2")
    # 0.7.7 requires no Flask version itself (flask-cors brings any), so the user's pin decides.
    text = env("python=3.8", "azureml-inference-server-http==0.7.7", *pins)
    (found,) = only(diagnose(text), "AML211")
    assert found.range.start.line == 8 and "BaseResponse" in found.message


def test_aml211_still_fires_on_flask_2_with_an_old_server() -> None:
    text = env("python=3.8", "azureml-inference-server-http==0.6.1", "flask==2.0.3")
    found = only(diagnose(text), "AML211")
    assert any("register() takes 3 positional arguments" in d.message for d in found)


@pytest.mark.parametrize(
    "pip",
    [
        ("azureml-defaults==1.38.0",),  # server 0.4.14 caps Jinja2, itsdangerous and Werkzeug
        ("azureml-defaults==1.56.0",),
        ("azureml-defaults==1.20.0", "jinja2<3.1", "itsdangerous<2.1"),  # Jinja2 3.0 is fine
        ("azureml-inference-server-http==0.7.0", "flask==2.1.3"),
        ("azureml-inference-server-http",),
        ("flask==1.0.3", "jinja2==3.0.3", "itsdangerous==2.0.1", "werkzeug==2.1.2"),
    ],
)
def test_aml211_does_not_fire_on_a_stack_that_starts(pip: tuple[str, ...]) -> None:
    assert only(diagnose(env("python=3.8", *pip)), "AML211") == []


def test_aml211_does_not_fire_on_python_3_6_where_pip_keeps_the_old_releases() -> None:
    assert only(diagnose(env("python=3.6", "azureml-defaults==1.20.0")), "AML211") == []


# --- AML212: standard-library names as pip entries ----------------------------------------------


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("os", "No matching distribution found for os"),
        ("json", "No matching distribution"),
        ("pickle", "No matching distribution"),
        ("email", "Python 2 package"),
        ("html", "HTML generation library"),
        ("concurrent", "No matching distribution"),
    ],
)
def test_aml212_fires_on_a_standard_library_name(entry: str, words: str) -> None:
    text = env("python=3.11", "azureml-inference-server-http==1.5.1", entry)
    (found,) = only(diagnose(text), "AML212")
    assert found.severity is Severity.ERROR
    assert found.range.start.line == 5 and words in found.message


@pytest.mark.parametrize("entry", ["dataclasses", "typing", "argparse", "requests", "pathlib2"])
def test_aml212_does_not_fire_on_backports_or_packages(entry: str) -> None:
    text = env("python=3.11", "azureml-inference-server-http==1.5.1", entry)
    assert only(diagnose(text), "AML212") == []
