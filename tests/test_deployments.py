"""Deployment discovery on trees shaped like real Azure ML projects (our own fixtures): which
entry script deploys with which environment, and what the rules then report or keep quiet about."""

from __future__ import annotations

import json
import time

from tests.support.project_tree import SCORE, codes, write

from amldebug.analysis import analyze_document, analyze_path
from amldebug.cli.main import main
from amldebug.deployments import scan_deployments
from amldebug.project import FileKind, classify_file, discover_project

BATCH_DRIVER = (
    "import os\n\n\ndef init():\n    pass\n\n\ndef run(mini_batch):\n"
    "    return [os.path.basename(path) for path in mini_batch]\n"
)
SERVED_ENV = (
    "name: served\ndependencies:\n  - python=3.10\n  - pip\n  - pip:\n"
    "      - azureml-inference-server-http==1.5.1\n"
)
# No inference server: an error for an online deployment, nothing for anything else.
KERNEL_ENV = (
    "name: notebook-kernel\ndependencies:\n  - python=3.10\n  - pip\n  - pip:\n      - numpy\n"
)


def test_v2_yaml_in_a_subfolder_pairs_a_script_in_another_folder(tmp_path):
    write(tmp_path / "src/langchain/score.py", SCORE)
    write(tmp_path / "env/conda.yml", SERVED_ENV)
    write(
        tmp_path / "deploy/blue.yml",
        "$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json\n"
        "name: blue\ncode_configuration:\n  code: ../src\n  scoring_script: langchain/score.py\n"
        "environment:\n  conda_file: ../env/conda.yml\n  image: mcr.microsoft.com/azureml/x\n"
        "instance_type: Standard_DS3_v2\n",
    )
    index = scan_deployments(tmp_path)
    (deployment,) = index.deployments
    assert deployment.kind == "online"
    assert deployment.entry_script == tmp_path / "src/langchain/score.py"
    assert deployment.code_root == tmp_path / "src"
    assert deployment.conda_file == tmp_path / "env/conda.yml"
    assert index.for_entry_script(tmp_path / "src/langchain/score.py") == (deployment,)


def test_a_notebook_kernel_environment_gets_no_deployment_rules(tmp_path):
    """The sample-folder case: a conda file beside a notebook, no score.py, nothing deploys it."""
    write(tmp_path / "train.ipynb", json.dumps({"cells": []}))
    kernel = write(tmp_path / "conda.yml", KERNEL_ENV)
    project = discover_project(tmp_path)
    assert project.environment_users(kernel) == frozenset()
    assert "AML204" not in codes(analyze_path(kernel, project=project))


def test_the_same_environment_beside_a_score_py_is_deployed_and_checked(tmp_path):
    write(tmp_path / "score.py", SCORE)
    conda = write(tmp_path / "conda.yml", KERNEL_ENV)
    project = discover_project(tmp_path)
    assert project.environment_users(conda) == frozenset({"online"})
    assert "AML204" in codes(analyze_path(conda, project=project))


def test_a_training_job_environment_is_not_a_deployment_environment(tmp_path):
    write(tmp_path / "src/score.py", SCORE)
    write(tmp_path / "src/conda.yml", SERVED_ENV)
    train_env = write(tmp_path / "train/env.yml", KERNEL_ENV)
    write(
        tmp_path / "train/job.yml",
        "$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json\n"
        "command: python train.py\nenvironment:\n  conda_file: env.yml\n  image: base\n",
    )
    project = discover_project(tmp_path)
    assert project.environment_users(train_env) == frozenset()


def test_mlflow_files_are_left_alone(tmp_path):
    model = tmp_path / "model"
    write(model / "MLmodel", "flavors:\n  python_function: {}\n")
    mlflow_conda = write(model / "conda.yaml", KERNEL_ENV)
    python_env = write(
        model / "python_env.yaml",
        "python: 3.10.12\nbuild_dependencies:\n  - pip\ndependencies:\n  - -r requirements.txt\n",
    )
    assert classify_file(python_env, python_env.read_text()) is FileKind.OTHER
    assert classify_file(mlflow_conda, mlflow_conda.read_text()) is FileKind.OTHER
    assert main(["check", str(tmp_path), "-q"]) == 0


def test_an_environment_asset_named_environment_yml_is_not_a_conda_file(tmp_path):
    asset = write(
        tmp_path / "environment.yml",
        "$schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json\n"
        "name: sklearn-env\nimage: mcr.microsoft.com/azureml/base\nconda_file: conda.yaml\n",
    )
    assert classify_file(asset, asset.read_text()) is FileKind.OTHER


def test_a_registered_environment_is_linked_to_its_yaml_in_the_tree(tmp_path):
    write(tmp_path / "code/score.py", SCORE)
    write(tmp_path / "env/conda.yaml", SERVED_ENV)
    write(
        tmp_path / "env/environment.yml",
        "$schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json\n"
        "name: my-env\nimage: base\nconda_file: conda.yaml\n",
    )
    write(
        tmp_path / "deployment.yml",
        "name: blue\ncode_configuration:\n  code: code\n  scoring_script: score.py\n"
        "environment: azureml:my-env@latest\ninstance_type: Standard_DS3_v2\n",
    )
    (deployment,) = [d for d in scan_deployments(tmp_path).deployments if not d.is_convention]
    assert deployment.conda_file == tmp_path / "env/conda.yaml"
    assert "environment.yml" in deployment.environment.origin.how


def test_v1_notebook_pairs_the_script_with_its_conda_specification(tmp_path):
    write(tmp_path / "scripts/score.py", SCORE)
    write(tmp_path / "scripts/conda.yml", KERNEL_ENV)  # beside the script, but not what deploys
    write(tmp_path / "envs/deploy-env.yml", SERVED_ENV)
    cells = [
        {"cell_type": "markdown", "source": ["# Deploy\n"]},
        {
            "cell_type": "code",
            "source": [
                "%pip install azureml-core\n",
                "from azureml.core import Environment\n",
                "from azureml.core.model import InferenceConfig\n",
                "folder = 'scripts'\n",
                "env = Environment.from_conda_specification('deploy', 'envs/deploy-env.yml')\n",
            ],
        },
        {
            "cell_type": "code",
            "source": "config = InferenceConfig(entry_script='score.py', "
            "source_directory=folder, environment=env)\n",
        },
    ]
    write(tmp_path / "deploy.ipynb", json.dumps({"cells": cells}))
    index = scan_deployments(tmp_path)
    (deployment,) = index.for_entry_script(tmp_path / "scripts/score.py")
    assert deployment.conda_file == tmp_path / "envs/deploy-env.yml"
    assert "code cell 3" in deployment.origin.how
    project = discover_project(tmp_path / "scripts", index=index)
    # The conda file beside the script is nobody's: only syntax checks there.
    assert project.environment_users(tmp_path / "scripts/conda.yml") == frozenset()
    assert project.environment_users(tmp_path / "envs/deploy-env.yml") == frozenset({"online"})


def test_v1_inference_config_json(tmp_path):
    write(tmp_path / "src/score.py", SCORE)
    write(tmp_path / "src/myenv.yml", SERVED_ENV)
    write(
        tmp_path / "inferenceconfig.json",
        json.dumps({"entryScript": "score.py", "sourceDirectory": "src", "condaFile": "myenv.yml"}),
    )
    (deployment,) = scan_deployments(tmp_path).for_entry_script(tmp_path / "src/score.py")
    assert deployment.origin.how == "v1 inference configuration"
    assert deployment.conda_file == tmp_path / "src/myenv.yml"


def test_v2_sdk_calls_in_a_python_file(tmp_path):
    write(tmp_path / "onlinescoring/score.py", SCORE)
    write(tmp_path / "environment/conda.yaml", SERVED_ENV)
    write(
        tmp_path / "deploy.py",
        "from azure.ai.ml.entities import CodeConfiguration, Environment, "
        "ManagedOnlineDeployment, Model\n"
        "env = Environment(conda_file='environment/conda.yaml', image='base')\n"
        "blue = ManagedOnlineDeployment(name='blue', model=Model(path='model'), "
        "environment=env, code_configuration=CodeConfiguration(code='onlinescoring', "
        "scoring_script='score.py'))\n",
    )
    (deployment,) = scan_deployments(tmp_path).for_entry_script(tmp_path / "onlinescoring/score.py")
    assert deployment.name == "blue"
    assert deployment.conda_file == tmp_path / "environment/conda.yaml"
    assert deployment.models[0].path == tmp_path / "model"


def test_batch_drivers_are_batch_deployments(tmp_path):
    write(tmp_path / "batch/driver.py", BATCH_DRIVER)
    write(tmp_path / "batch/conda.yml", KERNEL_ENV)
    write(
        tmp_path / "batch/deployment.yml",
        "$schema: https://azuremlschemas.azureedge.net/latest/batchDeployment.schema.json\n"
        "name: nightly\ncode_configuration:\n  code: .\n  scoring_script: driver.py\n"
        "environment:\n  conda_file: conda.yml\n  image: base\nmini_batch_size: 10\n",
    )
    write(tmp_path / "loose/score.py", BATCH_DRIVER)  # found by its shape alone
    index = scan_deployments(tmp_path)
    assert [d.kind for d in index.for_entry_script(tmp_path / "batch/driver.py")] == ["batch"]
    assert [d.kind for d in index.for_entry_script(tmp_path / "loose/score.py")] == ["batch"]
    project = discover_project(tmp_path / "batch", index=index)
    # Batch images have no inference server: the conda file is used, but only by batch.
    assert project.environment_users(tmp_path / "batch/conda.yml") == frozenset({"batch"})


def test_paths_that_a_deployment_yaml_names_outside_the_tree_are_refused(tmp_path):
    secret = write(tmp_path / "secret/id_rsa", "key")
    project_dir = tmp_path / "project"
    write(project_dir / "score.py", SCORE)
    write(
        project_dir / "deployment.yml",
        "code_configuration:\n  code: .\n  scoring_script: score.py\nmodel:\n  path: ../secret\n"
        "instance_type: Standard_DS3_v2\n",
    )
    project = discover_project(project_dir)
    assert secret.parent not in project.model_paths
    assert any("outside" in problem and "--model" not in problem for problem in project.problems)
    # Named on the command line, it is the user's choice.
    chosen = discover_project(project_dir, model_paths=[str(secret.parent)])
    assert chosen.model_paths == (secret.parent,)


def test_an_alias_bomb_in_a_deployment_yaml_costs_nothing(tmp_path):
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    bomb = "\n".join(levels) + "\nenvironment_variables:\n  BOMB: *a9\n"
    write(tmp_path / "score.py", SCORE)
    write(
        tmp_path / "deployment.yml",
        "code_configuration:\n  code: .\n  scoring_script: score.py\n"
        "instance_type: Standard_DS3_v2\n" + bomb,
    )
    started = time.perf_counter()
    project = discover_project(tmp_path)
    assert main(["check", str(tmp_path), "-q"]) in (0, 1)
    assert time.perf_counter() - started < 10
    assert "BOMB" not in project.environment_variables  # only scalars where scalars are expected


def test_an_entry_script_is_checked_against_its_own_deployment_environment(tmp_path):
    """Two scripts in one folder, each deployed with its own environment."""
    write(tmp_path / "score.py", "import sklearn\n" + SCORE)
    write(tmp_path / "conda.yml", SERVED_ENV)  # no scikit-learn
    with_sklearn = SERVED_ENV + "      - scikit-learn==1.5.2\n"
    write(tmp_path / "envs/sklearn.yml", with_sklearn)
    write(
        tmp_path / "deployment.yml",
        "code_configuration:\n  code: .\n  scoring_script: score.py\n"
        "environment:\n  conda_file: envs/sklearn.yml\n  image: base\n"
        "instance_type: Standard_DS3_v2\n",
    )
    script = tmp_path / "score.py"
    diagnostics = analyze_document(script, script.read_text(), project=discover_project(tmp_path))
    assert "AML116" not in codes(diagnostics)


def test_project_command_says_what_was_found_and_why(tmp_path, capsys):
    write(tmp_path / "onlinescoring/score.py", SCORE)
    write(tmp_path / "onlinescoring/conda.yml", SERVED_ENV)
    assert main(["project", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "online deployment of onlinescoring/score.py" in out
    assert "conda file onlinescoring/conda.yml" in out
    assert "convention: conda.yml beside score.py" in out
    assert main(["project", str(tmp_path), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["deployments"][0]["environment"]["condaFile"] == "onlinescoring/conda.yml"


def test_a_pipeline_step_named_score_py_is_not_an_entry_script(tmp_path):
    step = write(
        tmp_path / "score_src/score.py",
        "import argparse\nimport mlflow\n\nparser = argparse.ArgumentParser()\n"
        "model = mlflow.sklearn.load_model('model')\n",
    )
    write(tmp_path / "score_src/conda.yaml", KERNEL_ENV)
    assert classify_file(step, step.read_text(), discover_project(tmp_path)) is FileKind.PYTHON
    assert main(["check", str(tmp_path), "-q"]) == 0  # no AML101/102/115, no AML204 beside it


def test_a_parallel_job_driver_is_batch(tmp_path):
    driver = (
        "def init():\n    pass\n\n\ndef run(input_data, mini_batch_context):\n"
        "    return input_data\n"
    )
    write(tmp_path / "parallel_train.py", driver)
    conda = write(tmp_path / "conda.yaml", KERNEL_ENV)
    project = discover_project(tmp_path)
    assert project.environment_users(conda) == frozenset({"batch"})
    assert "AML204" not in codes(analyze_path(conda, project=project))


def notebook(*cells: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "source": cell} for cell in cells]})


def test_a_notebook_that_reuses_a_name_pairs_each_deployment_with_its_own_environment(tmp_path):
    for model in ("torch", "keras"):
        write(tmp_path / f"{model}/code/driver.py", BATCH_DRIVER)
        write(tmp_path / f"{model}/environment/conda.yaml", SERVED_ENV)
    deployment = (
        "deployment = ModelBatchDeployment(name='{0}', environment=env, "
        "code_configuration=CodeConfiguration(code='{0}/code/', scoring_script='driver.py'))\n"
    )
    write(
        tmp_path / "batch.ipynb",
        notebook(
            "env = Environment(conda_file='torch/environment/conda.yaml', image='base')\n",
            deployment.format("torch"),
            "env = Environment(conda_file='keras/environment/conda.yaml', image='base')\n",
            deployment.format("keras"),
        ),
    )
    index = scan_deployments(tmp_path)
    for model in ("torch", "keras"):
        (found,) = index.for_entry_script(tmp_path / f"{model}/code/driver.py")
        assert found.conda_file == tmp_path / f"{model}/environment/conda.yaml"


def test_an_environment_made_in_the_same_file_is_followed_by_its_name(tmp_path):
    write(tmp_path / "src/score.py", SCORE)
    write(tmp_path / "src/conda.yml", SERVED_ENV)
    write(
        tmp_path / "deploy_blue.py",
        "env = Environment(image='base', conda_file='./src/conda.yml', name='deploy-env')\n"
        "ml_client.environments.create_or_update(env)\n"
        "blue = ManagedOnlineDeployment(name='blue', environment='deploy-env', "
        "code_configuration=CodeConfiguration(code='./src', scoring_script='score.py'))\n",
    )
    (found,) = scan_deployments(tmp_path).for_entry_script(tmp_path / "src/score.py")
    assert found.conda_file == tmp_path / "src/conda.yml"
    assert "deploy-env" in found.environment.origin.how


def test_environments_are_followed_through_get_clone_and_create_or_update(tmp_path):
    for name in ("a", "b", "c"):
        write(tmp_path / f"{name}/score.py", SCORE)
    write(tmp_path / "c/environment/conda.yml", SERVED_ENV)
    write(
        tmp_path / "v1.ipynb",
        notebook(
            "env_a = Environment.get(workspace=ws, name='AzureML-AutoML')\n"
            "config_a = InferenceConfig(entry_script='a/score.py', environment=env_a)\n",
            "env_b = Environment.get(ws, 'AzureML-Minimal').clone('copy')\n"
            "config_b = InferenceConfig(entry_script='b/score.py', environment=env_b)\n",
        ),
    )
    write(
        tmp_path / "v2.py",
        "base = ml_client.environments.create_or_update(\n"
        "    Environment(name='c-env', image='base', conda_file='c/environment/conda.yml'))\n"
        "d = ManagedOnlineDeployment(name='c', environment=base, "
        "code_configuration=CodeConfiguration(code='c', scoring_script='score.py'))\n",
    )
    index = scan_deployments(tmp_path)
    (a,) = index.for_entry_script(tmp_path / "a/score.py")
    (b,) = index.for_entry_script(tmp_path / "b/score.py")
    (c,) = index.for_entry_script(tmp_path / "c/score.py")
    assert (a.environment.kind, a.environment.reference) == ("registry", "AzureML-AutoML")
    assert (b.environment.kind, b.environment.reference) == ("registry", "AzureML-Minimal")
    assert c.conda_file == tmp_path / "c/environment/conda.yml"


def test_the_nearest_environment_yaml_wins_when_two_share_a_name(tmp_path):
    # A samples repository keeps a copy of the same sample under cli/ and under sdk/.
    for copy in ("cli", "sdk"):
        write(tmp_path / f"{copy}/model/src/score.py", SCORE)
        write(tmp_path / f"{copy}/model/environment/conda.yml", SERVED_ENV)
        write(
            tmp_path / f"{copy}/model/environment/env.yml",
            "$schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json\n"
            "name: regression-env\nimage: base\nconda_file: conda.yml\n",
        )
    write(
        tmp_path / "cli/model/deployment.yml",
        "name: blue\ncode_configuration:\n  code: src\n  scoring_script: score.py\n"
        "environment: azureml:regression-env@latest\ninstance_type: Standard_DS3_v2\n",
    )
    (found,) = scan_deployments(tmp_path).for_entry_script(tmp_path / "cli/model/src/score.py")
    assert found.conda_file == tmp_path / "cli/model/environment/conda.yml"


def test_parallel_job_tasks_are_batch_deployments(tmp_path):
    write(tmp_path / "cli/script/predict.py", BATCH_DRIVER)
    write(tmp_path / "cli/environment/parallel.yml", KERNEL_ENV)
    write(
        tmp_path / "cli/pipeline.yml",
        "$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json\n"
        "type: pipeline\njobs:\n  predict:\n    type: parallel\n    mini_batch_size: '10'\n"
        "    task:\n      type: run_function\n      code: ./script\n"
        "      entry_script: predict.py\n      environment:\n        image: base\n"
        "        conda_file: ./environment/parallel.yml\n",
    )
    write(tmp_path / "sdk/src/tabular.py", BATCH_DRIVER)
    write(tmp_path / "sdk/src/parallel.yml", KERNEL_ENV)
    write(
        tmp_path / "sdk/pipeline.ipynb",
        notebook(
            "step = parallel_run_function(name='tabular', mini_batch_size='100',\n"
            "    task=RunFunction(code='./src', entry_script='tabular.py',\n"
            "        environment=Environment(image='base', conda_file='./src/parallel.yml')))\n"
        ),
    )
    index = scan_deployments(tmp_path)
    (from_yaml,) = index.for_entry_script(tmp_path / "cli/script/predict.py")
    (from_sdk,) = index.for_entry_script(tmp_path / "sdk/src/tabular.py")
    assert (from_yaml.kind, from_yaml.conda_file) == (
        "batch",
        tmp_path / "cli/environment/parallel.yml",
    )
    assert (from_sdk.kind, from_sdk.conda_file) == ("batch", tmp_path / "sdk/src/parallel.yml")
    assert index.using_conda_file(tmp_path / "cli/environment/parallel.yml") == (from_yaml,)


def test_a_v1_script_run_from_the_repository_root_with_magics(tmp_path):
    # An exported notebook: magics and a shell escape continued over lines, paths from the root.
    write(tmp_path / "v3/score.py", SCORE)
    write(tmp_path / "v3/ta_env.yml", SERVED_ENV)
    write(
        tmp_path / "v3/deploy.py",
        "from azureml.core.image import ContainerImage\n\n%%time\n"
        "config = ContainerImage.image_configuration(execution_script='score.py',\n"
        "    runtime='python', conda_file='v3/ta_env.yml')\n"
        "!curl -X POST \\\n    -H 'Content-Type: application/json' \\\n    http://localhost\n",
    )
    (found,) = scan_deployments(tmp_path).for_entry_script(tmp_path / "v3/score.py")
    assert found.conda_file == tmp_path / "v3/ta_env.yml"


def test_a_registered_environment_by_name_from_a_notebook_moved_into_a_subfolder(tmp_path):
    write(tmp_path / "deploy_me.py", SCORE)
    write(tmp_path / "conda_dependencies.yml", SERVED_ENV)
    write(
        tmp_path / "notebooks/tuning.ipynb",
        notebook(
            "sk_env = Environment.from_conda_specification(\n"
            "    name='sklearn_env', file_path='conda_dependencies.yml')\n",
            "sk_env.register(ws)\n",
            "config = InferenceConfig(environment=ws.environments['sklearn_env'],\n"
            "    source_directory='.', entry_script='deploy_me.py')\n",
        ),
    )
    (found,) = scan_deployments(tmp_path).for_entry_script(tmp_path / "deploy_me.py")
    assert not found.is_convention
    assert found.conda_file == tmp_path / "conda_dependencies.yml"


def test_a_shell_script_that_sets_the_scoring_script_deploys_it(tmp_path):
    # The YAML leaves the script (or its folder) to the CLI's --set; scripts run from their folder.
    write(tmp_path / "samples/payloads/code/single.py", SCORE)
    write(tmp_path / "samples/payloads/code/multi.py", SCORE)
    write(tmp_path / "samples/payloads/env.yml", SERVED_ENV)
    write(
        tmp_path / "samples/payloads/deployment.yml",
        "$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json\n"
        "name: payloads\ncode_configuration:\n  code: code\n  scoring_script: <SCORING_SCRIPT>\n"
        "environment:\n  conda_file: env.yml\n  image: base\ninstance_type: Standard_DS3_v2\n",
    )
    write(
        tmp_path / "deploy-payloads.sh",
        'BASE_PATH="samples/payloads"\n'
        "az ml online-deployment create -e $ENDPOINT -f $BASE_PATH/deployment.yml \\\n"
        "  --set code_configuration.scoring_script=single.py \\\n  --all-traffic\n"
        "az ml online-deployment update -e $ENDPOINT -n payloads \\\n"
        '  --set code_configuration.scoring_script="multi.py"\n',
    )
    index = scan_deployments(tmp_path)
    for script, line in (("single.py", 1), ("multi.py", 4)):
        (found,) = index.for_entry_script(tmp_path / f"samples/payloads/code/{script}")
        assert found.conda_file == tmp_path / "samples/payloads/env.yml"
        assert (found.origin.file.name, found.origin.line) == ("deploy-payloads.sh", line)


def test_an_environment_built_from_a_dockerfile_pairs_the_conda_file_it_installs(tmp_path):
    dockerfile = (
        "FROM mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04\n"
        "COPY --chown=user conda_dependencies.yaml .\n"
        "RUN conda env create -p /env -f conda_dependencies.yaml && rm conda_dependencies.yaml\n"
    )
    write(tmp_path / "sdk/files/docker_env/Dockerfile", dockerfile)
    write(tmp_path / "sdk/files/docker_env/conda_dependencies.yaml", SERVED_ENV)
    write(tmp_path / "sdk/files/score/score_batch.py", BATCH_DRIVER)
    write(
        tmp_path / "sdk/batch.ipynb",
        notebook(
            "environment_name = 'model-env'\n"
            "try:\n    env = ml_client.environments.get(environment_name, label='latest')\n"
            "except Exception:\n"
            "    env = Environment(name=environment_name, "
            "build=BuildContext(path='./files/docker_env'))\n"
            "    ml_client.environments.create_or_update(env)\n"
            "    env = ml_client.environments.get(environment_name, label='latest')\n",
            "deployment = ModelBatchDeployment(name='d', environment=env, code_configuration="
            "CodeConfiguration(code='files/score', scoring_script='score_batch.py'))\n",
        ),
    )
    write(tmp_path / "cli/docker/Dockerfile", dockerfile)
    write(tmp_path / "cli/docker/conda_dependencies.yaml", SERVED_ENV)
    write(tmp_path / "cli/code/score.py", SCORE)
    write(
        tmp_path / "cli/deployment.yml",
        "name: blue\ncode_configuration:\n  code: code\n  scoring_script: score.py\n"
        "environment:\n  build:\n    path: docker\ninstance_type: Standard_DS3_v2\n",
    )
    index = scan_deployments(tmp_path)
    (sdk,) = index.for_entry_script(tmp_path / "sdk/files/score/score_batch.py")
    (cli,) = index.for_entry_script(tmp_path / "cli/code/score.py")
    assert sdk.conda_file == tmp_path / "sdk/files/docker_env/conda_dependencies.yaml"
    assert cli.conda_file == tmp_path / "cli/docker/conda_dependencies.yaml"
    assert "Dockerfile" in cli.environment.origin.how


def test_an_environment_referred_to_by_an_f_string_of_its_name(tmp_path):
    write(tmp_path / "code/multi.py", SCORE)
    write(tmp_path / "envs/multimodel.yml", SERVED_ENV)
    write(
        tmp_path / "multimodel.ipynb",
        notebook(
            "conda_file_path = 'envs/multimodel.yml'\n",
            "environment = Environment(name='multi', image='base', conda_file=conda_file_path)\n"
            "environment = ml_client.environments.create_or_update(environment)\n",
            "deployment = ManagedOnlineDeployment(name='blue',\n"
            "    code_configuration=CodeConfiguration(code='code', scoring_script='multi.py'),\n"
            "    environment=f'azureml:{environment.name}:{environment.version}')\n",
        ),
    )
    (found,) = scan_deployments(tmp_path).for_entry_script(tmp_path / "code/multi.py")
    assert found.conda_file == tmp_path / "envs/multimodel.yml"


def test_placeholders_cell_exports_and_pasted_notes_are_not_entry_scripts(tmp_path):
    empty = write(tmp_path / "deploy/score.py", "# filled in later\n")
    export = write(
        tmp_path / "write_script.py",
        "%%writefile score.py\nimport json\n\ndef init():\n    pass\n\ndef run(data):\n"
        "    return data\n",
    )
    notes = write(tmp_path / "Notes.py", "def init():\n  pass\n   def run(data):\n return data\n")
    project = discover_project(tmp_path)
    for path in (empty, export, notes):
        assert classify_file(path, path.read_text(), project) is FileKind.PYTHON, path.name
    assert main(["check", str(tmp_path), "-q"]) == 0


def test_a_new_score_py_with_a_first_import_still_gets_the_stubs(tmp_path):
    score = write(tmp_path / "score.py", "import json\n")
    assert {"AML101", "AML102"} <= codes(analyze_path(score))
