"""Rules on a deployment YAML itself: AML403 (a named file that does not exist, or is not a
regular file) and AML404 (the YAML does not parse)."""

from __future__ import annotations

import os

import pytest
from tests.support.project_tree import codes, write

from amldebug.analysis import analyze_path
from amldebug.deployments import scan_deployments
from amldebug.diagnostics import Severity

SERVED_ENV = (
    "name: served\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n"
    "      - azureml-inference-server-http==1.5.1\n"
)
SCORE = "def init():\n    pass\n\n\ndef run(data):\n    return data\n"


def test_missing_named_files_are_reported_with_the_near_match(tmp_path):
    write(tmp_path / "score.py", SCORE)
    write(tmp_path / "enviroment.yml", SERVED_ENV)
    deployment = write(
        tmp_path / "deployment.yml",
        "code_configuration:\n  code: .\n  scoring_script: score.py\n"
        "environment:\n  conda_file: environment.yml\n  image: base\n"
        "model:\n  path: ./model\ninstance_type: Standard_DS3_v2\n",
    )
    found = [d for d in analyze_path(deployment) if d.code == "AML403"]
    assert len(found) == 1  # the model folder is often made by training: not without a near name
    (missing,) = found
    assert "Did you mean 'enviroment.yml'?" in missing.message
    assert missing.range.start.line == 4


def test_a_template_placeholder_is_not_a_missing_file(tmp_path):
    deployment = write(
        tmp_path / "deployment.yml",
        "code_configuration:\n  code: <CODE_DIR>\n  scoring_script: score.py\n"
        "instance_type: Standard_DS3_v2\n",
    )
    assert "AML403" not in codes(analyze_path(deployment))


def test_a_pipe_named_as_the_conda_file_is_not_a_regular_file_not_a_typo(tmp_path):
    os.mkfifo(tmp_path / "env.yml")
    write(tmp_path / "score.py", SCORE)
    deployment = write(
        tmp_path / "deployment.yml",
        "code_configuration:\n  code: .\n  scoring_script: score.py\n"
        "environment:\n  conda_file: env.yml\n  image: base\ninstance_type: Standard_DS3_v2\n",
    )
    (found,) = [d for d in analyze_path(deployment) if d.code == "AML403"]
    assert "'env.yml' is not a regular file" in found.message
    assert "does not exist" not in found.message and "Did you mean" not in found.message


@pytest.mark.parametrize(
    ("body", "said", "line"),
    [
        ("environment:\n  image: [base\n", "did not find expected", 3),
        ("code_configuration:\n\tcode: .\n", "a tab", 3),
        ("environment_variables:\n" + "  " + "[" * 150 + "]" * 150 + "\n", "nested", 3),
    ],
)
def test_a_deployment_yaml_that_does_not_parse_is_an_error_not_a_pass(tmp_path, body, said, line):
    # Discovery skips such a file, so before AML404 `check` said "All checks passed".
    write(tmp_path / "score.py", SCORE)
    deployment = write(
        tmp_path / "deployment.yml",
        "$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json\n"
        "name: blue\n" + body,
    )
    (found,) = [d for d in analyze_path(deployment) if d.code == "AML404"]
    assert found.severity is Severity.ERROR
    assert said in found.message.lower()
    assert found.range.start.line == line


def test_a_valid_deployment_yaml_gets_no_aml404(tmp_path):
    write(tmp_path / "score.py", SCORE)
    deployment = write(
        tmp_path / "deployment.yml",
        "code_configuration:\n  code: .\n  scoring_script: score.py\ninstance_type: x\n",
    )
    assert "AML404" not in codes(analyze_path(deployment))


def test_a_template_whose_fields_a_script_fills_in_is_not_invalid(tmp_path):
    # azureml-examples' custom-container samples: sed fills {{...}} before `az ml ... create`.
    write(tmp_path / "code" / "score.py", SCORE)
    deployment = write(
        tmp_path / "deployment.yml",
        "$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json\n"
        "name: minimal\nendpoint_name: {{ENDPOINT_NAME}}\n"
        "code_configuration:\n  code: code\n  scoring_script: score.py\n"
        "environment:\n  image: {{ACR_NAME}}.azurecr.io/azureml-examples/minimal:1\n"
        "instance_type: Standard_DS3_v2\n",
    )
    found = codes(analyze_path(deployment))
    assert "AML404" not in found and "AML403" not in found
    (deployment_found,) = scan_deployments(tmp_path).deployments
    assert deployment_found.entry_script == tmp_path / "code" / "score.py"
    assert deployment_found.name == "minimal"
