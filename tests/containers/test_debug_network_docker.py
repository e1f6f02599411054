"""No other container can reach a debug container's debugpy (issue 9, item 8), on the real engine.

debugpy listens on 0.0.0.0:5678 in the container and runs whatever code is sent to it. On the
default bridge any container on the host could connect; now each debug container has its own
bridge with inter-container traffic off, while the host's 127.0.0.1 publish keeps working.
"""

from __future__ import annotations

import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.docker_engine import BASE_IMAGE, engine_or_skip

from amldebug.containers.build import build_debug_image, build_options_from_environment
from amldebug.containers.debug_network import (
    LABEL_NETWORK_OF,
    debug_network_name,
    ensure_debug_network,
)
from amldebug.containers.docker_engine import DockerEngine
from amldebug.containers.ports import free_port
from amldebug.containers.run import RunOptions, RunResult, run_debug_container
from amldebug.containers.stop import stop_container
from amldebug.errors import AmlDebugError
from amldebug.project import discover_project

pytestmark = [pytest.mark.docker, pytest.mark.slow]

WORKING = Path(__file__).resolve().parents[2] / "examples" / "working-project"
RUN_ID = uuid.uuid4().hex[:8]
NAME = f"runtimes-net-{RUN_ID}"

# Runs in a probe container: can it open a TCP connection to debugpy?
PROBE = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], 5678), timeout=3).close()
    print("connected")
except OSError as error:
    print("refused", error)
"""


@pytest.fixture(scope="module")
def engine() -> Iterator[DockerEngine]:
    engine = engine_or_skip()
    yield engine
    for entry in engine.client.containers.list(all=True, filters={"name": f"runtimes-{RUN_ID}"}):
        entry.remove(force=True)
    engine.remove_container(NAME)
    for network in engine.client.networks.list(names=[f"runtimes-other-{RUN_ID}"]):
        network.remove()
    for tag in engine.image_tags():
        if tag.startswith(f"amldebug-runtimes/net:{RUN_ID}"):
            engine.remove_image(tag)
    engine.close()


@pytest.fixture(scope="module")
def started(engine: DockerEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunResult]:
    folder = tmp_path_factory.mktemp("net") / "project"
    shutil.copytree(WORKING, folder, ignore=shutil.ignore_patterns(".vscode", "__pycache__"))
    project = discover_project(folder)
    tag = f"amldebug-runtimes/net:{RUN_ID}"
    options = build_options_from_environment(base_image=BASE_IMAGE, tag=tag, ca_bundle="auto")
    build_debug_image(project, options, engine)
    run_options = RunOptions(
        image=tag, name=NAME, port=free_port(), debug_port=free_port(), timeout=90
    )
    yield run_debug_container(project, run_options, engine)
    engine.remove_container(NAME)


def container_address(engine: DockerEngine, name: str) -> str:
    networks = engine.container(name).attrs["NetworkSettings"]["Networks"]
    return str(next(iter(networks.values()))["IPAddress"])


def probe(engine: DockerEngine, address: str, label: str, **run: object) -> str:
    output = engine.client.containers.run(
        BASE_IMAGE,
        ["python3", "-c", PROBE, address],
        name=f"runtimes-{RUN_ID}-probe-{label}",
        remove=True,
        **run,
    )
    return output.decode().strip()


def test_the_debug_container_is_alone_on_a_network_of_its_own(engine, started):
    networks = engine.container(NAME).attrs["NetworkSettings"]["Networks"]
    assert list(networks) == [debug_network_name(NAME)]
    network = engine.client.api.inspect_network(debug_network_name(NAME))
    assert network["Options"]["com.docker.network.bridge.enable_icc"] == "false"
    assert network["Labels"][LABEL_NETWORK_OF] == NAME


def test_another_container_on_the_default_bridge_cannot_reach_debugpy(engine, started):
    address = container_address(engine, NAME)
    assert probe(engine, address, "bridge").startswith("refused")


def test_a_container_on_another_network_or_on_its_own_cannot_reach_debugpy(engine, started):
    address = container_address(engine, NAME)
    other = engine.client.networks.create(f"runtimes-other-{RUN_ID}", driver="bridge")
    try:
        assert probe(engine, address, "other", network=other.name).startswith("refused")
    finally:
        other.remove()
    # Even a container attached to the debug container's network (inter-container traffic off).
    own = debug_network_name(NAME)
    assert probe(engine, address, "same", network=own).startswith("refused")


def test_the_host_still_reaches_both_published_ports_on_loopback(engine, started):
    with socket.create_connection(("127.0.0.1", started.debug_port), timeout=5):
        pass
    # And the scoring port answers (run_debug_container waited for GET / already).
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"http://127.0.0.1:{started.port}/", timeout=10) as response:
        assert response.status == 200


def test_a_replaced_container_keeps_its_network(engine, started, tmp_path):
    before = engine.client.api.inspect_network(debug_network_name(NAME))["Id"]
    project = discover_project(shutil.copytree(WORKING, tmp_path / "project"))
    options = RunOptions(
        image=started.image, name=NAME, port=free_port(), debug_port=free_port(), timeout=90
    )
    again = run_debug_container(project, options, engine)
    assert again.replaced
    network = engine.client.api.inspect_network(debug_network_name(NAME))
    assert network["Id"] == before
    assert [c["Name"] for c in network["Containers"].values()] == [NAME]


def test_labels_name_the_project_folder_not_its_host_path(engine, started):
    """The image and container labels travel with `commit` and `docker push` (issue 9, smaller)."""
    image_label = engine.image_labels(started.image)["amldebug.project"]
    container_label = engine.container(NAME).labels["amldebug.project"]
    assert image_label == container_label == "project"


def test_stop_removes_the_network_with_the_container(engine, started):
    assert stop_container(engine, NAME).stopped
    with pytest.raises(Exception, match="not found"):
        engine.client.api.inspect_network(debug_network_name(NAME))


def test_a_network_of_that_name_that_is_not_ours_is_refused(engine):
    name = f"runtimes-{RUN_ID}-taken"
    foreign = engine.client.networks.create(debug_network_name(name), driver="bridge")
    try:
        with pytest.raises(AmlDebugError, match="was not created by amldebug"):
            ensure_debug_network(engine, name)
    finally:
        foreign.remove()
