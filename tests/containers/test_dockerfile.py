"""The debug image plan without an engine: layer order, conda to pip, CA bundle, failure mapping."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from amldebug.containers.build import (
    build_context,
    locate_build_failure,
    resolve_ca_bundle,
)
from amldebug.containers.dockerfile import (
    BuildOptions,
    ContextLink,
    plan_debug_image,
    translate_conda_to_pip,
)
from amldebug.containers.install_script import conda_python_version, python_version_check
from amldebug.containers.run import next_free_tag, registry_of
from amldebug.project import discover_project

WORKING = Path(__file__).resolve().parents[2] / "examples" / "working-project"


def _instructions(dockerfile: str) -> list[str]:
    return [line for line in dockerfile.splitlines() if line and not line.startswith(("#", " "))]


def test_conda_entries_become_pip_requirements_with_their_lines() -> None:
    text = (
        "name: env\n"
        "dependencies:\n"
        "  - python=3.9\n"
        "  - numpy=1.24\n"
        "  - scikit-learn==1.2.2\n"
        "  - pytorch>=2.0\n"
        "  - cudatoolkit=11.8\n"
        "  - pandas\n"
        "  - pip:\n"
        "      - requests==2.31.0\n"
        "      - -r requirements.txt\n"
    )
    translation = translate_conda_to_pip(text, Path("conda.yml"))
    requirements = {r.requirement: r.line for r in translation.requirements}
    assert requirements == {
        "numpy==1.24.*": 3,
        "scikit-learn==1.2.2": 4,
        "torch>=2.0": 5,
        "pandas": 7,
        "requests==2.31.0": 9,
    }
    untranslated = {u.entry: u.reason for u in translation.untranslated}
    assert set(untranslated) == {"python=3.9", "cudatoolkit=11.8", "-r requirements.txt"}
    assert "base image's Python" in untranslated["python=3.9"]


def test_the_image_starts_from_the_environment_image_and_the_code_comes_last() -> None:
    project = discover_project(WORKING)
    plan = plan_debug_image(project, BuildOptions(base_image="base:1", base_image_id="sha256:b"))
    steps = _instructions(plan.dockerfile)
    # The packages are installed apart, into the environment image (keyed on the base image).
    assert steps[0] == f"FROM {plan.environment_image}"
    assert plan.environment_image.startswith("amldebug-env:")
    assert not any(s.startswith("RUN ") for s in steps)
    code = steps.index("COPY code/ /var/azureml-app/")
    model = next(i for i, s in enumerate(steps) if s.startswith("COPY models/"))
    wrapper = next(
        i for i, s in enumerate(steps) if "amldebug_entry.py" in s and s.startswith("COPY")
    )
    assert model < wrapper < code
    requirements = plan.environment.files["requirements.txt"]
    assert isinstance(requirements, bytes) and b"azureml-inference-server-http" in requirements
    # The environment image keeps the base image's ENTRYPOINT: none here (it would defeat the
    # layer cache over a committed image).
    assert not any(s.startswith("ENTRYPOINT") for s in steps)


def test_the_model_folder_keeps_its_name_under_azureml_model_dir_as_in_azure_ml() -> None:
    project = discover_project(WORKING)
    plan = plan_debug_image(project, BuildOptions(base_image="base:1"))
    assert plan.model_dir == "/var/azureml-app/azureml-models/model/1"
    assert "AZUREML_MODEL_DIR=/var/azureml-app/azureml-models/model/1" in plan.dockerfile
    # Stored outside the app root (a mount cannot hide it), reached through a symlink.
    assert "COPY models/ /var/azureml-models/" in plan.dockerfile
    names = dict(_context_names(plan))
    assert "models/model/1/model/model.json" in names
    assert names["code/azureml-models"] == ContextLink("/var/azureml-models")
    assert 'amldebug.model-dir="model/1"' in plan.dockerfile


def test_the_server_runs_as_the_base_images_own_user_after_installing() -> None:
    project = discover_project(WORKING)
    plan = plan_debug_image(project, BuildOptions(base_image="base:1", base_user="app"))
    steps = _instructions(plan.dockerfile)
    assert steps.index("USER app") > steps.index("COPY code/ /var/azureml-app/")
    assert steps[-2].startswith("CMD ") and not any("no non-root user" in n for n in plan.notes)
    assert steps[-1].startswith("LABEL amldebug.built=1 ")  # one LABEL step, last


def test_a_root_base_image_is_said_and_gets_no_user_line() -> None:
    project = discover_project(WORKING)
    for user in ("", "root", "0:0"):
        plan = plan_debug_image(project, BuildOptions(base_image="base:1", base_user=user))
        assert [s for s in _instructions(plan.dockerfile) if s.startswith("USER ")] == []
        assert any("no non-root user" in note for note in plan.notes)


def _context_names(plan):  # type: ignore[no-untyped-def]
    from amldebug.containers.dockerfile import context_files

    return [(name, source) for name, source in context_files(plan)]


def test_declared_inference_server_is_not_added_twice_and_debugpy_is_added() -> None:
    project = discover_project(WORKING)
    plan = plan_debug_image(project, BuildOptions(base_image="base:1"))
    requirements = [r.requirement for r in plan.requirements]
    assert requirements.count("azureml-inference-server-http==1.5.1") == 1
    assert "azureml-inference-server-http" not in requirements
    assert "debugpy" in requirements
    # The python= pin is no package left out (the build log compares the Python versions).
    assert not any("python=3.11" in note for note in plan.notes)
    assert plan.untranslated and plan.untranslated[0].entry == "python=3.11"


def test_ca_bundle_is_used_by_the_install_and_never_in_the_build_context(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    project = discover_project(WORKING)
    plan = plan_debug_image(project, BuildOptions(base_image="base:1", ca_bundle=bundle))
    # Put into the install container with the scripts, which remove it whatever happens.
    assert plan.environment.files["ca-bundle.pem"] == bundle
    for script in ("install.sh", "extend.sh"):
        text = plan.environment.files[script]
        assert isinstance(text, bytes)
        assert "export PIP_CERT=/tmp/amldebug-env/ca-bundle.pem" in text.decode()
        assert "trap 'rm -rf /tmp/amldebug-env' EXIT" in text.decode()
    assert "ca-bundle" not in plan.dockerfile and "amldebug-env/" not in plan.dockerfile
    assert not any(
        "ca-bundle" in name or name.endswith(".pem") for name in dict(_context_names(plan))
    )


def test_pip_index_settings_reach_the_install_without_entering_the_image() -> None:
    project = discover_project(WORKING)
    options = BuildOptions(
        base_image="base:1",
        pip_index_url="https://mirror.example/simple",
        pip_trusted_host="mirror.example",
    )
    plan = plan_debug_image(project, options)
    install = plan.environment.files["install.sh"]
    assert isinstance(install, bytes)
    assert "export PIP_INDEX_URL='https://mirror.example/simple'" in install.decode()
    assert "PIP_INDEX_URL" not in plan.dockerfile


def test_steps_file_comes_last(tmp_path: Path) -> None:
    (tmp_path / "score.py").write_text("def init():\n    pass\n\ndef run(data):\n    return data\n")
    (tmp_path / "Dockerfile.steps").write_text(
        "RUN apt-get update && \\\n    apt-get install -y vim\n"
    )
    plan = plan_debug_image(discover_project(tmp_path), BuildOptions(base_image="base:1"))
    lines = plan.dockerfile.splitlines()
    assert plan.steps_first_line is not None
    assert lines[plan.steps_first_line - 1] == "RUN apt-get update && \\"
    assert lines.index("COPY code/ /var/azureml-app/") < plan.steps_first_line - 1


def test_code_layer_skips_vcs_and_caches(tmp_path: Path) -> None:
    (tmp_path / "score.py").write_text("def init():\n    pass\n\ndef run(data):\n    return data\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "score.cpython-311.pyc").write_bytes(b"\0")
    plan = plan_debug_image(discover_project(tmp_path), BuildOptions(base_image="base:1"))
    names = [name for name, _ in _context_names(plan)]
    assert "code/score.py" in names
    assert not any(".git" in n or "__pycache__" in n for n in names)


def test_build_context_is_byte_identical_for_identical_inputs(tmp_path: Path) -> None:
    project = discover_project(WORKING)
    plan = plan_debug_image(project, BuildOptions(base_image="base:1"))
    assert build_context(plan) == build_context(plan)


def test_no_matching_distribution_points_at_the_conda_line(tmp_path: Path) -> None:
    (tmp_path / "score.py").write_text("def init():\n    pass\n\ndef run(data):\n    return data\n")
    conda = tmp_path / "conda.yml"
    conda.write_text(
        "dependencies:\n  - python=3.11\n  - pip:\n      - numpy\n      - not-a-real-package==9.9\n"
    )
    project = discover_project(tmp_path)
    plan = plan_debug_image(project, BuildOptions(base_image="base:1"))
    log = [
        "ERROR: Could not find a version that satisfies the requirement not-a-real-package==9.9",
        "ERROR: No matching distribution found for not-a-real-package==9.9",
    ]
    locations = locate_build_failure(project, plan, log, "RUN ...")
    assert [(loc.file.name, loc.line + 1) for loc in locations] == [("conda.yml", 5)]
    assert locations[0].render(project).startswith("conda.yml:5: ")


def test_failing_steps_instruction_points_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "score.py").write_text("def init():\n    pass\n\ndef run(data):\n    return data\n")
    steps = tmp_path / "Dockerfile.steps"
    steps.write_text(
        "ENV A=1\n# install tools\nRUN apt-get update && \\\n    apt-get install -y nosuchtool\n"
    )
    project = discover_project(tmp_path)
    plan = plan_debug_image(project, BuildOptions(base_image="base:1"))
    log = [
        "Step 19/21 : RUN apt-get update &&     apt-get install -y nosuchtool",
        "E: Unable to locate package nosuchtool",
    ]
    locations = locate_build_failure(
        project, plan, log, "RUN apt-get update &&     apt-get install -y nosuchtool"
    )
    assert [(loc.file.name, loc.line + 1) for loc in locations] == [("Dockerfile.steps", 3)]
    assert "Unable to locate package nosuchtool" in locations[0].message


def test_ca_bundle_auto_finds_this_machines_bundle_and_a_missing_file_is_a_usage_error(
    tmp_path: Path,
) -> None:
    found = resolve_ca_bundle("auto")
    assert found is not None and found.is_file()
    assert resolve_ca_bundle("none") is None
    try:
        resolve_ca_bundle(tmp_path / "missing.pem")
    except Exception as error:
        assert "does not exist" in str(error)
        assert getattr(error, "exit_code", None) == 2
    else:
        raise AssertionError("a missing CA bundle must be refused")


def test_next_free_debug_tag_and_registry_names() -> None:
    assert next_free_tag([]) == "debug:1"
    assert next_free_tag(["debug:1", "debug:3", "other:9", "debug:latest"]) == "debug:4"
    assert registry_of("myacr.azurecr.io/azureml/img:1") == "myacr.azurecr.io"
    assert registry_of("127.0.0.1:5000/base:1") == "127.0.0.1:5000"
    assert registry_of("ubuntu:22.04") is None


@pytest.mark.parametrize(
    ("pin", "matches"),
    [(f"{sys.version_info[0]}.{sys.version_info[1]}", True), ("2.7", False)],
)
def test_the_build_log_says_whether_the_base_images_python_matches_the_conda_pin(pin, matches):
    conda = f"dependencies:\n  - python={pin}\n  - pip\n"
    assert conda_python_version(conda) == pin
    script = "\n".join(python_version_check(conda_python_version(conda)))
    result = subprocess.run(
        ["sh", "-c", script], env={"PY": sys.executable}, capture_output=True, text=True, check=True
    )
    if matches:
        assert f"matches python={pin} in the conda file" in result.stdout
    else:
        assert "WARNING: the base image has Python" in result.stderr
        assert "asks for python=2.7" in result.stderr


def test_no_python_pin_means_no_version_check():
    assert conda_python_version("dependencies:\n  - numpy=1.26\n") is None
    assert python_version_check(None) == []


def test_uv_installs_the_environment_with_pip_as_the_fallback(tmp_path: Path) -> None:
    uv = tmp_path / "uv"
    uv.write_bytes(b"\x7fELF")
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    options = BuildOptions(
        base_image="base:1", uv_binary=uv, ca_bundle=bundle, pip_index_url="https://mirror/simple"
    )
    plan = plan_debug_image(discover_project(WORKING), options)
    # uv goes to the install container only, never into the debug image's context.
    assert plan.environment.files["uv"] == uv
    assert "uv" not in plan.dockerfile.replace("--entry_script", "")
    script = plan.environment.files["install.sh"]
    assert isinstance(script, bytes)
    text = script.decode()
    assert "/tmp/amldebug-env/uv pip install" in text and "--compile-bytecode" in text
    assert "--no-cache" in text  # a cache would be committed with the environment
    assert "export UV_CACHE_DIR=/tmp/amldebug-env/uv-cache" in text
    assert "pip tries" in text and "-m pip install" in text  # the fallback
    # Both installers trust the proxy's CA and use the same index.
    assert "export SSL_CERT_FILE=/tmp/amldebug-env/ca-bundle.pem" in text
    assert "export PIP_CERT=/tmp/amldebug-env/ca-bundle.pem" in text
    assert "export UV_INDEX_URL='https://mirror/simple'" in text


def test_without_uv_the_install_is_pip_alone() -> None:
    plan = plan_debug_image(discover_project(WORKING), BuildOptions(base_image="base:1"))
    for name in ("install.sh", "extend.sh"):
        script = plan.environment.files[name]
        assert isinstance(script, bytes) and b"amldebug-env/uv " not in script
    assert "uv" not in plan.environment.files


def test_the_hosts_uv_is_offered_only_to_an_image_of_the_hosts_platform() -> None:
    from amldebug.containers.build import host_uv_for

    assert host_uv_for(("windows", "amd64")) is None
    assert host_uv_for(("linux", "s390x")) is None
