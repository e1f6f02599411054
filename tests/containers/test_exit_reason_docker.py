"""A container killed for memory gets the troubleshooting catalogue's advice as its hint (the
message itself is tested in tests/hardening/test_container_exit_docker.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from tests.support.docker_engine import BASE_IMAGE, engine_or_skip

from amldebug.containers.docker_engine import DockerEngine
from amldebug.containers.run import crashed_error

pytestmark = [pytest.mark.docker]

RUN_ID = uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def engine() -> Iterator[DockerEngine]:
    engine = engine_or_skip()
    yield engine
    for entry in engine.client.containers.list(all=True, filters={"name": f"runtimes-{RUN_ID}"}):
        entry.remove(force=True)
    engine.close()


def test_a_container_out_of_memory_gets_the_catalogues_advice(engine):
    name = f"runtimes-{RUN_ID}-oom"
    container = engine.client.containers.run(
        BASE_IMAGE,
        ["python3", "-c", "x = bytearray(400 * 1024 * 1024)"],
        name=name,
        detach=True,
        mem_limit="32m",
        memswap_limit="32m",
    )
    container.wait(timeout=60)
    container.reload()
    if not container.attrs["State"].get("OOMKilled"):
        pytest.skip("this engine does not enforce memory limits (no memory cgroup)")

    crash = crashed_error(engine, name, None)

    assert crash.hint is not None and crash.hint.startswith("The container or a worker ran out")
    assert "docker stats" in crash.hint
