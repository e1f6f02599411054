"""The debug loop against a real Docker engine and the real inference server.

Needs `.ci/setup-docker.sh` (engine running, base image `amldebug-test/python-base:bookworm`
built). Builds ONE debug image for the module and reuses it; each test uses its own container name,
free ports and a copy of the example project.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from amldebug.cli.main import main
from amldebug.containers.build import BuildFailed, build_debug_image, build_options_from_environment
from amldebug.containers.docker_engine import DockerEngine
from amldebug.containers.ports import free_port
from amldebug.containers.run import (
    RunOptions,
    commit_container,
    container_status,
    list_debug_containers,
    reload_container,
    run_debug_container,
)
from amldebug.containers.stop import stop_container
from amldebug.containers.sync import sync_container
from amldebug.errors import AmlDebugError
from amldebug.project import Project, discover_project

if str(Path(__file__).resolve().parents[2]) not in sys.path:  # `pytest` run from anywhere
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.support.dap_client import DapClient
from tests.support.docker_engine import BASE_IMAGE, engine_or_skip
from tests.support.registry import local_registry
from tests.support.working_project import WORKING, copy_project, line_of, score

pytestmark = [pytest.mark.docker, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
RUN_ID = uuid.uuid4().hex[:8]
EXPECTED = {"predictions": [14.0, 17.75]}


@pytest.fixture(scope="module")
def engine() -> Iterator[DockerEngine]:
    engine = engine_or_skip()
    yield engine
    for container in engine.containers_with_label(f"amldebug.test-run={RUN_ID}"):
        container.remove(force=True)
    engine.close()


@pytest.fixture(scope="module")
def image(engine: DockerEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The debug image of the working example, built once for the module."""
    tag = f"amldebug-test-loop:{RUN_ID}"
    project = discover_project(copy_project(tmp_path_factory.mktemp("image")))
    options = build_options_from_environment(base_image=BASE_IMAGE, tag=tag, ca_bundle="auto")
    build_debug_image(project, options, engine)
    yield tag
    for reference in engine.image_tags():
        if reference.startswith(f"amldebug-test-loop:{RUN_ID}") or reference.startswith(
            f"amldebug-test-commit-{RUN_ID}:"
        ):
            engine.remove_image(reference)


def container_name(label: str) -> str:
    return f"amldebug-test-{label}-{RUN_ID}"


def start(
    engine: DockerEngine, image: str, project: Path, label: str, **options: Any
) -> tuple[Project, Any]:
    found = discover_project(project)
    run_options = RunOptions(
        image=image,
        name=container_name(label),
        port=free_port(),
        debug_port=free_port(),
        env={},
        timeout=90,
        **options,
    )
    return found, run_debug_container(found, run_options, engine)


@pytest.fixture
def cleanup(engine: DockerEngine) -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        engine.remove_container(name)


def test_second_build_after_editing_only_score_py_reuses_every_package_layer(
    engine: DockerEngine, image: str, tmp_path: Path
) -> None:
    project_dir = copy_project(tmp_path)
    (project_dir / "score.py").write_text(
        (project_dir / "score.py").read_text() + f"\n# edited in run {RUN_ID}\n"
    )
    project = discover_project(project_dir)
    options = build_options_from_environment(base_image=BASE_IMAGE, tag=image, ca_bundle="auto")
    result = build_debug_image(project, options, engine)
    assert result.package_steps_cached
    assert result.environment is not None and result.environment.reused
    assert result.rebuilt_steps == ("COPY code/ /var/azureml-app/",)


def test_up_scores_the_sample_then_stop_removes_it(
    engine: DockerEngine, image: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project_dir = copy_project(tmp_path)
    name, port, debug_port = container_name("up"), free_port(), free_port()
    argv = [
        "up",
        str(project_dir),
        "--base-image",
        BASE_IMAGE,
        "--tag",
        image,
        "--ca-bundle",
        "auto",
    ]
    argv += ["--name", name, "--port", str(port), "--debug-port", str(debug_port), "-q"]
    try:
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert f"Ready: http://127.0.0.1:{port}" in out
        assert "runtime docker" in out
        assert "Next:" in out and f"amldebug invoke --port {port}" in out
        launch = json.loads((project_dir / ".vscode" / "launch.json").read_text())
        [entry] = launch["configurations"]
        assert entry["connect"]["port"] == debug_port
        assert score(port) == EXPECTED
        # The mounted workspace gets no root-owned bytecode from the container.
        assert not list(project_dir.rglob("__pycache__"))

        assert main(["ps"]) == 0
        assert name in capsys.readouterr().out
        assert container_status(engine, name).state == "ready"

        assert main(["stop", "--name", name]) == 0
        assert f"Stopped and removed {name}" in capsys.readouterr().out
        assert engine.find_container(name) is None
        assert main(["stop", "--name", name]) == 1
        assert f"There is no container named '{name}'" in capsys.readouterr().err
    finally:
        engine.remove_container(name)


def test_breakpoint_in_local_score_py_is_hit_through_the_generated_launch_entry(
    engine: DockerEngine, image: str, tmp_path: Path, cleanup: list[str]
) -> None:
    from amldebug.containers.launch_config import docker_debug_configuration

    project_dir = copy_project(tmp_path)
    cleanup.append(container_name("dap"))
    _, result = start(engine, image, project_dir, "dap")
    configuration = json.loads(
        json.dumps(docker_debug_configuration(result.debug_port)).replace(
            "${workspaceFolder}", str(project_dir)
        )
    )
    score_py = project_dir / "score.py"
    line = line_of(score_py, 'rows = json.loads(raw_data)["data"]')
    with DapClient("127.0.0.1", configuration["connect"]["port"]) as client:
        client.attach(configuration, {str(score_py): [line]})
        answers: list[Any] = []
        request = threading.Thread(target=lambda: answers.append(score(result.port, timeout=60)))
        request.start()
        stopped = client.wait_event("stopped", timeout=30)
        frame = client.top_frame(stopped["body"]["threadId"])
        assert Path(frame["source"]["path"]) == score_py
        assert frame["line"] == line
        client.request("continue", {"threadId": stopped["body"]["threadId"]})
        request.join(timeout=30)
    assert answers == [EXPECTED]


def test_reload_serves_the_edited_score_py_without_a_rebuild(
    engine: DockerEngine,
    image: str,
    tmp_path: Path,
    cleanup: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    project_dir = copy_project(tmp_path)
    cleanup.append(container_name("reload"))
    _, result = start(engine, image, project_dir, "reload")
    assert score(result.port) == EXPECTED
    score_py = project_dir / "score.py"
    score_py.write_text(
        score_py.read_text().replace(
            'return {"predictions": predictions}',
            'return {"predictions": predictions, "edited": True}',
        )
    )
    assert main(["reload", str(project_dir), "--name", result.name]) == 0
    assert f"Reloaded {result.name}" in capsys.readouterr().out
    assert score(result.port) == {**EXPECTED, "edited": True}
    # The debugger can attach again after a reload (the new worker listens on the debug port).
    with DapClient("127.0.0.1", result.debug_port) as client:
        client.request(
            "initialize", {"clientID": "t", "adapterID": "debugpy", "pathFormat": "path"}
        )


def test_init_failure_is_reported_at_the_local_line_and_the_container_is_removed(
    engine: DockerEngine, image: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project_dir = copy_project(tmp_path)
    score_py = project_dir / "score.py"
    score_py.write_text(
        score_py.read_text().replace(
            "    global model\n",
            "    global model\n    raise RuntimeError('model store offline')\n",
        )
    )
    failing_line = line_of(score_py, "model store offline")
    name = container_name("crash")
    argv = ["run", str(project_dir), "--image", image, "--name", name, "--runtime", "docker"]
    argv += ["--port", str(free_port()), "--debug-port", str(free_port()), "--timeout", "90"]
    try:
        assert main(argv) == 3
        err = capsys.readouterr().err
        assert "RuntimeError: model store offline" in err
        assert f'File "{score_py}", line {failing_line}' in err
        assert f"score.py:{failing_line}" in err.strip().splitlines()[-2]
        assert "/var/azureml-app/score.py" not in err
        assert engine.find_container(name) is None, "a dead container must not be left behind"
    finally:
        engine.remove_container(name)


def test_taken_port_names_its_holder_and_the_next_free_port(
    engine: DockerEngine, image: str, tmp_path: Path
) -> None:
    project = discover_project(copy_project(tmp_path))
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        options = RunOptions(
            image=image, name=container_name("port"), port=taken, debug_port=free_port()
        )
        with pytest.raises(AmlDebugError) as caught:
            run_debug_container(project, options, engine)
    text = str(caught.value)
    assert f"Port {taken}" in text and "is taken" in text
    assert "python" in text.lower() or "pid" in text
    assert "--port" in text
    assert engine.find_container(container_name("port")) is None


def test_engine_down_gives_one_clear_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    assert main(["run", str(WORKING), "--runtime", "docker"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("amldebug: Docker engine is not running (")
    assert "--runtime process" in err
    assert "Traceback" not in err
    assert main(["ps"]) == 1


def test_sync_lists_a_container_side_edit_and_apply_brings_it_in(
    engine: DockerEngine, image: str, tmp_path: Path, cleanup: list[str]
) -> None:
    project_dir = copy_project(tmp_path)
    cleanup.append(container_name("sync"))
    project, result = start(engine, image, project_dir, "sync", mount=False)
    engine.exec(
        result.name,
        ["/bin/sh", "-c", "echo '# fixed in the container' >> score.py && echo new > notes.txt"],
        workdir="/var/azureml-app",
    )
    listed = sync_container(engine, result.name, project)
    statuses = {change.path: change.status for change in listed.changed}
    assert statuses["score.py"] == "modified"
    assert statuses["notes.txt"] == "container-only"
    assert statuses.get("model/model.json") == "local-only"  # models live outside the app root
    assert listed.applied == ()

    applied = sync_container(engine, result.name, project, apply=True)
    assert set(applied.applied) == {"score.py", "notes.txt"}
    assert (project_dir / "score.py").read_text().endswith("# fixed in the container\n")
    assert (project_dir / "notes.txt").read_text() == "new\n"

    # A local edit made after the container started is never overwritten without --force.
    engine.exec(result.name, ["/bin/sh", "-c", "echo '# again' >> /var/azureml-app/score.py"])
    (project_dir / "score.py").write_text("# my local work\n")
    kept = sync_container(engine, result.name, project, apply=True)
    assert kept.skipped == ("score.py",)
    assert (project_dir / "score.py").read_text() == "# my local work\n"
    forced = sync_container(engine, result.name, project, apply=True, force=True)
    assert "score.py" in forced.applied
    assert (project_dir / "score.py").read_text().endswith("# again\n")


def test_commit_saves_the_container_as_the_next_free_tag(
    engine: DockerEngine, image: str, tmp_path: Path, cleanup: list[str]
) -> None:
    cleanup.append(container_name("commit"))
    _, result = start(engine, image, copy_project(tmp_path), "commit")
    repository = f"amldebug-test-commit-{RUN_ID}"
    first = commit_container(engine, result.name, f"{repository}:1")
    second = commit_container(engine, result.name)
    assert first == f"{repository}:1"
    assert second.startswith("amldebug-test-loop:") or second.startswith("debug:")
    engine.remove_image(second)
    assert engine.image_exists(first)
    assert engine.image_labels(first).get("amldebug.built") == "1"


def test_ps_lists_only_our_containers(
    engine: DockerEngine, image: str, tmp_path: Path, cleanup: list[str]
) -> None:
    foreign = f"amldebug-test-foreign-{RUN_ID}"
    cleanup.append(foreign)
    engine.run_container(image, name=foreign, command=["sleep", "60"])
    cleanup.append(container_name("ps"))
    _, result = start(engine, image, copy_project(tmp_path), "ps")
    names = {row.name for row in list_debug_containers(engine)}
    assert result.name in names
    assert foreign not in names
    assert stop_container(engine, result.name).stopped


def test_reload_of_a_missing_container_says_so(engine: DockerEngine) -> None:
    with pytest.raises(AmlDebugError) as caught:
        reload_container(engine, f"amldebug-test-none-{RUN_ID}")
    assert "There is no container named" in caught.value.message
    assert "amldebug ps" in (caught.value.hint or "")


def test_missing_base_image_says_pull_it_or_pass_base_image(
    engine: DockerEngine, tmp_path: Path
) -> None:
    project = discover_project(copy_project(tmp_path))
    options = build_options_from_environment(
        base_image=f"127.0.0.1:{free_port()}/missing/base:1",
        tag="amldebug-test-never:1",
        ca_bundle="none",
    )
    with pytest.raises(AmlDebugError) as caught:
        build_debug_image(project, options, engine)
    assert "is not on this machine" in caught.value.message
    assert "--base-image" in (caught.value.hint or "")


def test_unknown_package_points_at_its_conda_line(engine: DockerEngine, tmp_path: Path) -> None:
    project_dir = copy_project(tmp_path)
    conda = project_dir / "conda.yml"
    conda.write_text(conda.read_text() + "      - amldebug-no-such-package-xyz==0.0.1\n")
    project = discover_project(project_dir)
    options = build_options_from_environment(
        base_image=BASE_IMAGE, tag=f"amldebug-test-fail:{RUN_ID}", ca_bundle="auto"
    )
    with pytest.raises(BuildFailed) as caught:
        build_debug_image(project, options, engine)
    line = line_of(conda, "amldebug-no-such-package-xyz")
    assert [(loc.file, loc.line + 1) for loc in caught.value.locations] == [(conda, line)]
    assert f"conda.yml:{line}:" in caught.value.message


def test_auto_runtime_without_an_engine_runs_a_local_process_and_says_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from amldebug.containers.process_runtime import find_server_python

    try:
        find_server_python()
    except AmlDebugError:
        pytest.skip("no Python with azureml-inference-server-http (set AMLDEBUG_PROCESS_PYTHON)")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    project_dir = copy_project(tmp_path)
    name, port = f"amldebug-test-auto-{RUN_ID}", free_port()
    argv = ["up", str(project_dir), "--runtime", "auto", "--name", name, "--port", str(port)]
    argv += ["--debug-port", str(free_port())]
    try:
        assert main(argv) == 0
        captured = capsys.readouterr()
        assert (
            "Runtime: process (no Docker engine answers (Docker engine is not running"
            in captured.err
        )
        assert "runtime process" in captured.out
        assert score(port) == EXPECTED
        launch = json.loads((project_dir / ".vscode" / "launch.json").read_text())
        assert "pathMappings" not in launch["configurations"][0]
        score_py = project_dir / "score.py"
        score_py.write_text(
            score_py.read_text().replace(
                'return {"predictions": predictions}',
                'return {"predictions": predictions, "edited": True}',
            )
        )
        assert main(["reload", "--name", name]) == 0
        assert f"Restarted the local inference server {name}" in capsys.readouterr().out
        assert score(port) == {**EXPECTED, "edited": True}
    finally:
        assert main(["stop", "--name", name]) == 0


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[str]:
    with local_registry(tmp_path) as address:
        yield address


def test_pull_from_a_registry_then_run_injects_the_debugger_into_a_foreign_image(
    engine: DockerEngine,
    image: str,
    registry: str,
    tmp_path: Path,
    cleanup: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An image amldebug did not build: the inference server, but no debugpy and no wrapper.
    remote = f"{registry}/azureml/scoring:{RUN_ID}"
    stripped = engine.run_container(
        image,
        command=[
            "/bin/sh",
            "-c",
            "rm -rf /opt/amldebug/amldebug_entry.py "
            "/opt/amldebug/env/lib/python3*/site-packages/debugpy*",
        ],
    )
    stripped.wait()
    repository, tag = remote.rsplit(":", 1)
    stripped.commit(
        repository=repository, tag=tag, changes=["LABEL amldebug.built=0", 'CMD ["bash"]']
    )
    stripped.remove()
    for chunk in engine.push(remote):
        assert "error" not in chunk, chunk
    engine.remove_image(remote)
    local = f"amldebug-test-pulled-{RUN_ID}:1"

    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("secret\n"))
    argv = ["pull", remote, "--tag", local, "--username", "tester", "--password-stdin"]
    try:
        assert main(argv) == 0
        assert f"Pulled {remote} as {local}" in capsys.readouterr().out
        assert engine.image_exists(local)

        project_dir = copy_project(tmp_path)
        cleanup.append(container_name("pulled"))
        _, result = start(engine, local, project_dir, "pulled")
        assert result.injected
        assert score(result.port) == EXPECTED
        score_py = project_dir / "score.py"
        line = line_of(score_py, 'rows = json.loads(raw_data)["data"]')
        from amldebug.containers.launch_config import docker_debug_configuration

        configuration = json.loads(
            json.dumps(docker_debug_configuration(result.debug_port)).replace(
                "${workspaceFolder}", str(project_dir)
            )
        )
        with DapClient("127.0.0.1", result.debug_port) as client:
            client.attach(configuration, {str(score_py): [line]})
            answers: list[Any] = []
            request = threading.Thread(
                target=lambda: answers.append(score(result.port, timeout=60))
            )
            request.start()
            stopped = client.wait_event("stopped", timeout=30)
            frame = client.top_frame(stopped["body"]["threadId"])
            assert Path(frame["source"]["path"]) == score_py
            client.request("continue", {"threadId": stopped["body"]["threadId"]})
            request.join(timeout=30)
        assert answers == [EXPECTED]
    finally:
        engine.remove_container(container_name("pulled"))
        engine.remove_image(local)
        engine.remove_image(remote)


def test_update_rebuilds_and_restarts_on_the_same_ports(
    engine: DockerEngine,
    image: str,
    tmp_path: Path,
    cleanup: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    project_dir = copy_project(tmp_path)
    cleanup.append(container_name("update"))
    _, result = start(engine, image, project_dir, "update")
    model = project_dir / "model" / "model.json"
    data = json.loads(model.read_text())
    data["bias"] += 100
    model.write_text(json.dumps(data))  # a new model: baked into the image, so a rebuild
    # Its own tag: the module's image must keep the original model for the other tests.
    argv = ["update", str(project_dir), "--base-image", BASE_IMAGE, "--tag", f"{image}-update"]
    argv += ["--ca-bundle", "auto", "--name", result.name, "-q"]
    assert main(argv) == 0
    assert f"Ready: http://127.0.0.1:{result.port}" in capsys.readouterr().out
    assert score(result.port) == {"predictions": [114.0, 117.75]}
    assert container_status(engine, result.name).debug_port == result.debug_port


def test_shell_opens_in_the_app_root(
    engine: DockerEngine, image: str, tmp_path: Path, cleanup: list[str]
) -> None:
    if shutil.which("docker") is None:
        pytest.skip("the docker command-line client is not installed")
    cleanup.append(container_name("shell"))
    _, result = start(engine, image, copy_project(tmp_path), "shell")
    done = subprocess.run(
        [sys.executable, "-m", "amldebug", "shell", "--name", result.name],
        input="pwd\nls score.py\nexit\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == ["/var/azureml-app", "score.py"]


def test_wait_for_debugger_holds_init_until_an_editor_attaches(
    engine: DockerEngine, image: str, tmp_path: Path, cleanup: list[str]
) -> None:
    from amldebug.containers.launch_config import docker_debug_configuration

    project_dir = copy_project(tmp_path)
    cleanup.append(container_name("wait"))
    _, result = start(engine, image, project_dir, "wait", wait_for_debugger=True)
    assert result.ready is False
    assert container_status(engine, result.name).state == "starting"
    configuration = json.loads(
        json.dumps(docker_debug_configuration(result.debug_port)).replace(
            "${workspaceFolder}", str(project_dir)
        )
    )
    score_py = project_dir / "score.py"
    line = line_of(score_py, "model = json.load(handle)")
    with DapClient("127.0.0.1", result.debug_port) as client:
        client.attach(configuration, {str(score_py): [line]})
        stopped = client.wait_event("stopped", timeout=30)
        frame = client.top_frame(stopped["body"]["threadId"])
        assert (Path(frame["source"]["path"]), frame["line"]) == (score_py, line)
        client.request("continue", {"threadId": stopped["body"]["threadId"]})
        deadline = time.monotonic() + 30
        while container_status(engine, result.name).state != "ready":
            assert time.monotonic() < deadline, "init() did not finish after continue"
            time.sleep(0.1)
    assert score(result.port) == EXPECTED


def test_failing_steps_line_is_reported_and_the_ca_bundle_never_reaches_the_image(
    engine: DockerEngine, image: str, tmp_path: Path
) -> None:
    # The module's image was built with --ca-bundle auto: nothing of it is left inside.
    probe = engine.run_container(
        image,
        command=[
            "/bin/sh",
            "-c",
            "ls /tmp/amldebug-env/ca-bundle.pem /tmp/amldebug-env; echo PIP_CERT=[$PIP_CERT]",
        ],
    )
    try:
        probe.wait(timeout=60)
        output = probe.logs().decode()
    finally:
        probe.remove(force=True)
    assert "No such file or directory" in output and "/tmp/amldebug-env/ca-bundle.pem" in output
    assert "PIP_CERT=[]" in output, "PIP_CERT must not be set in the image"

    project_dir = copy_project(tmp_path)
    steps = project_dir / "Dockerfile.steps"
    steps.write_text("ENV EDITOR=vim\nRUN apt-get install -y \\\n    amldebug-no-such-tool\n")
    project = discover_project(project_dir)
    options = build_options_from_environment(
        base_image=BASE_IMAGE, tag=f"amldebug-test-steps:{RUN_ID}", ca_bundle="auto"
    )
    with pytest.raises(BuildFailed) as caught:
        build_debug_image(project, options, engine)
    assert [(loc.file, loc.line + 1) for loc in caught.value.locations] == [(steps, 2)]
    assert "Dockerfile.steps:2:" in caught.value.message
