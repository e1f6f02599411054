"""AML116 on projects shaped like real ones (our own fixtures, issue 8 class 4): an error only when
the import is certainly missing, information when the environment's closure is not known, and
never a fix that adds a name the table does not know."""

from __future__ import annotations

from pathlib import Path

from tests.support.project_tree import write

from amldebug.analysis import analyze_document
from amldebug.analysis.environment_resolution import UvRun
from amldebug.analysis.uv_resolver import _REMEMBERED, resolve_conda_text
from amldebug.diagnostics import Diagnostic, Severity
from amldebug.project import Project, discover_project

SCORE_TAIL = "\n\ndef init():\n    pass\n\n\ndef run(raw_data):\n    return raw_data\n"


def environment(*pip: str, conda: tuple[str, ...] = ("python=3.10", "pip")) -> str:
    lines = ["name: scoring", "dependencies:"]
    lines += [f"  - {entry}" for entry in conda]
    lines += ["  - pip:", "      - azureml-inference-server-http==1.5.1"]
    lines += [f"      - {entry}" for entry in pip]
    return "\n".join(lines) + "\n"


def aml116(root: Path, imports: str, conda_text: str) -> list[Diagnostic]:
    score = write(root / "score.py", imports + SCORE_TAIL)
    conda = write(root / "conda.yml", conda_text)
    project = Project(root=root, entry_script=score, conda_file=conda)
    found = analyze_document(score, score.read_text(), project=project)
    return [d for d in found if d.code == "AML116"]


def test_certainly_missing_is_an_error_with_a_known_fix(tmp_path: Path) -> None:
    (found,) = aml116(tmp_path, "import sklearn\n", environment("pandas"))
    assert found.severity is Severity.ERROR
    assert "scikit-learn" in found.message
    (fix,) = found.fixes
    assert fix.edits[0].new_text.strip() == "- scikit-learn"


def test_meta_package_and_extras_provide(tmp_path: Path) -> None:
    imports = (
        "from azure.keyvault.secrets import SecretClient\n"
        "import azureml.train.automl\n"
        "import pyarrow\n"
    )
    conda_text = environment(
        "azure-keyvault==4.2.0", "azureml-sdk[automl]==1.47.0", "azureml-featurestore[online]"
    )
    assert aml116(tmp_path, imports, conda_text) == []


def test_renamed_and_split_distributions_provide(tmp_path: Path) -> None:
    imports = "from azureml.train.automl import AutoMLConfig\nimport azureml.explain.model\n"
    conda_text = environment("azureml-train-automl==1.0.65", "azureml-explain-model==1.0.85")
    assert aml116(tmp_path, imports, conda_text) == []


def test_without_the_extra_the_module_is_missing(tmp_path: Path) -> None:
    (found,) = aml116(tmp_path, "import pyarrow\n", environment("azureml-inference-server-http"))
    assert found.severity is Severity.ERROR and "pyarrow" in found.message


def test_an_unknown_entry_gives_information_without_a_fix(tmp_path: Path) -> None:
    conda_text = environment("contoso-internal-scoring==2.1")
    (found,) = aml116(tmp_path, "import sklearn\n", conda_text)
    assert found.severity is Severity.INFORMATION
    assert "scikit-learn" in found.message and "contoso-internal-scoring" in found.message
    assert found.fixes == ()


def test_a_conda_only_package_the_table_does_not_know_keeps_it_uncertain(tmp_path: Path) -> None:
    conda_text = environment(conda=("python=3.10", "pip", "r-base=4.2"))
    (found,) = aml116(tmp_path, "import cv2\n", conda_text)
    assert found.severity is Severity.INFORMATION


def test_local_modules_beside_the_script_are_not_packages(tmp_path: Path) -> None:
    write(tmp_path / "utils.py", "X = 1\n")
    write(tmp_path / "src/__init__.py", "")
    write(tmp_path / "langchain_utils/__init__.py", "")
    imports = "import utils\nfrom src import model\nfrom langchain_utils.chain import build\n"
    assert aml116(tmp_path, imports, environment()) == []


def test_unknown_modules_get_no_diagnostic_and_no_fix(tmp_path: Path) -> None:
    # Nothing known provides them: most likely local code the checker cannot see.
    assert aml116(tmp_path, "import utils\nimport prompt_helpers\n", environment()) == []


def test_code_root_of_a_deployment_yaml_holds_local_modules(tmp_path: Path) -> None:
    imports = "import sklearn\nfrom rag_helpers import answer\nimport langchain_utils\n"
    write(tmp_path / "src/langchain/score.py", imports + SCORE_TAIL)
    write(tmp_path / "src/rag_helpers.py", "def answer():\n    pass\n")
    write(tmp_path / "src/langchain_utils/__init__.py", "")
    write(tmp_path / "env/conda.yml", environment("scikit-learn"))
    write(
        tmp_path / "deploy/blue.yml",
        "$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json\n"
        "name: blue\ncode_configuration:\n  code: ../src\n  scoring_script: langchain/score.py\n"
        "environment:\n  conda_file: ../env/conda.yml\n  image: mcr.microsoft.com/azureml/x\n",
    )
    score = tmp_path / "src/langchain/score.py"
    project = discover_project(tmp_path)
    found = analyze_document(score, score.read_text(), project=project)
    assert [d for d in found if d.code == "AML116"] == []


def test_a_resolved_closure_settles_an_unknown_entry(tmp_path: Path) -> None:
    conda_text = environment("contoso-internal-scoring==2.1")
    before = aml116(tmp_path, "import sklearn\nimport numpy\n", conda_text)
    assert [d.severity for d in before] == [Severity.INFORMATION] * 2

    def recorded(requirements: str, python: str, folder: Path) -> UvRun:
        assert "contoso-internal-scoring==2.1" in requirements and python.startswith("3.10.")
        return UvRun(0, "contoso-internal-scoring==2.1\nnumpy==1.26.4\nflask==3.0.0\n", "")

    try:
        resolve_conda_text(conda_text, tmp_path, runner=recorded)
        (after,) = aml116(tmp_path, "import sklearn\nimport numpy\n", conda_text)
        assert after.severity is Severity.ERROR and "scikit-learn" in after.message
    finally:
        _REMEMBERED.clear()
