"""The debug container's life: run and wait until ready, reload, logs, stop, commit, sync, and more.

Every function takes a `DockerEngine` (see docker_engine.py), so the real engine is the only thing
these talk to; the CLI and the language server are thin adapters over them.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amldebug.containers import scoring_client
from amldebug.containers.defaults import DEFAULT_NAME
from amldebug.containers.docker_engine import DockerEngine, split_reference
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
from amldebug.errors import AmlDebugError, UsageError
from amldebug.progress import CancelToken, NullReporter, ProgressReporter
from amldebug.project import CONTAINER_APP_ROOT, Project

LABEL_RUNTIME = "amldebug.runtime"
LABEL_PORT = "amldebug.port"
LABEL_DEBUG_PORT = "amldebug.debug-port"
LABEL_MOUNTED = "amldebug.mounted"

# A host folder with a copy of debugpy, mounted into images we did not build (run-time injection).
INJECT_DIR = "/opt/amldebug-inject"
_LOG_TAIL_ON_FAILURE = 80
# The engine's answer to `--gpus` without the NVIDIA runtime (or any GPU device driver).
_NO_GPU_RUNTIME = re.compile(r"could not select device driver|nvidia-container-cli|unknown runtime")
_PULL_HINT = "Check the name and your access (log in with --username and --password-stdin)."


class ContainerCrashed(AmlDebugError):
    """The server in the container exited before it answered (init() raised, most often)."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        traceback: str = "",
        file: Path | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.traceback = traceback
        self.file = file
        self.line = line


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
        LABEL_PROJECT: str(project.root),
        LABEL_RUNTIME: "docker",
        LABEL_PORT: str(options.port),
        LABEL_DEBUG_PORT: str(options.debug_port),
        LABEL_MOUNTED: "1" if options.mount else "0",
    }
    reporter.step(f"Starting {options.name} from {options.image}", 10)
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
            **run_as,
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
            _wait_for_log(
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
    engine.remove_container(name)
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


_no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _http_ok(url: str) -> bool:
    try:
        with _no_proxy.open(url, timeout=2) as response:
            return 200 <= response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except (OSError, ValueError):
        return False


def wait_until_ready(
    engine: DockerEngine,
    name: str,
    url: str,
    timeout: float,
    cancel: CancelToken,
    project: Project | None,
) -> None:
    """Poll `GET /` while watching that the container lives; a dead one is ContainerCrashed."""

    def alive() -> bool:
        container = engine.find_container(name)
        if container is None:
            return False
        container.reload()
        return container.status not in ("exited", "dead")

    readiness = scoring_client.wait_until_ready(url, timeout, cancel, alive)
    if readiness.ready:
        return
    if readiness.state == "exited":
        if engine.find_container(name) is None:
            raise AmlDebugError(f"The container '{name}' disappeared while starting.")
        raise crashed_error(engine, name, project)
    tail = _log_text(engine, name, 40)
    raise AmlDebugError(
        f"The server in '{name}' did not answer {url}/ within {timeout:.0f} s "
        f"({readiness.last_error}).\n{tail}",
        hint="Read the log above; raise --timeout if init() is slow.",
    )


def _wait_for_log(
    engine: DockerEngine,
    name: str,
    text: str,
    timeout: float,
    cancel: CancelToken,
    project: Project | None,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cancel.raise_if_cancelled()
        container = engine.container(name)
        container.reload()
        if container.status in ("exited", "dead"):
            raise crashed_error(engine, name, project)
        if text in _log_text(engine, name, 50):
            return
        cancel.wait(0.2)
    raise AmlDebugError(f"The container '{name}' did not reach '{text}' within {timeout:.0f} s.")


def _log_text(engine: DockerEngine, name: str, tail: int | str = "all") -> str:
    try:
        data = engine.logs(name, tail=tail)
    except AmlDebugError:
        return ""
    return data.decode("utf-8", errors="replace") if isinstance(data, bytes) else str(data)


def crashed_error(engine: DockerEngine, name: str, project: Project | None) -> ContainerCrashed:
    """What to tell the user about a container that exited: the traceback, mapped to local files."""
    container = engine.find_container(name)
    exit_code = None
    if container is not None:
        exit_code = container.attrs.get("State", {}).get("ExitCode")
    text = _log_text(engine, name)
    traceback_text, file, line = map_failure(text, project)
    reason = (
        "init() failed"
        if "Worker failed to boot" in text or "init" in traceback_text
        else "it exited"
    )
    message = (
        f"The server in '{name}' stopped before it was ready ({reason}, exit code {exit_code})."
    )
    if traceback_text:
        message += "\n" + traceback_text
    else:
        message += "\n" + "\n".join(text.splitlines()[-_LOG_TAIL_ON_FAILURE:])
    where = f"{project.relative(file) if project else file}:{line}" if file and line else None
    if where:
        message += f"\n{where}"
    return ContainerCrashed(
        message,
        hint="Fix the line above, then `amldebug up` again (the container was removed)."
        if where
        else "Read the log above (the container was removed).",
        traceback=traceback_text,
        file=file,
        line=line,
    )


def map_failure(text: str, project: Project | None) -> tuple[str, Path | None, int | None]:
    """The last traceback with container paths replaced by local ones, and its entry-script line."""
    mapped = None
    if project is not None:
        try:
            from amldebug.troubleshooting.paths import map_traceback
        except ImportError:
            map_traceback = None  # type: ignore[assignment]
        if map_traceback is not None:
            mapped = map_traceback(text, project)
    lines = text.splitlines()
    if mapped is not None:
        block = lines[mapped.start_line - 1 : mapped.end_line]
        rendered = "\n".join(block)
        if project is not None:
            rendered = rendered.replace(CONTAINER_APP_ROOT + "/", str(project.root) + os.sep)
        file: Path | None = None
        line: int | None = None
        if mapped.last_entry_script_frame is not None:
            frame_path, line = mapped.last_entry_script_frame
            file = Path(frame_path)
        elif mapped.last_app_frame is not None:
            file = mapped.last_app_frame.local_path or Path(mapped.last_app_frame.path)
            line = mapped.last_app_frame.line
        return rendered, file, line
    # A small mapper of our own when the troubleshooting package is not there.
    start = max(
        (i for i, x in enumerate(lines) if "Traceback (most recent call last)" in x), default=-1
    )
    if start < 0:
        return "", None, None
    block = lines[start : start + 60]
    rendered = "\n".join(block)
    file, line = None, None
    for row in block:
        match = re.search(r'File "(?P<path>[^"]+)", line (?P<line>\d+)', row)
        if match and match["path"].startswith(CONTAINER_APP_ROOT + "/") and project is not None:
            file = project.root / match["path"][len(CONTAINER_APP_ROOT) + 1 :]
            line = int(match["line"])
    if project is not None:
        rendered = rendered.replace(CONTAINER_APP_ROOT + "/", str(project.root) + os.sep)
    return rendered, file, line


# Reload --------------------------------------------------------------------------------------

# Runs inside the container: kill the gunicorn worker(s) and their children (debugpy's adapter,
# which holds the debug port) but not the master, which boots a fresh worker that re-imports the
# entry script and listens for the debugger again. A HUP would start the new worker while the old
# one still held the debug port.
_RELOAD_SCRIPT = r"""
import os, signal
me = {os.getpid(), os.getppid()}
procs = {}
for entry in os.listdir('/proc'):
    if not entry.isdigit() or int(entry) in me:
        continue
    try:
        with open('/proc/%s/stat' % entry) as handle:
            ppid = int(handle.read().rsplit(')', 1)[1].split()[1])
        with open('/proc/%s/cmdline' % entry, 'rb') as handle:
            argv = handle.read().split(b'\0')[:2]
    except (OSError, IndexError, ValueError):
        continue
    server = any(a.endswith((b'azmlinfsrv', b'gunicorn', b'amldebug_launch.py')) for a in argv)
    procs[int(entry)] = (ppid, server)
servers = {p for p, (pp, s) in procs.items() if s}
masters = {p for p in servers if procs[p][0] not in servers}
workers = [p for p in servers if procs[p][0] in masters]
def children(pid):
    found = [p for p, (pp, s) in procs.items() if pp == pid]
    return found + [c for p in found for c in children(p)]
for worker in workers:
    for pid in children(worker) + [worker]:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
print(' '.join(str(w) for w in workers))
"""


@dataclass(frozen=True)
class ReloadResult:
    name: str
    seconds: float
    restarted_workers: tuple[int, ...]


def reload_container(
    engine: DockerEngine,
    name: str,
    *,
    project: Project | None = None,
    timeout: float = 60.0,
    cancel: CancelToken | None = None,
) -> ReloadResult:
    """Serve the edited entry script without rebuilding: a fresh worker, then wait until ready."""
    cancel = cancel or CancelToken()
    started = time.monotonic()
    container = engine.container(name)
    if container.status != "running":
        raise AmlDebugError(
            f"The container '{name}' is {container.status}, not running.",
            hint="Start it again with `amldebug run` (or `amldebug up`).",
        )
    port = _published_port(container, INFERENCE_PORT)
    result = _exec_python(engine, name, _RELOAD_SCRIPT)
    if result[0] != 0:
        raise AmlDebugError(f"Could not restart the worker in '{name}': {result[1].strip()[-400:]}")
    workers = tuple(int(x) for x in result[1].split() if x.isdigit())
    if not workers:
        raise AmlDebugError(
            f"No inference server worker runs in '{name}'.",
            hint="Read `amldebug logs`; `amldebug up` starts a fresh container.",
        )
    if port is not None:
        wait_until_ready(engine, name, f"http://127.0.0.1:{port}", timeout, cancel, project)
    return ReloadResult(name, time.monotonic() - started, workers)


def _exec_python(engine: DockerEngine, name: str, script: str) -> tuple[int, str]:
    result = engine.exec(
        name, ["/bin/sh", "-c", 'exec "$(command -v python || command -v python3)" -c "$0"', script]
    )
    return result.exit_code, result.output


def _published_port(container: Any, container_port: int) -> int | None:
    bindings = (container.attrs.get("NetworkSettings", {}).get("Ports") or {}).get(
        f"{container_port}/tcp"
    )
    if not bindings:
        return None
    try:
        return int(bindings[0]["HostPort"])
    except (KeyError, ValueError, IndexError):
        return None


# Stop, logs, status, ps ---------------------------------------------------------------------


def container_logs(engine: DockerEngine, name: str, *, tail: int | None = None) -> str:
    engine.container(name)
    return _log_text(engine, name, tail if tail is not None else "all")


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


def _image_name(container: Any) -> str | None:
    """The image as the container was started with (one image id can carry several tags)."""
    configured = container.attrs.get("Config", {}).get("Image")
    if configured:
        return str(configured)
    return (container.image.tags or [None])[0] if container.image is not None else None


def _status_of(container: Any) -> ContainerStatus:
    labels = container.labels or {}
    port = _published_port(container, INFERENCE_PORT)
    debug_port = _published_port(container, DEBUG_PORT)
    image = _image_name(container)
    state = container.status
    exit_code = container.attrs.get("State", {}).get("ExitCode")
    if state == "running":
        state = (
            "ready" if port is not None and _http_ok(f"http://127.0.0.1:{port}/") else "starting"
        )
    elif state in ("exited", "dead"):
        state = "crashed" if exit_code else "exited"
    return ContainerStatus(
        name=container.name,
        state=state,
        port=port,
        debug_port=debug_port,
        image=image,
        project=labels.get(LABEL_PROJECT),
        exit_code=exit_code,
    )


def list_debug_containers(engine: DockerEngine) -> list[ContainerStatus]:
    """Only the containers amldebug started (by label)."""
    return sorted(
        (_status_of(c) for c in engine.containers_with_label(LABEL_RUNTIME)), key=lambda s: s.name
    )


# Commit --------------------------------------------------------------------------------------


def next_free_tag(existing: list[str], repository: str = "debug") -> str:
    """`debug:N`, N one more than the highest numbered tag of `repository` (debug:1 -> debug:2)."""
    numbers = [
        int(tag.rsplit(":", 1)[1])
        for tag in existing
        if tag.rsplit(":", 1)[0] == repository and tag.rsplit(":", 1)[1].isdigit()
    ]
    return f"{repository}:{max(numbers, default=0) + 1}"


def commit_container(engine: DockerEngine, name: str, tag: str | None = None) -> str:
    container = engine.container(name)
    if tag is None:
        current = _image_name(container) or ""
        repository = "debug"
        if current and current.rsplit(":", 1)[-1].isdigit():
            repository = current.rsplit(":", 1)[0]
        tag = next_free_tag(engine.image_tags(), repository)
    repository, tag_part = split_reference(tag)
    engine.commit(name, repository, tag_part, message="amldebug commit")
    return f"{repository}:{tag_part}"


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


@dataclass(frozen=True)
class ModelPath:
    model_dir: str | None
    exists: bool
    tree: tuple[tuple[str, int], ...]


def model_path(engine: DockerEngine, name: str) -> ModelPath:
    """Where the entry script will find the model inside the container (get_model_path's check)."""
    import json

    code, output = _exec_python(engine, name, _MODEL_PATH_SCRIPT)
    if code != 0:
        raise AmlDebugError(
            f"Could not inspect the model folder in '{name}': {output.strip()[-300:]}"
        )
    data = json.loads(output.strip().splitlines()[-1])
    return ModelPath(
        data["modelDir"], bool(data["exists"]), tuple((p, int(s)) for p, s in data["tree"])
    )


# Pull ----------------------------------------------------------------------------------------


def registry_of(image: str) -> str | None:
    """The registry host of an image reference, or None for Docker Hub."""
    first = image.split("/", 1)[0]
    if "/" in image and ("." in first or ":" in first or first == "localhost"):
        return first
    return None


def pull_image(
    engine: DockerEngine,
    image: str,
    *,
    tag: str | None = "debug:1",
    username: str | None = None,
    password: str | None = None,
    reporter: ProgressReporter | None = None,
    cancel: CancelToken | None = None,
) -> str:
    """Log in (when credentials are given), pull, and tag as `tag`. Returns the local name."""
    reporter = reporter or NullReporter()
    cancel = cancel or CancelToken()
    auth = None
    if username:
        if password is None:
            raise UsageError("--username needs a password: pass it on stdin with --password-stdin.")
        registry = registry_of(image) or "https://index.docker.io/v1/"
        reporter.step(f"Logging in to {registry} as {username}", 5)
        engine.login(registry, username, password)
        auth = {"username": username, "password": password}
    reporter.step(f"Pulling {image}", 10)
    try:
        for chunk in engine.pull(image, auth):
            cancel.raise_if_cancelled()
            if "error" in chunk:
                raise AmlDebugError(
                    f"Pulling {image} failed: {chunk['error']}",
                    hint=_PULL_HINT,
                )
            status = chunk.get("status")
            if status and "progressDetail" not in chunk:
                reporter.log(f"{chunk.get('id', '')} {status}".strip())
    except AmlDebugError:
        raise
    except Exception as error:
        explanation = getattr(error, "explanation", None) or str(error)
        raise AmlDebugError(
            f"Pulling {image} failed: {explanation}",
            hint=_PULL_HINT,
        ) from None
    if tag:
        engine.tag(image, tag)
        reporter.step(f"Tagged {image} as {tag}", 100)
        return tag
    return image
