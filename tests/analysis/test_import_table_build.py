"""The import-table generator reads import names and requirements from real distribution files
(synthetic wheels and sdists here; the committed table comes from real ones)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

from amldebug.analysis.import_table_build import (
    _requires_txt,
    from_archive,
    import_names,
    linux_dependencies,
    merge,
)

EXTEND_PATH = b"__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n"


def names(files: list[str], contents: dict[str, bytes] | None = None) -> list[str]:
    return import_names(files, lambda path: (contents or {}).get(path))


def test_top_level_packages_and_modules() -> None:
    files = [
        "sklearn/__init__.py",
        "sklearn/linear_model/__init__.py",
        "six.py",
        "_cffi_backend.cpython-311-x86_64-linux-gnu.so",
        "cffi/__init__.py",
        "tests/test_x.py",
        "scikit_learn-1.3.2.dist-info/RECORD",
    ]
    assert names(files) == ["cffi", "six", "sklearn"]  # private and test folders left out


def test_namespace_packages_name_the_package_below() -> None:
    files = [
        "azure/__init__.py",
        "azure/keyvault/__init__.py",
        "azure/keyvault/secrets/__init__.py",
    ]
    contents = {"azure/__init__.py": EXTEND_PATH, "azure/keyvault/__init__.py": EXTEND_PATH}
    assert names(files, contents) == ["azure.keyvault.secrets"]
    # Implicit namespaces (no __init__.py) too.
    assert names(["azure/ai/ml/__init__.py", "azure/ai/ml/entities.py"]) == ["azure.ai.ml"]


def test_a_plain_init_in_a_shared_namespace_does_not_claim_it() -> None:
    # azureml-monitoring ships azureml/__init__.py without extend_path.
    files = ["azureml/__init__.py", "azureml/monitoring/__init__.py"]
    assert names(files, {"azureml/__init__.py": b""}) == ["azureml.monitoring"]


def test_a_large_init_that_mentions_declare_namespace_is_a_real_package() -> None:
    body = b"def declare_namespace(name):\n    pass\n" + b"#" * 2000
    assert names(["pkg_resources/__init__.py"], {"pkg_resources/__init__.py": body}) == [
        "pkg_resources"
    ]


def test_modules_of_one_package_under_an_implicit_namespace_collapse() -> None:
    files = [
        "azureml/featurestore/contracts/__init__.py",
        "azureml/featurestore/online/__init__.py",
    ]
    assert names(files) == ["azureml.featurestore"]


def _wheel(tmp_path: Path, name: str, metadata: str, files: dict[str, bytes]) -> Path:
    path = tmp_path / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(f"{name}-1.0.dist-info/METADATA", metadata)
        for inner, data in files.items():
            wheel.writestr(inner, data)
    return path


def test_a_wheel_gives_requirements_with_extras_markers(tmp_path: Path) -> None:
    metadata = (
        "Metadata-Version: 2.1\nName: Azureml_SDK\nVersion: 1.47.0\nRequires-Python: >=3.7\n"
        "Requires-Dist: azureml-core~=1.47.0\n"
        'Requires-Dist: azureml-train-automl~=1.47.0; extra == "automl"\n'
    )
    found = from_archive(_wheel(tmp_path, "azureml_sdk", metadata, {}))
    assert found is not None
    name, entry = found
    assert name == "azureml-sdk" and entry["imports"] == []
    release = entry["release"]
    assert release["requires_python"] == ">=3.7"
    assert 'azureml-train-automl~=1.47.0; extra == "automl"' in release["requires"]
    assert linux_dependencies(release["requires"]) == {"azureml-core"}
    assert linux_dependencies(release["requires"], ["automl"]) == {
        "azureml-core",
        "azureml-train-automl",
    }


def test_windows_only_dependencies_are_not_followed() -> None:
    lines = [
        "pywin32>=1; sys_platform == 'win32'",
        "numpy",
        "backports-zoneinfo; python_version<'3.9'",
    ]
    assert linux_dependencies(lines) == {"numpy", "backports-zoneinfo"}


def test_an_sdist_reads_pkg_info_requires_txt_and_top_level(tmp_path: Path) -> None:
    path = tmp_path / "azureml-monitoring-0.1.0a21.tar.gz"
    members = {
        "azureml-monitoring-0.1.0a21/PKG-INFO": b"Metadata-Version: 1.0\nName: azureml-monitoring\n"
        b"Version: 0.1.0a21\n",
        "azureml-monitoring-0.1.0a21/setup.py": b"",
        "azureml-monitoring-0.1.0a21/azureml/__init__.py": b"",
        "azureml-monitoring-0.1.0a21/azureml/monitoring/__init__.py": b"",
        "azureml-monitoring-0.1.0a21/azureml_monitoring.egg-info/top_level.txt": b"azureml\n",
        "azureml-monitoring-0.1.0a21/azureml_monitoring.egg-info/requires.txt": b"numpy\n"
        b"[online]\nredis\n",
    }
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    found = from_archive(path)
    assert found is not None
    name, entry = found
    assert name == "azureml-monitoring" and entry["imports"] == ["azureml.monitoring"]
    assert entry["release"]["requires"] == ["numpy", 'redis; extra == "online"']


def test_requires_txt_sections_become_markers() -> None:
    text = (
        "numpy\n[:python_version < '3.8']\nimportlib-metadata\n"
        "[gpu:sys_platform == 'linux']\ncupy\n"
    )
    assert list(_requires_txt(text)) == [
        "numpy",
        "importlib-metadata; (python_version < '3.8')",
        "cupy; extra == \"gpu\" and (sys_platform == 'linux')",
    ]


def test_one_release_per_major_version_unless_pinned_on_purpose() -> None:
    table: dict[str, dict] = {}

    def release(version: str) -> dict:
        return {"imports": ["x"], "release": {"version": version, "requires": []}}

    merge(table, "x", release("4.1.0"))
    merge(table, "x", release("4.2.0"))
    merge(table, "x", release("1.1.0"))
    merge(table, "x", release("1.0.65"), pinned=True)
    versions = [r["version"] for r in table["x"]["releases"]]
    assert versions == ["4.2.0", "1.1.0", "1.0.65"]
