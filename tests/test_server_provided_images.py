"""Images Azure ML adds its own inference server to (a model package, a v1 ContainerImage, the
2018 preview's Image.create): the rules about the server the environment installs are off there."""

from __future__ import annotations

from tests.support.project_tree import SCORE, codes, write

from amldebug.analysis import analyze_path
from amldebug.project import discover_project

# No inference server: an error for an online deployment that pip-installs one.
KERNEL_ENV = (
    "name: notebook-kernel\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n      - numpy\n"
)


def test_images_azure_ml_adds_the_server_to_need_none_in_the_conda_file(tmp_path):
    """A model package (`--package-model`), a v1 ContainerImage and the 2018 preview's
    Image.create bring their own server."""
    write(tmp_path / "pkg/src/score.py", SCORE)
    packaged_env = write(tmp_path / "pkg/environment/conda.yaml", KERNEL_ENV)
    write(
        tmp_path / "pkg/model-deployment.yml",
        "name: regular\ncode_configuration:\n  code: src\n  scoring_script: score.py\n"
        "environment:\n  conda_file: environment/conda.yaml\n  image: base\n"
        "instance_type: Standard_DS3_v2\n",
    )
    write(
        tmp_path / "pkg/deploy.sh",
        "az ml online-deployment create --package-model --file model-deployment.yml\n",
    )
    write(tmp_path / "v1/score.py", SCORE)
    v1_env = write(tmp_path / "v1/myenv.yml", KERNEL_ENV)
    write(
        tmp_path / "v1/deploy.py",
        "from azureml.core.image import ContainerImage\n"
        "config = ContainerImage.image_configuration(execution_script='score.py', "
        "runtime='python', conda_file='myenv.yml')\n",
    )
    write(tmp_path / "preview/score.py", SCORE)
    preview_env = write(tmp_path / "preview/myenv.yml", KERNEL_ENV)
    write(
        tmp_path / "preview/o16n.py",
        "image = Image.create(name='img', workspace=ws, runtime='python', "
        "execution_script='score.py', conda_file='myenv.yml')\n",
    )
    project = discover_project(tmp_path)
    for conda in (packaged_env, v1_env, preview_env):
        assert project.environment_users(conda) == frozenset({"online-served"}), conda
        assert "AML204" not in codes(analyze_path(conda, project=project))


def test_no_build_error_about_the_server_where_azure_ml_adds_its_own(tmp_path):
    # A 2018 v1 image on Python 3.5: no server release installs there, but none is pip-installed
    # (Azure ML adds its own), so no AML210 error; the end of life (AML216) still holds.
    write(tmp_path / "score.py", SCORE)
    env = write(tmp_path / "myenv.yml", "name: old\ndependencies:\n  - python=3.5.2\n")
    write(
        tmp_path / "deploy.py",
        "from azureml.core.image import ContainerImage\n"
        "config = ContainerImage.image_configuration(execution_script='score.py', "
        "runtime='python', conda_file='myenv.yml')\n",
    )
    found = codes(analyze_path(env, project=discover_project(tmp_path)))
    assert "AML210" not in found and "AML216" in found
    # The same file deployed by a v2 YAML, whose image pip-installs the server: the error stays.
    write(
        tmp_path / "deployment.yml",
        "code_configuration:\n  code: .\n  scoring_script: score.py\n"
        "environment:\n  conda_file: myenv.yml\n  image: base\ninstance_type: Standard_DS3_v2\n",
    )
    assert "AML210" in codes(analyze_path(env, project=discover_project(tmp_path)))
