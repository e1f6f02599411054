"""`--memory`: the container's memory limit, without swap, to reproduce an instance type's memory
and an out-of-memory kill locally (issue 11, item 2: a `docker run` option is one table entry,
the Docker runtime, and this test)."""

from __future__ import annotations

import shutil
import socket
import uuid
from pathlib import Path

import pytest
from tests.support.docker_engine import BASE_IMAGE, engine_or_skip

from amldebug.cli.main import main
from amldebug.debug_loop.docker_runtime import docker_run_arguments
from amldebug.debug_loop.options import request_for, request_from_lsp
from amldebug.errors import UsageError

REPO = Path(__file__).resolve().parents[2]
WORKING = REPO / "examples" / "working-project"
RUN_ID = uuid.uuid4().hex[:8]


def test_memory_becomes_a_limit_without_swap_and_a_bad_size_is_refused() -> None:
    request = request_from_lsp("up", {"memory": "3.5G"})
    assert docker_run_arguments(request) == {"mem_limit": "3.5g", "memswap_limit": "3.5g"}
    assert docker_run_arguments(request_for("run")) == {}
    with pytest.raises(UsageError, match=r"^`memory`: 'lots' is not a memory size"):
        request_from_lsp("run", {"memory": "lots"})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.docker
@pytest.mark.slow
def test_the_container_runs_under_the_limit_and_outgrowing_it_is_an_oom_kill(
    tmp_path: Path,
) -> None:
    engine = engine_or_skip()
    project = tmp_path / "project"
    shutil.copytree(WORKING, project, ignore=shutil.ignore_patterns(".vscode", "__pycache__"))
    name, tag = f"applayer-memory-{RUN_ID}", f"amldebug-applayer/memory:{RUN_ID}"
    argv = ["up", str(project), "--base-image", BASE_IMAGE, "--ca-bundle", "auto", "-q"]
    argv += ["--name", name, "--tag", tag, "--port", str(free_port())]
    argv += ["--debug-port", str(free_port()), "--memory", "256m", "--no-launch-config"]
    try:
        assert main(argv) == 0
        host = engine.container(name).attrs["HostConfig"]
        assert host["Memory"] == host["MemorySwap"] == 256 * 1024 * 1024
        # What init() loading a model too big for the instance does: the kernel kills it.
        grow = engine.exec(name, ["python", "-c", "b = bytearray(400 * 1024 * 1024); b[::4096]"])
        assert grow.exit_code == 137  # SIGKILL from the out-of-memory killer
        assert engine.container(name).status == "running", "the server itself lives on"
        # `update` keeps the limit (the request is recorded on the container).
        assert main(["update", str(project), "--name", name, "-q"]) == 0
        assert engine.container(name).attrs["HostConfig"]["Memory"] == 256 * 1024 * 1024
    finally:
        engine.remove_container(name)
        engine.remove_image(tag)
