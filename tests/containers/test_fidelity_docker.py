"""Fidelity against a real Docker engine: the models where Azure ML puts them, and the server run
as the base image's own user.

Each model shape gets a score.py written the way Microsoft's samples write it (our own code), is
built into a debug image and answers a request. Needs `.ci/setup-docker.sh`.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import tarfile
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from amldebug.containers.build import build_debug_image, build_options_from_environment
from amldebug.containers.docker_engine import DockerEngine, connect
from amldebug.containers.run import RunOptions, reload_container, run_debug_container
from amldebug.errors import AmlDebugError
from amldebug.progress import RecordingReporter
from amldebug.project import discover_project

pytestmark = [pytest.mark.docker, pytest.mark.slow]

BASE_IMAGE = "amldebug-test/python-base:bookworm"
RUN_ID = uuid.uuid4().hex[:8]
NON_ROOT_BASE = f"fid-nonroot-base:{RUN_ID}"
NON_ROOT_USER = "azureuser"

# The reply every score.py below gives: what it loaded, and where AZUREML_MODEL_DIR pointed.
REPLY = """
def run(raw_data):
    return {"loaded": loaded, "model_dir": os.getenv("AZUREML_MODEL_DIR")}
"""

# v2 deployment, model.path a folder: Microsoft's v2 sample joins "model/<file>".
V2_FOLDER_SCORE = (
    """import json
import os


def init():
    global loaded
    model_path = os.path.join(os.getenv("AZUREML_MODEL_DIR"), "model/weights.json")
    with open(model_path) as handle:
        loaded = json.load(handle)["name"]
"""
    + REPLY
)

# v2 deployment, model.path a single file: the file sits in AZUREML_MODEL_DIR itself.
V2_FILE_SCORE = (
    """import json
import os


def init():
    global loaded
    model_path = os.path.join(os.getenv("AZUREML_MODEL_DIR"), "weights.json")
    with open(model_path) as handle:
        loaded = json.load(handle)["name"]
"""
    + REPLY
)

# v1 Model.deploy with one model registered from a folder: <name>/<version>/<registered path>.
V1_ONE_SCORE = (
    """import json
import os


def init():
    global loaded
    # AZUREML_MODEL_DIR is ./azureml-models/$MODEL_NAME/$VERSION for one model.
    model_path = os.path.join(os.getenv("AZUREML_MODEL_DIR"), "clf", "weights.json")
    with open(model_path) as handle:
        loaded = json.load(handle)["name"]
"""
    + REPLY
)

# v1 Model.deploy with several models: AZUREML_MODEL_DIR is ./azureml-models, one folder each.
V1_SEVERAL_SCORE = (
    """import json
import os


def init():
    global loaded
    root = os.getenv("AZUREML_MODEL_DIR")
    loaded = []
    for name in ("my_first_model", "my_second_model"):
        with open(os.path.join(root, name, "1", name + ".json")) as handle:
            loaded.append(json.load(handle)["name"])
"""
    + REPLY
)

WHO_SCORE = (
    """import json
import os


def init():
    global loaded
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        with open(os.path.join(here, "written-next-to-score.txt"), "w") as handle:
            handle.write("x")
        wrote = True
    except PermissionError:
        wrote = False
    loaded = {"uid": os.getuid(), "wrote_next_to_score": wrote}
"""
    + REPLY
)


def _engine_or_skip() -> DockerEngine:
    try:
        engine = connect(timeout=120)  # image removals on a loaded machine are slow
    except AmlDebugError as error:
        pytest.skip(f"no Docker engine ({error.message}); run .ci/setup-docker.sh")
    if not engine.image_exists(BASE_IMAGE):
        pytest.skip(f"the base image {BASE_IMAGE} is missing; run .ci/setup-docker.sh")
    return engine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def post_score(port: int) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/score", data=b"{}", headers={"Content-Type": "application/json"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=30) as response:
        return json.loads(response.read())


def weights(path: Path, name: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"name": name}))


def v2_deployment(root: Path, model_path: str) -> None:
    (root / "deployment.yml").write_text(
        "name: blue\nendpoint_name: fid\n"
        f"model:\n  path: {model_path}\n"
        "code_configuration:\n  code: .\n  scoring_script: score.py\n"
        "instance_type: Standard_DS3_v2\n"
    )


@pytest.fixture(scope="module")
def engine() -> Iterator[DockerEngine]:
    engine = _engine_or_skip()
    yield engine
    for container in engine.containers_with_label(f"fid.test-run={RUN_ID}"):
        container.remove(force=True)
    for reference in engine.image_tags():
        if reference.startswith("fid-") and RUN_ID in reference:
            with contextlib.suppress(Exception):  # a busy engine may time out; not a failure
                engine.remove_image(reference)
    engine.close()


def build_and_score(
    engine: DockerEngine,
    project_dir: Path,
    label: str,
    *,
    model_paths: tuple[str, ...] = (),
    base_image: str = BASE_IMAGE,
    mount: bool = False,
) -> tuple[Any, list[str]]:
    project = discover_project(project_dir, model_paths=model_paths)
    tag = f"fid-{label}:{RUN_ID}"
    options = build_options_from_environment(base_image=base_image, tag=tag, ca_bundle="auto")
    reporter = RecordingReporter()
    build_debug_image(project, options, engine, reporter=reporter)
    name = f"fid-{label}-{RUN_ID}"
    port = free_port()
    run_options = RunOptions(
        image=tag,
        name=name,
        port=port,
        debug_port=free_port(),
        env={},
        timeout=90,
        mount=mount,
    )
    try:
        run_debug_container(project, run_options, engine)
        return post_score(port), [str(line) for line in reporter.lines]
    finally:
        engine.remove_container(name)


def test_v2_folder_model_keeps_the_folder_name_under_azureml_model_dir(
    engine: DockerEngine, tmp_path: Path
) -> None:
    (tmp_path / "score.py").write_text(V2_FOLDER_SCORE)
    weights(tmp_path / "model" / "weights.json", "v2-folder")
    v2_deployment(tmp_path, "model")
    reply, _ = build_and_score(engine, tmp_path, "v2-folder")
    assert reply == {
        "loaded": "v2-folder",
        "model_dir": "/var/azureml-app/azureml-models/model/1",
    }


def test_v2_folder_model_with_the_project_mounted_reaches_the_same_files(
    engine: DockerEngine, tmp_path: Path
) -> None:
    (tmp_path / "score.py").write_text(V2_FOLDER_SCORE)
    weights(tmp_path / "model" / "weights.json", "v2-mounted")
    v2_deployment(tmp_path, "model")
    reply, _ = build_and_score(engine, tmp_path, "v2-mounted", mount=True)
    assert reply == {"loaded": "v2-mounted", "model_dir": "/var/azureml-models/model/1"}
    assert not (tmp_path / "azureml-models").exists()  # nothing left in the user's folder


def test_v2_single_file_model_sits_directly_in_azureml_model_dir(
    engine: DockerEngine, tmp_path: Path
) -> None:
    (tmp_path / "score.py").write_text(V2_FILE_SCORE)
    weights(tmp_path / "models" / "weights.json", "v2-file")
    v2_deployment(tmp_path, "models/weights.json")
    reply, _ = build_and_score(engine, tmp_path, "v2-file")
    assert reply == {
        "loaded": "v2-file",
        "model_dir": "/var/azureml-app/azureml-models/weights/1",
    }


def test_v1_one_model_is_under_name_version_and_its_registered_path(
    engine: DockerEngine, tmp_path: Path
) -> None:
    (tmp_path / "score.py").write_text(V1_ONE_SCORE)
    weights(tmp_path / "outputs" / "clf" / "weights.json", "v1-one")
    reply, _ = build_and_score(engine, tmp_path, "v1-one", model_paths=("outputs/clf",))
    assert reply == {"loaded": "v1-one", "model_dir": "/var/azureml-app/azureml-models/clf/1"}


def test_v1_several_models_share_azureml_models_as_the_model_dir(
    engine: DockerEngine, tmp_path: Path
) -> None:
    (tmp_path / "score.py").write_text(V1_SEVERAL_SCORE)
    weights(tmp_path / "outputs" / "my_first_model.json", "first")
    weights(tmp_path / "outputs" / "my_second_model.json", "second")
    reply, _ = build_and_score(
        engine,
        tmp_path,
        "v1-several",
        model_paths=("outputs/my_first_model.json", "outputs/my_second_model.json"),
    )
    assert reply == {"loaded": ["first", "second"], "model_dir": "/var/azureml-app/azureml-models"}


# Non-root ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def non_root_base(engine: DockerEngine) -> str:
    """A base image whose USER is a non-root user, as Azure ML's inference images are."""
    dockerfile = (
        f"FROM {BASE_IMAGE}\n"
        f"RUN useradd --create-home --uid 1001 {NON_ROOT_USER}\n"
        f"USER {NON_ROOT_USER}\n"
    ).encode()
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as archive:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        archive.addfile(info, io.BytesIO(dockerfile))
    context.seek(0)
    for chunk in engine.build(context, tag=NON_ROOT_BASE):
        assert "error" not in chunk, chunk
    return NON_ROOT_BASE


def test_the_server_runs_as_the_base_images_non_root_user(
    engine: DockerEngine, non_root_base: str, tmp_path: Path
) -> None:
    (tmp_path / "score.py").write_text(WHO_SCORE)
    reply, logs = build_and_score(engine, tmp_path, "nonroot", base_image=non_root_base)
    # As in Azure ML: the code folder is not the user's to write in.
    assert reply["loaded"] == {"uid": 1001, "wrote_next_to_score": False}
    assert not any("no non-root user" in line for line in logs)


def test_a_mounted_project_stays_editable_and_reloads_under_a_non_root_user(
    engine: DockerEngine, non_root_base: str, tmp_path: Path
) -> None:
    tmp_path.chmod(0o755)  # a usual project folder: others may read it
    (tmp_path / "score.py").write_text(V2_FOLDER_SCORE)
    weights(tmp_path / "model" / "weights.json", "before")
    v2_deployment(tmp_path, "model")
    project = discover_project(tmp_path)
    tag = f"fid-nonroot-mount:{RUN_ID}"
    options = build_options_from_environment(base_image=non_root_base, tag=tag, ca_bundle="auto")
    build_debug_image(project, options, engine)
    name = f"fid-nonroot-mount-{RUN_ID}"
    port = free_port()
    owner = (tmp_path / "score.py").stat().st_uid
    try:
        run_debug_container(
            project,
            RunOptions(image=tag, name=name, port=port, debug_port=free_port(), env={}, mount=True),
            engine,
        )
        assert post_score(port)["loaded"] == "before"
        score_py = tmp_path / "score.py"
        score_py.write_text(score_py.read_text().replace('["name"]', '["name"] + "-edited"'))
        reload_container(engine, name, project=project)
        assert post_score(port)["loaded"] == "before-edited"
    finally:
        engine.remove_container(name)
    assert {p.stat().st_uid for p in tmp_path.rglob("*")} == {owner}


def test_a_root_base_image_is_said_in_the_build_log(engine: DockerEngine, tmp_path: Path) -> None:
    (tmp_path / "score.py").write_text(WHO_SCORE)
    reply, logs = build_and_score(engine, tmp_path, "root")
    assert reply["loaded"]["uid"] == 0
    assert any("no non-root user" in line for line in logs)


def test_a_project_only_its_owner_can_open_is_served_as_that_owner_and_said(
    engine: DockerEngine, non_root_base: str, tmp_path: Path
) -> None:
    tmp_path.chmod(0o700)
    (tmp_path / "score.py").write_text(WHO_SCORE)
    project = discover_project(tmp_path)
    tag = f"fid-nonroot-private:{RUN_ID}"
    options = build_options_from_environment(base_image=non_root_base, tag=tag, ca_bundle="auto")
    build_debug_image(project, options, engine)
    name = f"fid-nonroot-private-{RUN_ID}"
    port = free_port()
    reporter = RecordingReporter()
    try:
        run_debug_container(
            project,
            RunOptions(image=tag, name=name, port=port, debug_port=free_port(), env={}),
            engine,
            reporter=reporter,
        )
        assert post_score(port)["loaded"]["uid"] == tmp_path.stat().st_uid
    finally:
        engine.remove_container(name)
    assert any("can only be opened by its owner" in line for line in reporter.lines)


# GPUs ----------------------------------------------------------------------------------------


def test_gpus_on_an_engine_without_a_gpu_runtime_says_so(
    engine: DockerEngine, tmp_path: Path
) -> None:
    if "nvidia" in json.dumps(engine.client.info().get("Runtimes", {})):
        pytest.skip("this engine has the NVIDIA runtime")
    (tmp_path / "score.py").write_text(WHO_SCORE)
    name = f"fid-gpus-{RUN_ID}"
    options = RunOptions(
        image=BASE_IMAGE, name=name, port=free_port(), debug_port=free_port(), gpus=True
    )
    try:
        with pytest.raises(AmlDebugError) as raised:
            run_debug_container(discover_project(tmp_path), options, engine)
    finally:
        engine.remove_container(name)
    assert "no GPU runtime" in raised.value.message
    assert raised.value.hint is not None and "NVIDIA Container Toolkit" in raised.value.hint
