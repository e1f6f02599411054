"""A debug container killed with SIGKILL says so, and says "out of memory" when Docker killed it
for its memory limit; it said "exit code 137" and nothing more (issue 9, smaller findings)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from tests.support.docker_engine import BASE_IMAGE, engine_or_skip

from amldebug.containers.container_failure import crashed_error
from amldebug.containers.docker_engine import DockerEngine

pytestmark = [pytest.mark.docker]

RUN_ID = uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def engine() -> Iterator[DockerEngine]:
    engine = engine_or_skip()
    yield engine
    for entry in engine.client.containers.list(all=True, filters={"name": "hardening-exit-"}):
        if RUN_ID in entry.name:
            entry.remove(force=True)
    engine.close()


def exited(engine: DockerEngine, label: str, command: list[str], **options) -> str:
    name = f"hardening-exit-{label}-{RUN_ID}"
    container = engine.client.containers.run(BASE_IMAGE, command, name=name, detach=True, **options)
    container.wait(timeout=60)
    return name


def test_out_of_memory_is_named(engine):
    name = exited(
        engine,
        "oom",
        ["python3", "-c", "x = bytearray(400 * 1024 * 1024)"],
        mem_limit="32m",
        memswap_limit="32m",
    )
    if engine.client.containers.get(name).attrs["State"]["OOMKilled"] is not True:
        pytest.skip("this engine does not enforce memory limits")
    message = crashed_error(engine, name, None).message
    assert "killed (SIGKILL) for running out of memory" in message
    assert "exit code 137" in message


def test_sigkill_is_named(engine):
    name = f"hardening-exit-kill-{RUN_ID}"
    container = engine.client.containers.run(BASE_IMAGE, ["sleep", "600"], name=name, detach=True)
    container.kill()
    container.wait(timeout=60)
    message = crashed_error(engine, name, None).message
    assert "killed (SIGKILL): out of memory, or `docker kill`" in message


def test_an_ordinary_exit_is_not_called_a_kill(engine):
    name = exited(engine, "plain", ["python3", "-c", "raise SystemExit(3)"])
    message = crashed_error(engine, name, None).message
    assert "SIGKILL" not in message and "exit code 3" in message
