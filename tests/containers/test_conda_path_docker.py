"""amldebug's conda branch against a real Docker engine: a base image with `conda` builds the
environment with conda, and the server imports what conda installed.

The base image is a local stand-in (tests/support/conda_base): rattler, a conda-compatible solver
and installer from PyPI, behind a `conda` command, and an offline channel built in the image,
since no conda distribution nor channel is reachable here. `fidelity-probe` exists only in that
channel: the venv branch would fail to pip-install it, so a reply that imports it proves the conda
branch ran. Needs `.ci/setup-docker.sh`.
"""

from __future__ import annotations

import contextlib
import json
import socket
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.conda_base import CHANNEL_URL, build_conda_base
from tests.support.docker_engine import BASE_IMAGE, engine_or_skip

from amldebug.containers.build import build_debug_image, build_options_from_environment
from amldebug.containers.docker_engine import DockerEngine
from amldebug.containers.dockerfile import ENV_PREFIX
from amldebug.containers.run import RunOptions, run_debug_container
from amldebug.progress import RecordingReporter
from amldebug.project import discover_project

pytestmark = [pytest.mark.docker, pytest.mark.slow]

RUN_ID = uuid.uuid4().hex[:8]

SCORE = """import os
import sys

import fidelity_probe


def init():
    pass


def run(raw_data):
    return {
        "where": fidelity_probe.WHERE,
        "probe_file": fidelity_probe.__file__,
        "prefix": sys.prefix,
        "conda_meta": sorted(os.listdir(os.path.join(sys.prefix, "conda-meta"))),
    }
"""

# As Azure ML's conda files are written: python and pip from conda, the server from pip.
CONDA_FILE = f"""name: fidelity-conda
channels:
  - {CHANNEL_URL}
dependencies:
  - python=3.11
  - pip
  - fidelity-probe=1.0
  - pip:
      - azureml-inference-server-http
"""


@pytest.fixture(scope="module")
def engine() -> Iterator[DockerEngine]:
    engine = engine_or_skip()
    engine.client.api.timeout = 300  # image removals on a loaded machine are slow
    yield engine
    with contextlib.suppress(Exception):  # a busy engine may time out; not a failure
        engine.remove_image(f"amldebug-fidelity/conda-debug:{RUN_ID}")
    engine.close()


@pytest.fixture(scope="module")
def conda_base(engine: DockerEngine) -> str:
    return build_conda_base(engine, BASE_IMAGE, "amldebug-fidelity/conda-base")


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


def test_a_conda_base_image_builds_the_environment_with_conda_and_the_server_imports_it(
    engine: DockerEngine, conda_base: str, tmp_path: Path
) -> None:
    (tmp_path / "score.py").write_text(SCORE)
    (tmp_path / "conda.yml").write_text(CONDA_FILE)
    project = discover_project(tmp_path, conda_file="conda.yml")
    assert project.conda_file == tmp_path / "conda.yml"
    tag = f"amldebug-fidelity/conda-debug:{RUN_ID}"
    options = build_options_from_environment(base_image=conda_base, tag=tag, ca_bundle="auto")
    reporter = RecordingReporter()
    result = build_debug_image(project, options, engine, reporter=reporter)
    assert "conda env create" in str(result.plan.environment.files["install.sh"])

    name = f"fidelity-conda-{RUN_ID}"
    port = free_port()
    run_options = RunOptions(
        image=tag,
        name=name,
        port=port,
        debug_port=free_port(),
        env={},
        timeout=90,
        mount=False,
    )
    try:
        run_debug_container(project, run_options, engine)
        reply = post_score(port)
    finally:
        engine.remove_container(name)
    assert reply["where"] == "installed by the conda path from an offline local channel"
    assert reply["prefix"] == ENV_PREFIX
    assert reply["probe_file"].startswith(f"{ENV_PREFIX}/lib/python3.11/site-packages/")
    # conda's own records came along into the final image: the environment is a conda prefix.
    assert "fidelity-probe-1.0.0-py_0.json" in reply["conda_meta"]
    assert any(record.startswith("python-3.11") for record in reply["conda_meta"])
