"""`run`: start a debug container from an image and wait until its server is ready.

The rest of the container's life is in modules of their own: waiting (container_readiness), why it
stopped (container_failure), reload (container_reload), status, ps, logs and model path
(container_state), commit and pull (debug_images). Their public names stay importable from here.
Every function takes a `DockerEngine` (see docker_engine.py), so the real engine is the only thing
these talk to; the CLI and the language server are thin adapters over them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker.errors

from amldebug.containers.container_failure import (
    ContainerCrashed,
    container_log_text,
    crashed_error,
    map_failure,
)
from amldebug.containers.container_labels import (
    LABEL_DEBUG_PORT,
    LABEL_MOUNTED,
    LABEL_PORT,
    LABEL_RUNTIME,
    project_label,
)
from amldebug.containers.container_readiness import wait_for_log, wait_until_ready
from amldebug.containers.container_reload import ReloadResult, reload_container
from amldebug.containers.container_state import (
    ContainerStatus,
    ModelPath,
    container_logs,
    container_status,
    follow_logs,
    list_debug_containers,
    model_path,
)
from amldebug.containers.debug_images import (
    commit_container,
    next_free_tag,
    pull_image,
    registry_of,
)
from amldebug.containers.debug_network import ensure_debug_network
from amldebug.containers.defaults import DEFAULT_NAME
from amldebug.containers.docker_engine import DockerEngine
from amldebug.containers.dockerfile import (
    DEBUG_PORT,
    DEBUG_WORKER_TIMEOUT,
    INFERENCE_PORT,
    LABEL_BUILT,
    LABEL_ENTRY,
    LABEL_MODEL_DIR,
    LABEL_PROJECT,
    MODELS_ROOT,
    WRAPPER_PATH,
    WRAPPER_SOURCE,
)
from amldebug.containers.model_files import project_model_layout
from amldebug.containers.model_layout import AZUREML_MODELS_ROOT, model_dir_beside_mount
from amldebug.containers.mount_access import mount_access
from amldebug.containers.ports import ensure_ports_free
from amldebug.errors import AmlDebugError
from amldebug.progress import CancelToken, NullReporter, ProgressReporter
from amldebug.project import CONTAINER_APP_ROOT, Project

__all__ = [
    "DEFAULT_NAME",
    "INJECT_DIR",
    "LABEL_DEBUG_PORT",
    "LABEL_MOUNTED",
    "LABEL_PORT",
    "LABEL_RUNTIME",
    "ContainerCrashed",
    "ContainerStatus",
    "ModelPath",
    "ReloadResult",
    "RunOptions",
    "RunResult",
    "check_ports_free",
    "commit_container",
    "container_log_text",
    "container_logs",
    "container_status",
    "crashed_error",
    "follow_logs",
    "list_debug_containers",
    "map_failure",
    "model_path",
    "next_free_tag",
    "prepare_injection",
    "pull_image",
    "registry_of",
    "reload_container",
    "run_debug_container",
    "url_host",
    "wait_until_ready",
]

# A host folder with a copy of debugpy, mounted into images we did not build (run-time injection).
INJECT_DIR = "/opt/amldebug-inject"
# The engine's answer to `--gpus` without the NVIDIA runtime (or any GPU device driver).
_NO_GPU_RUNTIME = re.compile(r"could not select device driver|nvidia-container-cli|unknown runtime")


@dataclass(frozen=True)
class RunOptions:
    image: str = "debug:1"
    name: str = DEFAULT_NAME
    port: int = 8000
    debug_port: int = DEBUG_PORT
    bind: str = "127.0.0.1"
    mount: bool = True
    wait_for_debugger: bool = False
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = 120.0
    gpus: bool = False  # pass every GPU through (`docker run --gpus all`)
    # More labels (the debug loop records how the container was asked for) and more `docker run`
    # arguments (Docker SDK names, e.g. mem_limit): options the caller adds without a field here.
    labels: Mapping[str, str] = field(default_factory=dict)
    engine_options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunResult:
    name: str
    image: str
    port: int
    debug_port: int
    url: str
    runtime: str
    container_id: str
    seconds: float
    injected: bool
    ready: bool
    replaced: bool = False


def url_host(bind: str) -> str:
    return "127.0.0.1" if bind in ("0.0.0.0", "", "::") else bind


# Ports ---------------------------------------------------------------------------------------


def check_ports_free(bind: str, ports: list[tuple[str, int]]) -> None:
    """Refuse to start when a port is taken, naming who holds it and the next free one."""
    ensure_ports_free(
        [(port, f"--{label}", f"the {label.replace('-', ' ')}") for label, port in ports],
        url_host(bind) if bind not in ("0.0.0.0", "::") else bind,
    )


# Run -----------------------------------------------------------------------------------------


def run_debug_container(
    project: Project,
    options: RunOptions,
    engine: DockerEngine,
    *,
    reporter: ProgressReporter | None = None,
    cancel: CancelToken | None = None,
) -> RunResult:
    """Start the debug container and wait until `GET /` answers (or the debugger is awaited)."""
    reporter = reporter or NullReporter()
    cancel = cancel or CancelToken()
    started = time.monotonic()
    labels_of_image = engine.image_labels(options.image)
    replaced = _make_room(engine, options.name)
    check_ports_free(options.bind, [("port", options.port), ("debug-port", options.debug_port)])

    ours = labels_of_image.get(LABEL_BUILT) == "1"
    entry = _entry_relative(project) or labels_of_image.get(LABEL_ENTRY) or "score.py"
    environment = {
        "AML_APP_ROOT": CONTAINER_APP_ROOT,
        "AZUREML_ENTRY_SCRIPT": WRAPPER_PATH,
        "AMLDEBUG_USER_SCRIPT": entry,
        "AMLDEBUG_DEBUG_PORT": str(DEBUG_PORT),
        "WORKER_COUNT": "1",
        "WORKER_TIMEOUT": DEBUG_WORKER_TIMEOUT,
        # debugpy's warning about frozen modules is noise in every log.
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        **project.environment_variables,
        **options.env,
    }
    if options.wait_for_debugger:
        environment["AMLDEBUG_WAIT_FOR_DEBUGGER"] = "1"
    volumes: dict[str, dict[str, str]] = {}
    run_as: dict[str, Any] = {}  # user / group_add when the image's user cannot open the mount
    if options.mount:
        volumes[str(project.root.resolve())] = {"bind": CONTAINER_APP_ROOT, "mode": "rw"}
        # Bytecode written by the container would leave foreign-owned __pycache__ folders in the
        # user's workspace.
        environment.setdefault("PYTHONDONTWRITEBYTECODE", "1")
        folder = project.root.stat()
        access = mount_access(
            engine.image_user(options.image), folder.st_mode, folder.st_uid, folder.st_gid
        )
        if access.user:
            run_as["user"] = access.user
        if access.group_add:
            run_as["group_add"] = list(access.group_add)
        if access.note:
            reporter.log(f"amldebug: {access.note}")
    command = None
    if not ours:
        # An image we did not build: bring the wrapper, debugpy and the models at run time.
        inject = prepare_injection()
        volumes[str(inject)] = {"bind": INJECT_DIR, "mode": "ro"}
        environment["PYTHONPATH"] = INJECT_DIR + (
            ":" + options.env["PYTHONPATH"] if "PYTHONPATH" in options.env else ""
        )
        environment["AZUREML_ENTRY_SCRIPT"] = f"{INJECT_DIR}/amldebug_entry.py"
        command = [
            "azmlinfsrv",
            "--entry_script",
            f"{INJECT_DIR}/amldebug_entry.py",
            "--port",
            str(INFERENCE_PORT),
        ]
        # The models where Azure ML puts them (beside the app root when a mount would hide it).
        root = MODELS_ROOT if options.mount else AZUREML_MODELS_ROOT
        layout, local = project_model_layout(project)
        for placed in layout.placed:
            volumes[str(local[placed.relative_target].resolve())] = {
                "bind": placed.target(root),
                "mode": "ro",
            }
        if layout.model_dir(root):
            environment.setdefault("AZUREML_MODEL_DIR", str(layout.model_dir(root)))
    elif options.mount and LABEL_MODEL_DIR in labels_of_image:
        # The mount hides the image's /var/azureml-app/azureml-models symlink: the same folder.
        environment.setdefault(
            "AZUREML_MODEL_DIR", model_dir_beside_mount(labels_of_image[LABEL_MODEL_DIR])
        )
    labels = {
        **options.labels,
        LABEL_PROJECT: project_label(project.root),
        LABEL_RUNTIME: "docker",
        LABEL_PORT: str(options.port),
        LABEL_DEBUG_PORT: str(options.debug_port),
        LABEL_MOUNTED: "1" if options.mount else "0",
    }
    reporter.step(f"Starting {options.name} from {options.image}", 10)
    if warning := engine.emulation_warning_once():  # arm64 engine: amd64 under emulation
        reporter.log(f"amldebug: {warning}")
    # A network of its own: no other container can reach debugpy (debug_network.py).
    network = ensure_debug_network(engine, options.name)
    try:
        container = engine.run_container(
            options.image,
            name=options.name,
            command=command,
            environment=environment,
            labels=labels,
            volumes=volumes,
            ports={
                f"{INFERENCE_PORT}/tcp": (options.bind, options.port),
                f"{DEBUG_PORT}/tcp": (options.bind, options.debug_port),
            },
            working_dir=CONTAINER_APP_ROOT,
            gpus=options.gpus,
            network=network,
            **run_as,
            **options.engine_options,
        )
    except Exception as error:
        engine.remove_container(options.name)
        explanation = getattr(error, "explanation", None) or str(error)
        hint = None
        if "port is already allocated" in str(explanation) or "address already in use" in str(
            explanation
        ):
            hint = "Another container publishes that port: see `amldebug ps`, or pass --port."
        elif options.gpus and _NO_GPU_RUNTIME.search(str(explanation)):
            raise AmlDebugError(
                "--gpus: this Docker engine has no GPU runtime (it cannot pass GPUs to a "
                "container).",
                hint="Install the NVIDIA driver and the NVIDIA Container Toolkit on the host "
                "(`nvidia-ctk runtime configure --runtime=docker`, then restart the engine), or "
                "run without --gpus.",
            ) from None
        raise AmlDebugError(f"The container could not start: {explanation}", hint=hint) from None

    url = f"http://{url_host(options.bind)}:{options.port}"
    try:
        if options.wait_for_debugger:
            reporter.step(f"Waiting for a debugger to attach on port {options.debug_port}", 50)
            wait_for_log(
                engine, options.name, "waiting for a debugger", options.timeout, cancel, project
            )
            ready = False
        else:
            reporter.step(f"Waiting for {url}/ to answer", 50)
            wait_until_ready(engine, options.name, url, options.timeout, cancel, project)
            ready = True
    except BaseException:
        engine.remove_container(options.name)
        raise
    reporter.step(f"Ready on {url}" if ready else "Waiting for the debugger", 100)
    return RunResult(
        name=options.name,
        image=options.image,
        port=options.port,
        debug_port=options.debug_port,
        url=url,
        runtime="docker",
        container_id=str(container.id),
        seconds=time.monotonic() - started,
        injected=not ours,
        ready=ready,
        replaced=replaced,
    )


def _make_room(engine: DockerEngine, name: str) -> bool:
    """Replace our own earlier container of that name; refuse to touch anyone else's."""
    existing = engine.find_container(name)
    if existing is None:
        return False
    if LABEL_RUNTIME not in (existing.labels or {}):
        raise AmlDebugError(
            f"A container named '{name}' exists and was not started by amldebug.",
            hint=f"Pass --name another-name, or remove it with `docker rm -f {name}`.",
        )
    # Only the container: its own network is reused by the new one (about 0.3 s saved).
    with contextlib.suppress(docker.errors.NotFound):
        existing.remove(force=True)
    return True


def _entry_relative(project: Project) -> str | None:
    if project.entry_script is None:
        return None
    try:
        return project.entry_script.resolve().relative_to(project.root.resolve()).as_posix()
    except ValueError:
        return project.entry_script.name


def prepare_injection() -> Path:
    """A host folder holding the entry wrapper and a copy of debugpy (pure Python runs anywhere)."""
    import debugpy

    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "amldebug" / "inject"
    source = Path(debugpy.__file__).parent
    marker = cache / f"debugpy-{getattr(debugpy, '__version__', 'unknown')}"
    if not marker.exists():
        staging = cache.with_name("inject.tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        # Compiled speedups carry their Python's ABI tag: another Python skips them and runs the
        # pure-Python code, so the whole package can be copied as it is.
        shutil.copytree(source, staging / "debugpy", ignore=shutil.ignore_patterns("__pycache__"))
        (staging / marker.name).write_text("")
        shutil.rmtree(cache, ignore_errors=True)
        staging.rename(cache)
    shutil.copyfile(WRAPPER_SOURCE, cache / "amldebug_entry.py")
    return cache
