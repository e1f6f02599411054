"""Import names map to the distributions a conda file must list."""

from __future__ import annotations

import pytest

from amldebug.analysis.import_map import (
    distribution_for_import,
    distributions_for_import,
    is_standard_library,
    provided_by,
)


@pytest.mark.parametrize(
    ("module", "distribution"),
    [
        ("sklearn", "scikit-learn"),
        ("sklearn.linear_model", "scikit-learn"),
        ("cv2", "opencv-python"),
        ("PIL.Image", "pillow"),
        ("yaml", "pyyaml"),
        ("azureml.core", "azureml-core"),
        ("azureml.core.model", "azureml-core"),
        ("azureml.contrib.services.aml_request", "azureml-inference-server-http"),
        ("azureml.something_new", "azureml-something-new"),
        ("google.cloud.storage", "google-cloud-storage"),
        ("google.protobuf", "protobuf"),
        ("requests", "requests"),
        ("Some_Package", "some-package"),
        ("os", None),
        ("os.path", None),
        ("__future__", None),
        (".relative", None),
        ("", None),
    ],
)
def test_distribution_for_import(module: str, distribution: str | None) -> None:
    assert distribution_for_import(module) == distribution


def test_alternative_builds_and_conda_names_count() -> None:
    assert "opencv-python-headless" in distributions_for_import("cv2")
    assert "pytorch" in distributions_for_import("torch")


def test_standard_library() -> None:
    assert is_standard_library("json") and is_standard_library("concurrent.futures")
    assert not is_standard_library("numpy")


@pytest.mark.parametrize(
    ("declared", "provided"),
    [
        (
            ["azureml-defaults"],
            {"azureml-inference-server-http", "flask", "azureml-core", "gunicorn"},
        ),
        (["azureml-inference-server-http"], {"flask", "gunicorn", "pydantic", "inference-schema"}),
        (["scikit-learn"], {"numpy", "scipy", "joblib", "threadpoolctl"}),
        (["pandas"], {"numpy", "python-dateutil", "pytz"}),
        (["tensorflow-cpu"], {"tensorflow", "numpy", "keras"}),
        (["Scikit_Learn"], {"scikit-learn", "numpy"}),
    ],
)
def test_provided_by_is_transitive(declared: list[str], provided: set[str]) -> None:
    assert provided <= provided_by(declared)


def test_provided_by_does_not_invent_packages() -> None:
    assert "numpy" not in provided_by(["requests"])
    assert provided_by([]) == set()
