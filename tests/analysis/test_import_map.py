"""Import names map to the distributions that provide them, from the generated table; AML116's
verdict is MISSING only when the whole closure of what the environment declares is known."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from amldebug.analysis.import_map import (
    ImportStatus,
    classify_import,
    closure,
    distribution_for_import,
    distributions_for_import,
    is_known_distribution,
    is_standard_library,
    parse_declared,
    provided_by,
)

SERVER = ["python=3.10", "pip", "azureml-inference-server-http==1.5.1"]


@pytest.mark.parametrize(
    ("module", "distribution"),
    [
        ("sklearn", "scikit-learn"),
        ("sklearn.linear_model", "scikit-learn"),
        ("cv2", "opencv-python-headless"),
        ("PIL.Image", "pillow"),
        ("yaml", "pyyaml"),
        ("azureml.core", "azureml-core"),
        ("azureml.core.model", "azureml-core"),
        ("azureml.contrib.services.aml_request", "azureml-inference-server-http"),
        ("google.cloud.storage", "google-cloud-storage"),
        ("google.protobuf", "protobuf"),
        ("dateutil", "python-dateutil"),
        ("requests", "requests"),
        ("os", None),
        ("os.path", None),
        ("__future__", None),
        (".relative", None),
        ("", None),
    ],
)
def test_distribution_for_import(module: str, distribution: str | None) -> None:
    assert distribution_for_import(module) == distribution


def test_an_unknown_module_gets_the_same_name_as_a_guess_but_it_is_not_known() -> None:
    assert distribution_for_import("azureml.something_new") == "azureml-something-new"
    assert not is_known_distribution("azureml-something-new")
    assert is_known_distribution("scikit-learn") and is_known_distribution("Scikit_Learn")


def test_other_builds_provide_the_same_module() -> None:
    assert {"opencv-python", "opencv-python-headless"} <= set(distributions_for_import("cv2"))


def test_standard_library() -> None:
    assert is_standard_library("json") and is_standard_library("concurrent.futures")
    assert not is_standard_library("numpy")


@pytest.mark.parametrize(
    ("declared", "provided"),
    [
        (["azureml-defaults"], {"azureml-inference-server-http", "flask", "azureml-core"}),
        (["azureml-inference-server-http"], {"flask", "gunicorn", "pydantic", "inference-schema"}),
        (["scikit-learn"], {"numpy", "scipy", "joblib", "threadpoolctl"}),
        (["pandas"], {"numpy", "python-dateutil"}),
        (["Scikit_Learn"], {"scikit-learn", "numpy"}),
        (["pytorch"], {"torch"}),  # a conda name
    ],
)
def test_provided_by_is_transitive(declared: list[str], provided: set[str]) -> None:
    assert provided <= provided_by(declared)


def test_provided_by_does_not_invent_packages() -> None:
    assert "numpy" not in provided_by(["requests"])
    assert provided_by([]) == set()


def test_the_table_is_generated_and_compact() -> None:
    raw = json.loads(resources.files("amldebug").joinpath("data/import_names.json").read_text())
    assert "import_table_build" in raw["about"]
    distributions = raw["distributions"]
    assert len(distributions) > 300
    # Only import names that differ from the distribution's are written out.
    assert "imports" not in distributions["requests"]
    assert distributions["scikit-learn"]["imports"] == ["sklearn"]
    newest_sdk = distributions["azureml-sdk"]["releases"][0]
    assert any("extra ==" in line for line in newest_sdk["requires"])


# --- the verdict ------------------------------------------------------------------------------


def test_missing_only_when_certain() -> None:
    verdict = classify_import("sklearn", SERVER)
    assert verdict.status is ImportStatus.MISSING and verdict.distribution == "scikit-learn"
    assert classify_import("sklearn", [*SERVER, "scikit-learn==1.3.2"]).status is (
        ImportStatus.PROVIDED
    )


def test_an_unknown_entry_makes_every_verdict_uncertain() -> None:
    verdict = classify_import("sklearn", [*SERVER, "some-private-package==1.0"])
    assert verdict.status is ImportStatus.UNKNOWN and verdict.distribution == "scikit-learn"
    assert "some-private-package" in verdict.reason
    # A URL or an unreadable requirements file (an entry naming nothing) too.
    assert classify_import("sklearn", [*SERVER, ""]).status is ImportStatus.UNKNOWN


def test_a_module_no_known_distribution_provides_is_unknown() -> None:
    for module in ("utils", "src.model", "langchain_utils", "my_company_helpers"):
        verdict = classify_import(module, SERVER)
        assert verdict.status is ImportStatus.UNKNOWN and verdict.distribution is None


def test_local_modules_are_never_packages() -> None:
    local = frozenset({"utils", "src", "yaml"})
    for module in ("utils", "src.model", "yaml"):
        assert classify_import(module, SERVER, local_modules=local).status is (
            ImportStatus.PROVIDED
        )


def test_meta_package_azure_keyvault_4_brings_the_secrets_client() -> None:
    assert classify_import("azure.keyvault.secrets", ["azure-keyvault==4.2.0"]).status is (
        ImportStatus.PROVIDED
    )
    # azure-keyvault 1.x was the whole SDK: the old namespace is there.
    assert classify_import("azure.keyvault", ["azure-keyvault==1.1.0"]).status is (
        ImportStatus.PROVIDED
    )


def test_extras_are_followed() -> None:
    automl = classify_import("azureml.train.automl", [*SERVER, "azureml-sdk[automl]==1.47.0"])
    assert automl.status is ImportStatus.PROVIDED
    online = classify_import("pyarrow", [*SERVER, "azureml-featurestore[online]"])
    assert online.status is ImportStatus.PROVIDED


def test_renamed_and_split_distributions() -> None:
    # Before the client/runtime split azureml-train-automl shipped azureml.train.automl itself.
    old = classify_import("azureml.train.automl", ["azureml-train-automl==1.0.65"])
    assert old.status is ImportStatus.PROVIDED
    explain = classify_import("azureml.explain.model", ["azureml-explain-model"])
    assert explain.status is ImportStatus.PROVIDED


def test_the_server_provides_azureml_contrib_services_at_run_time() -> None:
    verdict = classify_import("azureml.contrib.services.aml_request", SERVER)
    assert verdict.status is ImportStatus.PROVIDED


def test_a_resolver_closure_counts() -> None:
    declared = [*SERVER, "my-private-lib==1.0"]
    assert classify_import("sklearn", declared).status is ImportStatus.UNKNOWN
    resolved = provided_by(SERVER) | {"my-private-lib", "scikit-learn", "numpy"}
    assert classify_import("sklearn", declared, resolved=resolved).status is (ImportStatus.PROVIDED)
    without = provided_by(SERVER) | {"my-private-lib"}
    verdict = classify_import("sklearn", declared, resolved=without)
    assert verdict.status is ImportStatus.MISSING and verdict.distribution == "scikit-learn"
    # A resolved member the table does not know provides the module of its own name.
    assert classify_import("my_private_lib", declared, resolved=without).status is (
        ImportStatus.PROVIDED
    )


def test_python_markers_follow_the_environment() -> None:
    # The same declared set: markers are evaluated for the environment's Python.
    assert closure(["pandas"], python="3.10").known
    assert "numpy" in closure(["pandas"], python="3.12").distributions


@pytest.mark.parametrize(
    ("entry", "name", "extras", "pinned"),
    [
        ("azureml-sdk[automl]==1.47.0", "azureml-sdk", {"automl"}, True),
        ("numpy=1.21", "numpy", set(), True),
        ("conda-forge::numpy", "numpy", set(), False),
        ("Scikit_Learn>=1.0", "scikit-learn", set(), True),
    ],
)
def test_parse_declared(entry: str, name: str, extras: set[str], pinned: bool) -> None:
    declared = parse_declared(entry)
    assert declared is not None
    assert (declared.name, set(declared.extras), declared.specifier is not None) == (
        name,
        extras,
        pinned,
    )


def test_options_name_nothing() -> None:
    assert parse_declared("--extra-index-url https://example.org/simple") is None
    assert parse_declared("pywin32; sys_platform == 'win32'") is None
