"""The platform decision for arm64 engines: Azure ML's images are linux/amd64 only, so on an arm64
engine every build, pull and run asks for linux/amd64 (emulated) and the user is told once.

No arm64 engine is available here: the arm64 cases are tested as a decision, on `docker info`
answers shaped as the engine API gives them, through the real DockerEngine over a fake client
that records what reaches the SDK. The amd64 case also runs against this machine's real engine.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import docker.errors
import pytest
from tests.support.docker_engine import engine_or_skip

from amldebug.containers import docker_engine
from amldebug.containers.build import build_debug_image
from amldebug.containers.docker_engine import (
    AZURE_ML_PLATFORM,
    DockerEngine,
    emulation_warning,
    platform_for_engine,
)
from amldebug.containers.dockerfile import LABEL_BUILT, BuildOptions
from amldebug.containers.run import RunOptions, run_debug_container
from amldebug.errors import AmlDebugError
from amldebug.progress import RecordingReporter
from amldebug.project import discover_project

# Docker Desktop on Apple silicon: the engine runs in an arm64 LinuxKit VM (`uname -m` aarch64).
DOCKER_DESKTOP_APPLE_SILICON = {
    "ID": "fidelity-desktop-m1",
    "Architecture": "aarch64",
    "OSType": "linux",
    "OperatingSystem": "Docker Desktop",
    "KernelVersion": "6.10.14-linuxkit",
    "ServerVersion": "27.4.0",
    "NCPU": 8,
}
# An arm64 Linux server (e.g. a cloud arm64 VM with Docker Engine).
ARM64_LINUX_SERVER = {
    "ID": "fidelity-arm64-server",
    "Architecture": "aarch64",
    "OSType": "linux",
    "OperatingSystem": "Ubuntu 22.04.4 LTS",
    "ServerVersion": "26.1.3",
}
# Recorded from this machine's engine (2026-12-02).
THIS_MACHINE = {
    "Architecture": "x86_64",
    "OSType": "linux",
    "OperatingSystem": "Debian GNU/Linux 12 (bookworm)",
    "KernelVersion": "6.18.44-fc-v669",
    "ServerVersion": "20.10.24+dfsg1",
    "NCPU": 2,
}
WINDOWS_CONTAINERS = {"Architecture": "x86_64", "OSType": "windows"}


@pytest.mark.parametrize("info", [DOCKER_DESKTOP_APPLE_SILICON, ARM64_LINUX_SERVER])
def test_an_arm64_engine_builds_and_runs_azure_ml_images_as_linux_amd64(
    info: dict[str, Any],
) -> None:
    assert platform_for_engine(info) == AZURE_ML_PLATFORM == "linux/amd64"
    warning = emulation_warning(info)
    assert warning is not None
    assert "aarch64" in warning and "emulation" in warning and "slower" in warning


@pytest.mark.parametrize("info", [THIS_MACHINE, WINDOWS_CONTAINERS, {}])
def test_other_engines_keep_their_own_platform_and_say_nothing(info: dict[str, Any]) -> None:
    assert platform_for_engine(info) is None
    assert emulation_warning(info) is None


class _Image:
    id = "sha256:fidelity"
    attrs = {"Config": {"User": ""}, "Os": "linux", "Architecture": "amd64"}
    labels = {LABEL_BUILT: "1"}


class _Images:
    def get(self, reference: str) -> _Image:
        return _Image()


class _Api:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def build(self, **kwargs: Any) -> list[dict[str, Any]]:
        self.calls.append(("build", kwargs))
        return [{"stream": "Step 1/1 : FROM base\n"}, {"aux": {"ID": "sha256:built"}}]

    def pull(self, repository: str, **kwargs: Any) -> list[dict[str, Any]]:
        self.calls.append(("pull", kwargs))
        return [{"status": "Downloaded"}]

    # The debug container's own network (debug_network.py): created, never found.
    def networks(self, **kwargs: Any) -> list[dict[str, Any]]:
        return []

    def inspect_network(self, name: str) -> dict[str, Any]:
        raise docker.errors.NotFound(name)

    def create_network(self, name: str, **kwargs: Any) -> dict[str, Any]:
        return {"Id": name}


class _Containers:
    def __init__(self, api: _Api) -> None:
        self.api = api

    def run(self, image: str, **kwargs: Any) -> object:
        self.api.calls.append(("run", kwargs))
        if kwargs.get("name", "").startswith("fidelity-refused"):
            raise RuntimeError("the fake engine starts nothing")
        return object()

    def get(self, name: str) -> object:
        raise docker.errors.NotFound(name)


class _Client:
    """What DockerEngine asks of the SDK's client, answering with a recorded `docker info`."""

    def __init__(self, info: dict[str, Any]) -> None:
        self._info = info
        self.info_calls = 0
        self.api = _Api()
        self.images = _Images()
        self.containers = _Containers(self.api)

    def info(self) -> dict[str, Any]:
        self.info_calls += 1
        return self._info


def _engine(info: dict[str, Any]) -> tuple[DockerEngine, _Client]:
    client = _Client(info)
    return DockerEngine(client), client  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docker_engine, "_WARNED_ENGINES", set())


def _platforms(client: _Client) -> dict[str, Any]:
    return {verb: kwargs.get("platform") for verb, kwargs in client.api.calls}


def test_on_an_arm64_engine_build_pull_and_run_all_ask_for_linux_amd64() -> None:
    engine, client = _engine(DOCKER_DESKTOP_APPLE_SILICON)
    list(engine.build(None, tag="t"))  # type: ignore[arg-type]
    list(engine.pull("mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest"))
    engine.run_container("t", name="fidelity-arm64")
    assert _platforms(client) == {
        "build": "linux/amd64",
        "pull": "linux/amd64",
        "run": "linux/amd64",
    }
    assert client.info_calls == 1  # asked once per engine object


def test_on_an_amd64_engine_no_platform_reaches_the_sdk() -> None:
    engine, client = _engine(THIS_MACHINE)
    list(engine.build(None, tag="t"))  # type: ignore[arg-type]
    list(engine.pull("base:1"))
    engine.run_container("t", name="fidelity-amd64")
    assert all("platform" not in kwargs for _, kwargs in client.api.calls)


def test_an_engine_that_will_not_say_its_info_keeps_its_own_platform() -> None:
    class Silent(_Client):
        def info(self) -> dict[str, Any]:
            raise RuntimeError("info is not allowed")

    engine = DockerEngine(Silent({}))  # type: ignore[arg-type]
    assert engine.target_platform() is None
    assert engine.emulation_warning_once() is None


def test_the_emulation_warning_is_given_once_per_engine_and_process() -> None:
    engine, _ = _engine(DOCKER_DESKTOP_APPLE_SILICON)
    assert engine.emulation_warning_once() is not None
    assert engine.emulation_warning_once() is None
    again, _ = _engine(DOCKER_DESKTOP_APPLE_SILICON)  # `up`: build, then run, on a new object
    assert again.emulation_warning_once() is None
    other, _ = _engine(ARM64_LINUX_SERVER)
    assert other.emulation_warning_once() is not None


def test_a_build_on_an_arm64_engine_warns_in_the_log_and_builds_linux_amd64(
    tmp_path: Path,
) -> None:
    (tmp_path / "score.py").write_text("def init():\n    pass\n\n\ndef run(data):\n    return 1\n")
    engine, client = _engine(DOCKER_DESKTOP_APPLE_SILICON)
    reporter = RecordingReporter()
    options = BuildOptions(base_image="base:1", tag="amldebug-fidelity/arm64:1")
    for _ in range(2):
        build_debug_image(discover_project(tmp_path), options, engine, reporter=reporter)
    warnings = [line for line in reporter.lines if "emulation" in str(line)]
    assert len(warnings) == 1
    assert _platforms(client) == {"build": "linux/amd64"}


def test_a_build_on_an_amd64_engine_says_nothing_about_emulation(tmp_path: Path) -> None:
    (tmp_path / "score.py").write_text("def init():\n    pass\n\n\ndef run(data):\n    return 1\n")
    engine, _ = _engine(THIS_MACHINE)
    reporter = RecordingReporter()
    options = BuildOptions(base_image="base:1", tag="amldebug-fidelity/amd64:1")
    build_debug_image(discover_project(tmp_path), options, engine, reporter=reporter)
    assert not any("emulation" in str(line) for line in reporter.lines)


def _free() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_run_on_an_arm64_engine_warns_and_asks_for_linux_amd64(tmp_path: Path) -> None:
    (tmp_path / "score.py").write_text("def init():\n    pass\n\n\ndef run(data):\n    return 1\n")
    engine, client = _engine(DOCKER_DESKTOP_APPLE_SILICON)
    reporter = RecordingReporter()
    options = RunOptions(
        image="debug:1", name="fidelity-refused", port=_free(), debug_port=_free(), mount=False
    )
    with pytest.raises(AmlDebugError) as raised:  # the fake engine starts nothing
        run_debug_container(discover_project(tmp_path), options, engine, reporter=reporter)
    assert "could not start" in raised.value.message
    assert [line for line in reporter.lines if "emulation" in str(line)] != []
    assert _platforms(client) == {"run": "linux/amd64"}


@pytest.mark.docker
def test_this_machines_real_engine_is_amd64_and_keeps_its_own_platform() -> None:
    engine = engine_or_skip()
    try:
        assert engine.info()["Architecture"] in ("x86_64", "amd64")
        assert engine.target_platform() is None
        assert engine.emulation_warning_once() is None
    finally:
        engine.close()
