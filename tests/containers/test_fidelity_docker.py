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
from tests.support.model_shapes import (
    REPLY,
    SHAPES,
    V2_FOLDER_SCORE,
    ModelShape,
    v2_deployment,
    weights,
)

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


@pytest.mark.parametrize("shape", SHAPES, ids=[shape.name for shape in SHAPES])
def test_each_model_shape_is_where_azure_ml_puts_it(
    engine: DockerEngine, shape: ModelShape, tmp_path: Path
) -> None:
    shape.write(tmp_path, shape.name)
    reply, _ = build_and_score(engine, tmp_path, shape.name, model_paths=shape.model_paths)
    assert reply == {"loaded": shape.loaded, "model_dir": shape.model_dir}


def test_v2_folder_model_with_the_project_mounted_reaches_the_same_files(
    engine: DockerEngine, tmp_path: Path
) -> None:
    (tmp_path / "score.py").write_text(V2_FOLDER_SCORE)
    weights(tmp_path / "model" / "weights.json", "v2-mounted")
    v2_deployment(tmp_path, "model")
    reply, _ = build_and_score(engine, tmp_path, "v2-mounted", mount=True)
    assert reply == {"loaded": "v2-mounted", "model_dir": "/var/azureml-models/model/1"}
    assert not (tmp_path / "azureml-models").exists()  # nothing left in the user's folder


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
