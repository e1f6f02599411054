"""The application layer against the real engine: checks before any build (issue 12, fail fast),
`update` keeping how the container was run (issue 9, item 16), and `gpus` from the editor reaching
`docker run`.

Needs `.ci/setup-docker.sh`; names, tags and ports are this module's own.
"""

from __future__ import annotations

import json
import shutil
import socket
import stat
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from tests.support.docker_engine import BASE_IMAGE, engine_or_skip

from amldebug.cli.main import main
from amldebug.containers.docker_engine import DockerEngine
from amldebug.debug_loop.recorded import LABEL_REQUEST

pytestmark = [pytest.mark.docker, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
WORKING = REPO / "examples" / "working-project"
RUN_ID = uuid.uuid4().hex[:8]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def copy_project(tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(WORKING, target, ignore=shutil.ignore_patterns(".vscode", "__pycache__"))
    return target


def score(port: int) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/score",
        data=(WORKING / "sample-request.json").read_bytes(),
        headers={"Content-Type": "application/json"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def engine() -> Iterator[DockerEngine]:
    engine = engine_or_skip()
    yield engine
    engine.close()


@pytest.fixture
def names(engine: DockerEngine) -> Iterator[list[str]]:
    """Containers and image tags the test made, removed afterwards."""
    made: list[str] = []
    yield made
    for name in made:
        if ":" in name:
            engine.remove_image(name)
        else:
            engine.remove_container(name)


def test_a_taken_port_fails_in_seconds_before_any_build(
    engine: DockerEngine, tmp_path: Path, names: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    tag = f"amldebug-applayer/failfast:{RUN_ID}"
    names.append(tag)
    project = copy_project(tmp_path)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        argv = ["up", str(project), "--runtime", "docker", "--base-image", BASE_IMAGE, "-q"]
        argv += ["--tag", tag, "--name", f"applayer-ff-{RUN_ID}", "--port", str(taken)]
        argv += ["--debug-port", str(free_port()), "--ca-bundle", "auto"]
        started = time.monotonic()
        assert main(argv) == 1
        seconds = time.monotonic() - started
    err = capsys.readouterr().err
    assert f"Port {taken}" in err and "is taken" in err and "--port" in err
    assert seconds < 10, f"{seconds:.1f} s: the check must come before the build"
    assert not engine.image_exists(tag), "nothing may be built when a port is taken"


def test_a_name_taken_by_someone_elses_container_fails_before_any_build(
    engine: DockerEngine, tmp_path: Path, names: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    name, tag = f"applayer-foreign-{RUN_ID}", f"amldebug-applayer/foreign:{RUN_ID}"
    names += [name, tag]
    engine.run_container(BASE_IMAGE, name=name, command=["sleep", "120"])
    argv = ["up", str(copy_project(tmp_path)), "--runtime", "docker", "-q", "--name", name]
    argv += ["--base-image", BASE_IMAGE, "--tag", tag, "--port", str(free_port())]
    argv += ["--debug-port", str(free_port())]
    assert main(argv) == 1
    assert "was not started by amldebug" in capsys.readouterr().err
    assert not engine.image_exists(tag)
    assert engine.find_container(name) is not None, "someone else's container stays"


def test_an_environment_that_does_not_resolve_fails_before_any_build_when_asked(
    engine: DockerEngine,
    tmp_path: Path,
    names: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from amldebug.analysis.uv_resolver import _REMEMBERED

    fake_uv = tmp_path / "bin" / "uv"  # answers as uv does for a pin too new for python=3.8
    fake_uv.parent.mkdir()
    script = REPO / "tests" / "lsp" / "fake_uv.py"
    fake_uv.write_text(f"#!/bin/sh\nexec {sys.executable} {script}\n")
    fake_uv.chmod(fake_uv.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("AMLDEBUG_UV", str(fake_uv))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    project = copy_project(tmp_path)
    conda = project / "conda.yml"
    conda.write_text(
        "dependencies:\n  - python=3.8\n  - pip\n  - pip:\n"
        "      - azureml-inference-server-http==1.5.1\n      - scikit-learn==1.6.1\n"
    )
    tag = f"amldebug-applayer/resolve:{RUN_ID}"
    names.append(tag)
    argv = ["build", str(project), "--base-image", BASE_IMAGE, "--tag", tag, "-q", "--resolve"]
    try:
        assert main(argv) == 1
    finally:
        _REMEMBERED.clear()
    err = capsys.readouterr().err
    assert "does not resolve; nothing was built" in err and "conda.yml:6: AML213" in err
    assert not engine.image_exists(tag)


def test_update_keeps_no_mount_env_tag_and_ports_and_keeps_env_values_off_the_label(
    engine: DockerEngine, tmp_path: Path, names: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_project(tmp_path)
    name, tag = f"applayer-update-{RUN_ID}", f"amldebug-applayer/update:{RUN_ID}"
    names += [name, tag]
    port, debug_port = free_port(), free_port()
    argv = ["up", str(project), "--base-image", BASE_IMAGE, "--ca-bundle", "auto", "-q"]
    argv += ["--name", name, "--tag", tag, "--port", str(port), "--debug-port", str(debug_port)]
    argv += ["--no-mount", "--env", "APPLAYER_SECRET=hush-42", "--no-launch-config"]
    assert main(argv) == 0
    model = project / "model" / "model.json"
    data = json.loads(model.read_text())
    data["bias"] += 100
    model.write_text(json.dumps(data))  # baked into the image: a rebuild

    assert main(["update", str(project), "--name", name, "-q"]) == 0
    assert f"Ready: http://127.0.0.1:{port}" in capsys.readouterr().out
    assert score(port) == {"predictions": [114.0, 117.75]}
    container = engine.container(name)
    attrs = container.attrs
    assert attrs["Config"]["Image"] == tag
    assert not [m for m in attrs["Mounts"] if m.get("Destination") == "/var/azureml-app"]
    assert "APPLAYER_SECRET=hush-42" in attrs["Config"]["Env"]
    published = attrs["HostConfig"]["PortBindings"]
    assert {b["HostPort"] for bindings in published.values() for b in bindings} == {
        str(port),
        str(debug_port),
    }
    label = container.labels[LABEL_REQUEST]
    assert "APPLAYER_SECRET" in label and "hush-42" not in label
    assert str(tmp_path) not in label


def test_gpus_from_the_editor_reach_docker_run(
    engine: DockerEngine, tmp_path: Path, names: list[str]
) -> None:
    """On an engine without a GPU runtime the engine itself refuses `--gpus all`: the option went
    all the way to `docker run`."""
    if "nvidia" in (engine.client.info().get("Runtimes") or {}):
        pytest.skip("this engine has a GPU runtime: the refusal cannot be shown")
    from amldebug.lsp.contract.dispatch import run_command

    name = f"applayer-gpus-{RUN_ID}"
    names.append(name)
    trusted = SimpleNamespace(workspace_trusted=True)
    options = {
        "folder": str(copy_project(tmp_path)),
        "image": BASE_IMAGE,
        "name": name,
        "gpus": True,
        "runtime": "docker",
        "port": free_port(),
        "debugPort": free_port(),
    }
    answer = run_command(trusted, "amldebug.run", options)
    assert answer["ok"] is False and "no GPU runtime" in answer["error"], answer
    assert engine.find_container(name) is None
