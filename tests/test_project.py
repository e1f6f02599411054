"""Project discovery: the deployment YAML wins over conventions, explicit options win over both."""

from pathlib import Path

from amldebug.project import FileKind, classify_file, discover_project

WORKING = Path(__file__).parent.parent / "examples" / "working-project"


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_working_example_is_read_from_its_deployment_yaml():
    project = discover_project(WORKING)
    assert project.deployment_file == WORKING / "deployment.yml"
    assert project.entry_script == WORKING / "score.py"
    assert project.conda_file == WORKING / "conda.yml"
    assert project.model_paths == (WORKING / "model",)
    assert (
        project.base_image
        == "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest"
    )
    assert project.problems == ()


def test_conventions_without_deployment_yaml(tmp_path):
    write(tmp_path / "score.py", "def init(): pass\ndef run(d): return d\n")
    write(tmp_path / "environment.yml", "dependencies: []\n")
    write(tmp_path / "Dockerfile.steps", "RUN true\n")
    project = discover_project(tmp_path)
    assert project.entry_script == tmp_path / "score.py"
    assert project.conda_file == tmp_path / "environment.yml"
    assert project.steps_file == tmp_path / "Dockerfile.steps"
    assert project.deployment_file is None


def test_conda_file_names_are_tried_in_the_documented_order(tmp_path):
    write(tmp_path / "conda.yml")
    write(tmp_path / "myenv.yml")
    assert discover_project(tmp_path).conda_file == tmp_path / "myenv.yml"


def test_deployment_yaml_points_into_a_code_folder(tmp_path):
    write(
        tmp_path / "blue.yaml",
        "model:\n  path: ./models/clf\n"
        "code_configuration:\n  code: src\n  scoring_script: main.py\n"
        "environment:\n  conda_file: env/conda.yml\n  image: myimage:1\n"
        "environment_variables:\n  LOG_LEVEL: debug\n",
    )
    write(tmp_path / "src" / "main.py", "def init(): pass\ndef run(x): return x\n")
    write(tmp_path / "env" / "conda.yml", "dependencies: []\n")
    write(tmp_path / "score.py", "# a decoy: the deployment names src/main.py\n")
    project = discover_project(tmp_path)
    assert project.entry_script == tmp_path / "src" / "main.py"
    assert project.conda_file == tmp_path / "env" / "conda.yml"
    assert project.model_paths == (tmp_path / "models" / "clf",)
    assert project.base_image == "myimage:1"
    assert project.environment_variables == {"LOG_LEVEL": "debug"}


def test_a_file_in_the_code_folder_finds_the_deployment_one_level_up(tmp_path):
    write(
        tmp_path / "deployment.yml", "code_configuration:\n  code: src\n  scoring_script: main.py\n"
    )
    script = write(tmp_path / "src" / "main.py", "def init(): pass\ndef run(x): return x\n")
    project = discover_project(script)
    assert project.root == tmp_path
    assert project.entry_script == script


def test_explicit_options_win(tmp_path):
    write(tmp_path / "score.py")
    write(tmp_path / "other.py")
    write(tmp_path / "conda.yml")
    write(tmp_path / "envs" / "prod.yml")
    project = discover_project(
        tmp_path, entry_script="other.py", conda_file="envs/prod.yml", model_paths=["m.pkl"]
    )
    assert project.entry_script == tmp_path / "other.py"
    assert project.conda_file == tmp_path / "envs" / "prod.yml"
    assert project.model_paths == (tmp_path / "m.pkl",)


def test_registered_assets_and_missing_files_are_reported_not_raised(tmp_path):
    write(
        tmp_path / "d.yml",
        "model: azureml:clf:3\nenvironment: azureml:env:1\n"
        "code_configuration:\n  scoring_script: gone.py\n",
    )
    project = discover_project(tmp_path)
    text = " ".join(project.problems)
    assert "azureml:clf:3" in text and "--model" in text
    assert "azureml:env:1" in text and "--conda-file" in text
    assert "gone.py does not exist" in text


def test_broken_deployment_yaml_is_a_problem_not_a_crash(tmp_path):
    write(tmp_path / "deploy.yml", "code_configuration: [unclosed\n")
    project = discover_project(tmp_path)
    assert project.deployment_file is None
    assert any("not valid YAML" in problem for problem in project.problems)


def test_classify_by_name_and_by_content(tmp_path):
    assert classify_file(tmp_path / "score.py") is FileKind.ENTRY_SCRIPT
    assert classify_file(tmp_path / "conda.yaml") is FileKind.CONDA_FILE
    assert classify_file(tmp_path / "Dockerfile.steps") is FileKind.STEPS_FILE
    entry = "import json\n\ndef init():\n    pass\n\ndef run(data):\n    return data\n"
    assert classify_file(tmp_path / "predict.py", entry) is FileKind.ENTRY_SCRIPT
    assert classify_file(tmp_path / "train.py", "print('hi')\n") is FileKind.PYTHON
    assert (
        classify_file(tmp_path / "env.yaml", "name: e\ndependencies:\n  - pip\n")
        is FileKind.CONDA_FILE
    )
    assert (
        classify_file(tmp_path / "blue.yml", "scale_settings:\n  type: default\n")
        is FileKind.DEPLOYMENT
    )
    assert classify_file(tmp_path / "notes.txt", "dependencies:") is FileKind.OTHER


def test_classify_prefers_the_projects_choice(tmp_path):
    write(tmp_path / "d.yml", "code_configuration:\n  scoring_script: predict.py\n")
    script = write(tmp_path / "predict.py", "x = 1\n")
    project = discover_project(tmp_path)
    assert classify_file(script, "x = 1\n", project) is FileKind.ENTRY_SCRIPT


def test_a_python_file_quoting_a_score_py_in_a_string_is_not_an_entry_script(tmp_path):
    quoted = 'SCORE = """\ndef init():\n    pass\n\ndef run(data):\n    return data\n"""\n'
    assert classify_file(tmp_path / "test_helpers.py", quoted) is FileKind.PYTHON
    # Found by content alone, a file must parse to have real functions; by its name, or named
    # by a deployment, a broken one is still an entry script and its syntax error is reported.
    broken = "def init():\n    pass\n\ndef run(data):\n    return (\n"
    assert classify_file(tmp_path / "predict.py", broken) is FileKind.PYTHON
    assert classify_file(tmp_path / "score.py", broken) is FileKind.ENTRY_SCRIPT
