"""Where the debug server runs: a Docker container (docker_runtime.py) or a local process
(local_runtime.py), behind one protocol.

Both runtimes answer with one `ServerState`, so no adapter probes a result for the fields it might
have. `choose_runtime` picks one for a new server (Docker when asked or when an engine answers);
`runtime_serving(name)` is the one place that answers "which runtime has the server of this name".
The container lifecycle itself stays in containers/ (run.py, process_runtime.py and their parts);
this module wraps their public names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from amldebug.containers.defaults import RUNTIMES
from amldebug.containers.docker_engine import DockerEngine, EngineUnavailable, connect
from amldebug.errors import UsageError
from amldebug.progress import CancelToken, ProgressReporter
from amldebug.project import Project

if TYPE_CHECKING:
    from amldebug.containers.run import ContainerCrashed, ModelPath
    from amldebug.debug_loop.options import DebugLoopRequest

# The states a server can be in, whichever runtime runs it.
STATES = ("none", "building", "starting", "waiting-for-debugger", "ready", "crashed", "exited")


@dataclass(frozen=True)
class ServerState:
    """A debug server as it is now (or as it just started), whichever runtime runs it."""

    name: str
    runtime: str  # "docker" or "process"
    state: str  # one of STATES
    url: str | None = None  # http://127.0.0.1:8000 (no trailing slash)
    scoring_port: int | None = None  # the host port of the scoring server
    debug_port: int | None = None  # the host port debugpy listens on
    image: str | None = None  # the container's image (None for a local process)
    project: str | None = None  # the project folder it serves, when known
    exit_code: int | None = None
    seconds: float | None = None  # how long the start took (only right after a start)
    replaced: bool = False  # an earlier server of the same name was replaced by this start
    injected: bool = False  # the debugger was brought into an image amldebug did not build

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    @property
    def running(self) -> bool:
        return self.state in ("starting", "waiting-for-debugger", "ready")


@dataclass(frozen=True)
class ReloadOutcome:
    name: str
    runtime: str
    seconds: float
    requests_answered: int = 0
    requests_interrupted: int = 0
    waited_seconds: float = 0.0


@dataclass(frozen=True)
class StopOutcome:
    name: str
    runtime: str
    stopped: bool
    removed_image: str | None = None
    kept_image: str | None = None  # why the image was kept, as a sentence


@dataclass(frozen=True)
class RunSettings:
    """How to start a server: the request's run options with their defaults applied, plus what
    the layer records on it (labels) and any further `docker run` arguments."""

    image: str
    name: str
    port: int
    debug_port: int
    bind: str
    mount: bool
    wait_for_debugger: bool
    env: Mapping[str, str]
    timeout: float
    gpus: bool
    python: str | None = None  # the local-process runtime's interpreter (None: found)
    labels: Mapping[str, str] = field(default_factory=dict)
    engine_options: Mapping[str, Any] = field(default_factory=dict)


def settings_for(
    request: DebugLoopRequest, *, image: str, labels: Mapping[str, str] | None = None
) -> RunSettings:
    """The request's run options with their defaults, for either runtime."""
    from amldebug.debug_loop.docker_runtime import docker_run_arguments

    return RunSettings(
        image=image,
        name=request.name,
        port=request.server_port,
        debug_port=request.debugger_port,
        bind=request.bind,
        mount=request.mount,
        wait_for_debugger=request.wait_for_debugger,
        env=dict(request.env),
        timeout=request.timeout or 120.0,
        gpus=request.gpus,
        python=request.python,
        labels=dict(labels or {}),
        engine_options=docker_run_arguments(request),
    )


class Runtime(Protocol):
    """One place a debug server runs."""

    name: str  # "docker" or "process"

    def find(self, server: str) -> ServerState | None:
        """The server of that name as it is now; None when this runtime has none."""
        ...

    def servers(self) -> list[ServerState]: ...

    def start(
        self,
        project: Project,
        settings: RunSettings,
        *,
        reporter: ProgressReporter,
        cancel: CancelToken,
    ) -> ServerState:
        """Start (replacing our own earlier server of the name) and wait until it answers.
        ContainerCrashed when the server dies while starting."""
        ...

    def reload(
        self,
        server: str,
        project: Project | None,
        *,
        timeout: float,
        wait_for_requests: float,
        reporter: ProgressReporter,
        cancel: CancelToken,
    ) -> ReloadOutcome: ...

    def stop(self, server: str, *, remove_image: bool, force: bool) -> StopOutcome: ...

    def logs(self, server: str, tail: int | None) -> str: ...

    def follow_logs(
        self, server: str, tail: int | None, cancel: CancelToken, on_line: Callable[[str], None]
    ) -> None:
        """Each new line of the log to `on_line` until the server stops or `cancel`."""
        ...

    def model_path(self, server: str) -> ModelPath: ...

    def crash(self, server: str, project: Project | None) -> ContainerCrashed | None:
        """Why a crashed server stopped (the traceback mapped to local files), when it did."""
        ...


# Which runtime ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuntimeChoice:
    """The runtime for a new server and why: `asked` (the request named it), `engine-answers`
    (auto, and Docker answered) or `no-engine` (auto, and it did not: `detail` says why)."""

    runtime: Runtime
    why: str
    detail: str | None = None

    @property
    def name(self) -> str:
        return self.runtime.name

    @property
    def engine(self) -> DockerEngine | None:
        from amldebug.debug_loop.docker_runtime import DockerRuntime

        return self.runtime.engine if isinstance(self.runtime, DockerRuntime) else None

    def reason(self) -> str:
        """Why, in neutral words; adapters may say `asked` in their own vocabulary."""
        if self.why == "asked":
            return f"the {self.name} runtime was asked for"
        if self.why == "no-engine":
            return f"no Docker engine answers ({self.detail}); running a local process"
        return "a Docker engine answers"


def choose_runtime(requested: str) -> RuntimeChoice:
    """Docker when asked or when an engine answers (auto); the local process otherwise. Asking
    for Docker when no engine answers is EngineUnavailable, at once."""
    from amldebug.debug_loop.docker_runtime import DockerRuntime
    from amldebug.debug_loop.local_runtime import ProcessRuntime

    if requested not in RUNTIMES:
        raise UsageError(f"The runtime must be one of {', '.join(RUNTIMES)}, not {requested!r}.")
    if requested == "process":
        return RuntimeChoice(ProcessRuntime(), "asked")
    if requested == "docker":
        return RuntimeChoice(DockerRuntime(connect()), "asked")
    try:
        engine = connect(timeout=5)
    except EngineUnavailable as error:
        return RuntimeChoice(ProcessRuntime(), "no-engine", error.message)
    return RuntimeChoice(DockerRuntime(engine), "engine-answers")


def runtime_serving(name: str) -> Runtime:
    """The runtime that has the server of this name: the local process when one is recorded
    under the name, else Docker (connecting says when no engine answers; its verbs say when there
    is no container of that name)."""
    from amldebug.debug_loop.docker_runtime import DockerRuntime
    from amldebug.debug_loop.local_runtime import ProcessRuntime

    process = ProcessRuntime()
    if process.recorded(name) is not None:
        return process
    return DockerRuntime(connect())


def all_servers() -> tuple[list[ServerState], EngineUnavailable | None]:
    """Every server amldebug started, local processes first; and why Docker's are missing, when
    no engine answers."""
    from amldebug.debug_loop.docker_runtime import DockerRuntime
    from amldebug.debug_loop.local_runtime import ProcessRuntime

    servers = ProcessRuntime().servers()
    try:
        servers += DockerRuntime(connect()).servers()
    except EngineUnavailable as error:
        return servers, error
    return servers, None
