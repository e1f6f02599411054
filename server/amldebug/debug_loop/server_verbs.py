"""The use cases on a running debug server: reload, stop, status, logs, model-path, ps, commit,
sync, pull and invoke. Each takes a `DebugLoopRequest`; the runtime that has the server of the
name is found in one place (runtime.runtime_serving).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from amldebug.containers.docker_engine import EngineUnavailable, connect
from amldebug.debug_loop.docker_runtime import DockerRuntime
from amldebug.debug_loop.local_runtime import ProcessRuntime
from amldebug.debug_loop.options import DebugLoopRequest
from amldebug.debug_loop.runtime import (
    ReloadOutcome,
    ServerState,
    StopOutcome,
    all_servers,
    runtime_serving,
)
from amldebug.debug_loop.target import optional_project, project_for
from amldebug.errors import AmlDebugError, UsageError
from amldebug.progress import CancelToken, NullReporter, ProgressReporter
from amldebug.project_files import read_project_bytes

if TYPE_CHECKING:
    from amldebug.containers.run import ContainerCrashed, ModelPath
    from amldebug.containers.scoring_client import ScoreResponse
    from amldebug.containers.sync import SyncResult
    from amldebug.project import Project

SAMPLE_REQUEST_NAME = "sample-request.json"
# A test request body: generous for a base64 image or a batch of rows, bounded all the same.
MAX_REQUEST_BYTES = 64 * 1024 * 1024


def reload(
    request: DebugLoopRequest,
    *,
    reporter: ProgressReporter | None = None,
    cancel: CancelToken | None = None,
) -> ReloadOutcome:
    """Serve the edited entry script without a rebuild (a new worker, or a new local process)."""
    runtime = runtime_serving(request.name)
    return runtime.reload(
        request.name,
        optional_project(request),
        timeout=request.timeout or 60.0,
        wait_for_requests=request.wait_for_requests,
        reporter=reporter or NullReporter(),
        cancel=cancel or CancelToken(),
    )


def stop(request: DebugLoopRequest) -> list[StopOutcome]:
    """Stop the local server of the name and the container of the name, whichever exist (a
    container is looked for only when an engine answers, or when no local server was stopped)."""
    stopped: list[StopOutcome] = []
    process = ProcessRuntime()
    if process.recorded(request.name) is not None:
        stopped.append(process.stop(request.name, remove_image=False, force=False))
    try:
        docker = DockerRuntime(connect())
    except EngineUnavailable:
        if stopped:
            return stopped
        raise
    if stopped and docker.engine.find_container(request.name) is None:
        return stopped
    stopped.append(
        docker.stop(request.name, remove_image=request.remove_image, force=request.force)
    )
    return stopped


@dataclass(frozen=True)
class StatusOutcome:
    server: ServerState
    crash: ContainerCrashed | None = None  # why a crashed server stopped, mapped to local lines
    message: str | None = None  # e.g. why Docker could not be asked


def status(request: DebugLoopRequest) -> StatusOutcome:
    """The server of the name as it is now; no engine is a state ("none"), not a failure."""
    try:
        runtime = runtime_serving(request.name)
    except EngineUnavailable as error:
        return StatusOutcome(ServerState(request.name, "docker", "none"), message=error.message)
    state = runtime.find(request.name) or ServerState(request.name, runtime.name, "none")
    crash = None
    if state.state == "crashed":
        crash = runtime.crash(request.name, optional_project(request))
    return StatusOutcome(state, crash)


def logs(request: DebugLoopRequest) -> str:
    return runtime_serving(request.name).logs(request.name, request.tail)


def follow_logs(
    request: DebugLoopRequest, cancel: CancelToken, on_line: Callable[[str], None]
) -> None:
    runtime_serving(request.name).follow_logs(request.name, request.tail, cancel, on_line)


def model_path(request: DebugLoopRequest) -> ModelPath:
    """Where the entry script finds the model, in the container or for the local process."""
    return runtime_serving(request.name).model_path(request.name)


def servers() -> tuple[list[ServerState], EngineUnavailable | None]:
    """Every server amldebug started (`ps`), and why Docker's are missing when they are."""
    return all_servers()


def commit(request: DebugLoopRequest) -> str:
    """The container saved as a new image tag; the tag."""
    from amldebug.containers.run import commit_container

    if ProcessRuntime().recorded(request.name) is not None:
        raise AmlDebugError(
            f"'{request.name}' is a local process, not a container: there is no image to save."
        )
    return commit_container(connect(), request.name, request.tag or None)


def sync(request: DebugLoopRequest) -> tuple[Project, SyncResult]:
    """The container's app root compared with the project; `apply` brings container edits in."""
    from amldebug.containers.sync import sync_container

    project = project_for(request)
    result = sync_container(
        connect(), request.name, project, apply=request.apply, force=request.force
    )
    return project, result


def pull(
    request: DebugLoopRequest,
    *,
    reporter: ProgressReporter | None = None,
    cancel: CancelToken | None = None,
) -> str:
    """Log in when asked, pull the image and tag it locally; the local tag."""
    from amldebug.containers.defaults import DEFAULT_TAG
    from amldebug.containers.run import pull_image

    if not request.image:
        raise AmlDebugError(
            f"Which image? Pass {request.said('image')} (e.g. myacr.azurecr.io/azureml/img:1)."
        )
    if request.username and not request.password:
        raise AmlDebugError(f"{request.said('username')} needs a password.")
    return pull_image(
        connect(),
        request.image,
        tag=request.tag or DEFAULT_TAG,
        username=request.username or None,
        password=request.password or None,
        reporter=reporter or NullReporter(),
        cancel=cancel or CancelToken(),
    )


@dataclass(frozen=True)
class InvokeOutcome:
    response: ScoreResponse
    source: str  # where the body came from: the data option, or a file's path
    sample_written: Path | None = None  # sample-request.json written from /swagger.json


def invoke(request: DebugLoopRequest) -> InvokeOutcome:
    """POST a request to the server's scoring path: the data given, the file given, or the
    project's sample-request.json (written first from the server's /swagger.json sample when the
    request asks and there is none)."""
    from amldebug.containers.scoring_client import score, server_url

    port = request.port or 8000
    body, source, written = _request_body(request, port)
    response = score(
        server_url(request.host, port, request.path), body, timeout=request.timeout or 300.0
    )
    return InvokeOutcome(response, source, written)


def _request_body(request: DebugLoopRequest, port: int) -> tuple[bytes, str, Path | None]:
    if request.data is not None and request.file:
        raise UsageError(f"Pass {request.said('data')} or {request.said('file')}, not both.")
    if request.data is not None:
        return request.data.encode("utf-8"), request.said("data"), None
    folder = Path(request.folder) if request.folder else None
    written = None
    if request.file:
        path = Path(request.file)
        if not path.is_absolute() and folder is not None and request.origin == "editor":
            path = folder / path
    else:
        path = (folder or Path(".")) / SAMPLE_REQUEST_NAME
        if not path.exists() and request.sample_from_swagger:
            written = _sample_from_swagger(path.parent, request.host, port)
        if not path.exists():
            raise UsageError(
                f"No request body: pass {request.said('data')} (JSON text) or "
                f"{request.said('file')}, or put {SAMPLE_REQUEST_NAME} in "
                f"{(folder or Path('.')).absolute()}."
            )
    # A regular file, bounded, opened non-blocking; from the editor only inside the project
    # folder (a file named on the command line may be anywhere).
    read = read_project_bytes(
        path,
        root=folder,
        max_bytes=MAX_REQUEST_BYTES,
        allow_outside=request.origin != "editor" or folder is None,
    )
    if read.data is None:
        raise UsageError(f"Cannot send {path}: {read.problem}")
    return read.data, str(path), written


def _sample_from_swagger(folder: Path, host: str, port: int) -> Path | None:
    """sample-request.json written from the server's /swagger.json input sample, if it has one."""
    from amldebug.containers.swagger_sample import fetch_sample, write_sample_request

    sample = fetch_sample(port, host)
    if sample is None:
        return None
    try:
        return write_sample_request(folder, sample)
    except OSError:
        return None
