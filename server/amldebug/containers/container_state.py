"""What a debug container is doing: its status, the list of ours (`ps`), its logs, and where the
entry script will find the model inside it (`model-path`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from amldebug.containers.container_failure import container_log_text
from amldebug.containers.container_labels import LABEL_RUNTIME
from amldebug.containers.container_readiness import http_ok
from amldebug.containers.docker_engine import DockerEngine
from amldebug.containers.dockerfile import DEBUG_PORT, INFERENCE_PORT, LABEL_PROJECT
from amldebug.containers.model_dir_listing import ModelPath
from amldebug.errors import AmlDebugError
from amldebug.progress import CancelToken, ProgressReporter


def exec_python(engine: DockerEngine, name: str, script: str) -> tuple[int, str]:
    """Run a Python snippet in the container with whichever python it has: (exit code, output)."""
    result = engine.exec(
        name, ["/bin/sh", "-c", 'exec "$(command -v python || command -v python3)" -c "$0"', script]
    )
    return result.exit_code, result.output


def published_port(container: Any, container_port: int) -> int | None:
    """The host port a container port is published on, or None."""
    bindings = (container.attrs.get("NetworkSettings", {}).get("Ports") or {}).get(
        f"{container_port}/tcp"
    )
    if not bindings:
        return None
    try:
        return int(bindings[0]["HostPort"])
    except (KeyError, ValueError, IndexError):
        return None


def image_name(container: Any) -> str | None:
    """The image as the container was started with (one image id can carry several tags)."""
    configured = container.attrs.get("Config", {}).get("Image")
    if configured:
        return str(configured)
    return (container.image.tags or [None])[0] if container.image is not None else None


# Logs ----------------------------------------------------------------------------------------


def container_logs(engine: DockerEngine, name: str, *, tail: int | None = None) -> str:
    engine.container(name)
    return container_log_text(engine, name, tail if tail is not None else "all")


def follow_logs(
    engine: DockerEngine,
    name: str,
    reporter: ProgressReporter,
    cancel: CancelToken,
    *,
    tail: int | None = None,
) -> None:
    stream = engine.logs(name, tail=tail if tail is not None else "all", follow=True)
    buffer = b""
    try:
        for chunk in stream:
            if cancel.cancelled:
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                reporter.log(line.decode("utf-8", errors="replace"))
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    if buffer:
        reporter.log(buffer.decode("utf-8", errors="replace"))


# Status and ps -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContainerStatus:
    name: str
    state: str  # none / starting / ready / crashed / exited
    port: int | None = None
    debug_port: int | None = None
    image: str | None = None
    project: str | None = None
    exit_code: int | None = None


def container_status(engine: DockerEngine, name: str) -> ContainerStatus:
    container = engine.find_container(name)
    if container is None:
        return ContainerStatus(name, "none")
    return _status_of(container)


def _status_of(container: Any) -> ContainerStatus:
    labels = container.labels or {}
    port = published_port(container, INFERENCE_PORT)
    debug_port = published_port(container, DEBUG_PORT)
    state = container.status
    exit_code = container.attrs.get("State", {}).get("ExitCode")
    if state == "running":
        state = "ready" if port is not None and http_ok(f"http://127.0.0.1:{port}/") else "starting"
    elif state in ("exited", "dead"):
        state = "crashed" if exit_code else "exited"
    return ContainerStatus(
        name=container.name,
        state=state,
        port=port,
        debug_port=debug_port,
        image=image_name(container),
        project=labels.get(LABEL_PROJECT),
        exit_code=exit_code,
    )


def list_debug_containers(engine: DockerEngine) -> list[ContainerStatus]:
    """Only the containers amldebug started (by label)."""
    return sorted(
        (_status_of(c) for c in engine.containers_with_label(LABEL_RUNTIME)), key=lambda s: s.name
    )


# Model path ----------------------------------------------------------------------------------

_MODEL_PATH_SCRIPT = r"""
import json, os
model_dir = os.environ.get('AZUREML_MODEL_DIR')
tree = []
if model_dir and os.path.isdir(model_dir):
    for base, dirs, files in os.walk(model_dir):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(base, name)
            tree.append([os.path.relpath(path, model_dir), os.path.getsize(path)])
            if len(tree) >= 500:
                break
print(json.dumps({'modelDir': model_dir, 'exists': bool(model_dir and os.path.isdir(model_dir)),
                  'appRoot': os.environ.get('AML_APP_ROOT', '/var/azureml-app'), 'tree': tree}))
"""


def model_path(engine: DockerEngine, name: str) -> ModelPath:
    """Where the entry script will find the model inside the container (get_model_path's check)."""
    code, output = exec_python(engine, name, _MODEL_PATH_SCRIPT)
    if code != 0:
        raise AmlDebugError(
            f"Could not inspect the model folder in '{name}': {output.strip()[-300:]}"
        )
    data = json.loads(output.strip().splitlines()[-1])
    return ModelPath(
        data["modelDir"], bool(data["exists"]), tuple((p, int(s)) for p, s in data["tree"])
    )
