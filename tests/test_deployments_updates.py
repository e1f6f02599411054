"""Deployment discovery: a v2 deployment whose code is replaced and resubmitted in a notebook
(our own fixture, shaped like the SDK samples that update a deployment in place)."""

from __future__ import annotations

import json

from tests.support.project_tree import write

from amldebug.deployments import scan_deployments

SCORE = "def init():\n    pass\n\n\ndef run(raw_data):\n    return raw_data\n"
ENV = "name: served\ndependencies:\n  - python=3.10\n  - pip\n  - pip:\n      - numpy\n"


def test_replacing_the_code_configuration_deploys_the_new_script_with_the_same_environment(
    tmp_path,
):
    write(tmp_path / "openapi/code-decorated/score.py", SCORE)
    write(tmp_path / "openapi/code-custom/score.py", SCORE)
    write(tmp_path / "payloads/code/single.py", SCORE)
    write(tmp_path / "payloads/code/multi.py", SCORE)
    write(tmp_path / "openapi/env.yml", ENV)
    write(tmp_path / "payloads/env.yml", ENV)
    cells = [
        "deployment = ManagedOnlineDeployment(name='blue',\n"
        "    code_configuration=CodeConfiguration(code='openapi/code-decorated',"
        " scoring_script='score.py'),\n"
        "    environment=Environment(conda_file='openapi/env.yml', image='base'))\n",
        "deployment = ml_client.online_deployments.begin_create_or_update(deployment).result()\n",
        "deployment.code_configuration = CodeConfiguration(\n"
        "    code='openapi/code-custom', scoring_script='score.py')\n"
        "ml_client.online_deployments.begin_create_or_update(deployment).result()\n",
        "payloads = ManagedOnlineDeployment(name='payloads',\n"
        "    code_configuration=CodeConfiguration(code='payloads/code',"
        " scoring_script='single.py'),\n"
        "    environment=Environment(conda_file='payloads/env.yml', image='base'))\n",
        # The code folder kept from the deployment itself; the script is new.
        "payloads.code_configuration = CodeConfiguration(\n"
        "    code=payloads.code_configuration.code, scoring_script='multi.py')\n",
    ]
    write(
        tmp_path / "update.ipynb",
        json.dumps({"cells": [{"cell_type": "code", "source": cell} for cell in cells]}),
    )
    index = scan_deployments(tmp_path)
    (custom,) = index.for_entry_script(tmp_path / "openapi/code-custom/score.py")
    (decorated,) = index.for_entry_script(tmp_path / "openapi/code-decorated/score.py")
    (multi,) = index.for_entry_script(tmp_path / "payloads/code/multi.py")
    assert custom.conda_file == decorated.conda_file == tmp_path / "openapi/env.yml"
    assert "code_configuration replaced in code cell 3" in custom.origin.how
    assert multi.conda_file == tmp_path / "payloads/env.yml"
