"""Resolving a conda file's pip section: uv's answers (recorded here, real in the `slow` tests)
mapped to AML213/AML214/AML215 on the line that caused them, and cached by content."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from amldebug.analysis.environment_resolution import (
    DEFAULT_PYTHON,
    UvRun,
    interpret,
    resolution_diagnostics,
    resolution_input,
)
from amldebug.analysis.uv_resolver import (
    ResolutionCache,
    UvCommand,
    find_uv,
    resolve_conda_text,
    uv_environment,
)
from amldebug.diagnostics import Severity


def conda(*pip: str, python: str | None = "3.8") -> str:
    lines = ["name: scoring", "dependencies:"]
    if python:
        lines.append(f"  - python={python}")
    lines += ["  - pip", "  - pip:"] + [f"      - {entry}" for entry in pip]
    return "\n".join(lines) + "\n"


# uv's stderr, recorded from real runs (uv 0.13).
RECORDED = Path(__file__).parent / "uv_output"
PYTHON_TOO_OLD = (RECORDED / "python_too_old.txt").read_text()
CONFLICT = (RECORDED / "conflict.txt").read_text()
NOT_FOUND = (RECORDED / "not_found.txt").read_text()
OFFLINE = (RECORDED / "offline.txt").read_text()


def test_input_is_the_pip_section_for_the_pinned_python() -> None:
    request = resolution_input(conda("azureml-inference-server-http", "numpy==1.26.4"))
    assert request is not None
    assert request.python == "3.8" and request.python_pinned
    assert request.requirements_text == "azureml-inference-server-http\nnumpy==1.26.4\n"
    assert request.lines[1].range.start.line == 6


def test_without_a_python_pin_the_default_base_image_python_is_used() -> None:
    request = resolution_input(conda("numpy", python=None))
    assert request is not None and request.python == DEFAULT_PYTHON and not request.python_pinned


@pytest.mark.parametrize(
    ("spec", "pinned", "full"),
    [
        ("python=3.7", True, "3.7.17"),  # conda installs the newest 3.7.x
        ("python==3.8.5", True, "3.8.5"),
        ("python=3.10.*", True, "3.10.19"),
        ("python>=3.8", False, None),  # a range: conda picks; no single interpreter to judge
    ],
)
def test_which_python_is_resolved_for(spec: str, pinned: bool, full: str | None) -> None:
    text = f"name: x\ndependencies:\n  - {spec}\n  - pip\n  - pip:\n      - numpy\n"
    request = resolution_input(text)
    assert request is not None and request.python_pinned is pinned
    if full is not None:
        assert request.python_full == full


def test_a_python_range_turns_a_too_new_pin_into_information() -> None:
    text = (
        "name: x\ndependencies:\n  - python>=3.8\n  - pip\n  - pip:\n      - scikit-learn==1.6.1\n"
    )
    request = resolution_input(text)
    assert request is not None
    (found,) = resolution_diagnostics(request, interpret(UvRun(1, "", PYTHON_TOO_OLD), request))
    assert (found.code, found.severity, found.range.start.line) == (
        "AML215",
        Severity.INFORMATION,
        5,
    )


def test_local_paths_are_never_built() -> None:
    request = resolution_input(conda("numpy", "-e .", "./wheels/private-1.0-py3-none-any.whl"))
    assert request is not None
    assert request.requirements_text == "numpy\n"
    assert request.left_out == ("-e .", "./wheels/private-1.0-py3-none-any.whl")


def test_no_pip_section_nothing_to_resolve() -> None:
    assert resolution_input("name: x\ndependencies:\n  - python=3.10\n  - numpy\n") is None
    assert resolution_input("not: [valid") is None


def test_a_pin_needing_a_newer_python_is_aml213_on_its_line() -> None:
    text = conda("azureml-inference-server-http", "scikit-learn==1.6.1")
    request = resolution_input(text)
    assert request is not None
    resolution = interpret(UvRun(1, "", PYTHON_TOO_OLD), request)
    assert (resolution.outcome, resolution.culprit) == ("python", "scikit-learn")
    (found,) = resolution_diagnostics(request, resolution)
    assert (found.code, found.severity, found.range.start.line) == ("AML213", Severity.ERROR, 6)
    assert "Python>=3.9" in found.message and "python=3.8" in found.message
    assert "hint" not in found.message and "warning" not in found.message


def test_conflicting_pins_are_aml214_on_the_entry_uv_blames() -> None:
    text = conda("numpy==2.1.0", "mlflow==2.9.2", python="3.11")
    request = resolution_input(text)
    assert request is not None
    resolution = interpret(UvRun(1, "", CONFLICT), request)
    assert (resolution.outcome, resolution.culprit) == ("conflict", "mlflow")
    (found,) = resolution_diagnostics(request, resolution)
    assert (found.code, found.range.start.line) == ("AML214", 6)
    assert "numpy<2" in found.message and "numpy==2.1.0" in found.message


def test_a_name_not_on_the_index_is_aml214() -> None:
    request = resolution_input(conda("numpy", "scikit-learnn"))
    assert request is not None
    (found,) = resolution_diagnostics(request, interpret(UvRun(1, "", NOT_FOUND), request))
    assert (found.code, found.range.start.line) == ("AML214", 6)
    assert "PIP_EXTRA_INDEX_URL" in found.message


@pytest.mark.parametrize("run", [None, UvRun(2, "", OFFLINE)])
def test_offline_or_no_uv_is_one_information(run: UvRun | None) -> None:
    request = resolution_input(conda("numpy"))
    assert request is not None
    resolution = interpret(run, request)
    assert resolution.outcome == "unavailable" and resolution.closure is None
    (found,) = resolution_diagnostics(request, resolution)
    assert (found.code, found.severity, found.range.start.line) == (
        "AML215",
        Severity.INFORMATION,
        4,  # the `pip:` key
    )


def test_a_resolution_gives_the_closure() -> None:
    request = resolution_input(conda("scikit-learn==1.3.2"))
    assert request is not None
    out = "joblib==1.4.2\nnumpy==1.24.4\nscikit-learn==1.3.2\nscipy==1.10.1\nthreadpoolctl==3.5.0\n"
    resolution = interpret(UvRun(0, out, ""), request)
    assert resolution.closure == {"joblib", "numpy", "scikit-learn", "scipy", "threadpoolctl"}
    assert resolution_diagnostics(request, resolution) == []


def test_cache_by_content(tmp_path: Path) -> None:
    calls: list[str] = []

    def recorded(requirements: str, python: str, folder: Path) -> UvRun:
        calls.append(requirements)
        return UvRun(0, "numpy==1.26.4\n", "")

    cache = ResolutionCache(tmp_path / "cache")
    text = conda("numpy")
    for _ in range(2):
        outcome = resolve_conda_text(text, tmp_path, runner=recorded, cache=cache)
        assert outcome is not None and outcome[1].closure == {"numpy"}
    assert len(calls) == 1
    # A comment or a reordering of other keys does not change the pip section's key...
    resolve_conda_text("# env\n" + text, tmp_path, runner=recorded, cache=cache)
    assert len(calls) == 1
    # ...a changed pin does.
    resolve_conda_text(conda("numpy==1.26.4"), tmp_path, runner=recorded, cache=cache)
    assert len(calls) == 2


def test_offline_answers_are_not_cached(tmp_path: Path) -> None:
    cache = ResolutionCache(tmp_path / "cache")
    calls: list[int] = []

    def offline(requirements: str, python: str, folder: Path) -> UvRun:
        calls.append(1)
        return UvRun(2, "", OFFLINE)

    for _ in range(2):
        resolve_conda_text(conda("numpy"), tmp_path, runner=offline, cache=cache)
    assert len(calls) == 2


def test_user_index_and_ca_settings_reach_uv(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("UV_INDEX_URL", "UV_DEFAULT_INDEX", "UV_EXTRA_INDEX_URL", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIP_INDEX_URL", "https://pypi.contoso.example/simple")
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "https://extra.contoso.example/simple")
    monkeypatch.setenv("PIP_CERT", "/etc/contoso/ca.pem")
    environment = uv_environment()
    assert environment["UV_INDEX_URL"] == "https://pypi.contoso.example/simple"
    assert environment["UV_EXTRA_INDEX_URL"] == "https://extra.contoso.example/simple"
    assert environment["SSL_CERT_FILE"] == "/etc/contoso/ca.pem"
    assert environment["UV_PYTHON_DOWNLOADS"] == "never"
    assert uv_environment(Path("/tmp/other.pem"))["SSL_CERT_FILE"] == "/tmp/other.pem"


def test_a_missing_uv_is_reported_not_raised(tmp_path: Path) -> None:
    outcome = resolve_conda_text(conda("numpy"), tmp_path, runner=UvCommand(command=None))
    assert outcome is not None and outcome[1].outcome == "unavailable"


# --- real uv against the package index (CI reaches PyPI) --------------------------------------

needs_uv = pytest.mark.skipif(find_uv() is None, reason="uv is not installed")


@pytest.mark.slow
@needs_uv
def test_real_uv_resolves_the_inference_server(tmp_path: Path) -> None:
    text = conda("azureml-inference-server-http==1.5.1", python="3.11")
    started = time.perf_counter()
    outcome = resolve_conda_text(text, tmp_path, runner=UvCommand())
    assert outcome is not None
    request, resolution = outcome
    assert resolution.outcome == "resolved", resolution.explanation
    assert {"flask", "gunicorn", "azureml-inference-server-http"} <= set(resolution.pins)
    assert resolution_diagnostics(request, resolution) == []
    assert time.perf_counter() - started < 60


@pytest.mark.slow
@needs_uv
def test_real_uv_finds_a_pin_that_needs_a_newer_python(tmp_path: Path) -> None:
    text = conda("scikit-learn==1.6.1", python="3.8")
    outcome = resolve_conda_text(text, tmp_path, runner=UvCommand())
    assert outcome is not None
    (found,) = resolution_diagnostics(*outcome)
    assert (found.code, found.range.start.line) == ("AML213", 5), found.message


@pytest.mark.slow
@needs_uv
def test_real_uv_python_37_is_the_newest_37_release(tmp_path: Path) -> None:
    # pandas 1.2.1 needs Python >= 3.7.1; conda's python=3.7 is 3.7.17.
    outcome = resolve_conda_text(conda("pandas==1.2.1", python="3.7"), tmp_path, runner=UvCommand())
    assert outcome is not None and outcome[1].outcome == "resolved", outcome[1].explanation


@pytest.mark.slow
@needs_uv
def test_real_uv_finds_conflicting_pins(tmp_path: Path) -> None:
    text = conda("numpy==2.1.0", "mlflow==2.9.2", python="3.11")
    outcome = resolve_conda_text(text, tmp_path, runner=UvCommand())
    assert outcome is not None
    (found,) = resolution_diagnostics(*outcome)
    assert found.code == "AML214" and found.range.start.line in (5, 6), found.message
    assert "numpy" in found.message


@pytest.mark.slow
@needs_uv
def test_real_uv_unreachable_index_is_information(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("UV_HTTP_TIMEOUT", "5")
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    outcome = resolve_conda_text(conda("numpy"), tmp_path, runner=UvCommand())
    assert outcome is not None
    (found,) = resolution_diagnostics(*outcome)
    assert found.code == "AML215", found.message
