"""The one-command path (`up`) and the choice of runtime, shared by the CLI and the language server.

`up` = build the debug image, run it, wait until ready, write the launch.json attach entry. Without
a Docker engine (`--runtime auto`) or when asked (`--runtime process`), the real inference server
runs as a local process under debugpy instead (containers/process_runtime.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amldebug.containers.build import BuildResult, build_debug_image
from amldebug.containers.container_failure import crashed_from_log
from amldebug.containers.defaults import RUNTIMES
from amldebug.containers.docker_engine import DockerEngine, EngineUnavailable, connect
from amldebug.containers.dockerfile import BuildOptions
from amldebug.containers.image_imports import check_after_build
from amldebug.containers.run import RunOptions, RunResult, run_debug_container
from amldebug.errors import UsageError
from amldebug.progress import CancelToken, NullReporter, ProgressReporter
from amldebug.project import Project
from amldebug.project_target import ProjectTarget


@dataclass(frozen=True)
class RuntimeChoice:
    runtime: str  # "docker" or "process"
    reason: str
    engine: DockerEngine | None


def choose_runtime(requested: str) -> RuntimeChoice:
    """Docker when asked or when an engine answers (auto); the local process otherwise."""
    if requested not in RUNTIMES:
        raise UsageError(f"--runtime must be one of {', '.join(RUNTIMES)}, not {requested!r}.")
    if requested == "process":
        return RuntimeChoice("process", "--runtime process was asked for", None)
    if requested == "docker":
        return RuntimeChoice("docker", "--runtime docker was asked for", connect())
    try:
        engine = connect(timeout=5)
    except EngineUnavailable as error:
        return RuntimeChoice(
            "process", f"no Docker engine answers ({error.message}); running a local process", None
        )
    return RuntimeChoice("docker", "a Docker engine answers", engine)


@dataclass(frozen=True)
class UpResult:
    runtime: str
    reason: str
    build: BuildResult | None
    run: RunResult | None
    process: Any | None  # the process runtime's result
    launch_config: Path | None
    launch_config_changed: bool

    @property
    def url(self) -> str:
        if self.run is not None:
            return self.run.url
        return str(getattr(self.process, "url", ""))

    @property
    def debug_port(self) -> int | None:
        if self.run is not None:
            return self.run.debug_port
        return getattr(self.process, "debug_port", None)


def write_attach_configuration(
    project: Project, runtime: str, debug_port: int, target: ProjectTarget | None = None
) -> tuple[Path, bool]:
    """Merge the attach entry into the launch.json VS Code reads (comments and entries kept):
    the workspace folder's, mapping the project's sub-folder, when `target` says which."""
    from amldebug.containers.launch_config import debug_configuration
    from amldebug.containers.launch_json_file import write_launch_config

    folder = target.launch_json_folder if target is not None else project.root
    subfolder = target.subfolder if target is not None else ""
    configuration = debug_configuration(runtime, debug_port, project_subfolder=subfolder)
    result = write_launch_config(folder, configuration)
    return result.path, result.changed


def run_in_process(
    project: Project,
    options: RunOptions,
    *,
    reporter: ProgressReporter,
    cancel: CancelToken,
) -> Any:
    """Start the inference server as a local process under debugpy (process_runtime.py).

    A server that dies while starting becomes ContainerCrashed, as in the container runtime, with
    the traceback and the entry script's line.
    """
    from amldebug.containers.process_runtime import ServerBootError, start_process_server

    try:
        return start_process_server(
            project,
            name=options.name,
            port=options.port,
            debug_port=options.debug_port,
            bind=options.bind,
            wait_for_debugger=options.wait_for_debugger,
            env=options.env,
            timeout=options.timeout,
            reporter=reporter,
            cancel=cancel,
            replace=True,
        )
    except ServerBootError as error:
        raise crashed_from_log(error.message, error.hint, error.log_text, project) from None


def up(
    project: Project,
    build_options: BuildOptions,
    run_options: RunOptions,
    *,
    runtime: str = "auto",
    write_launch_json: bool = True,
    launch_target: ProjectTarget | None = None,
    reporter: ProgressReporter | None = None,
    cancel: CancelToken | None = None,
    conda_text: str | None = None,
    steps_text: str | None = None,
) -> UpResult:
    """Build, run, wait until ready and write the attach entry; says which runtime and why."""
    reporter = reporter or NullReporter()
    cancel = cancel or CancelToken()
    choice = choose_runtime(runtime)
    reporter.step(f"Runtime: {choice.runtime} ({choice.reason})", 0)
    built = None
    ran = None
    process = None
    if choice.runtime == "docker":
        assert choice.engine is not None
        built = build_debug_image(
            project,
            build_options,
            choice.engine,
            reporter=reporter,
            cancel=cancel,
            conda_text=conda_text,
            steps_text=steps_text,
        )
        # Before the run: when an import is missing the server crashes, and this says which.
        check_after_build(choice.engine, built.image, built.image_id, project, reporter)
        options = RunOptions(**{**run_options.__dict__, "image": built.image})
        ran = run_debug_container(project, options, choice.engine, reporter=reporter, cancel=cancel)
        debug_port = ran.debug_port
    else:
        process = run_in_process(project, run_options, reporter=reporter, cancel=cancel)
        debug_port = getattr(process, "debug_port", run_options.debug_port)
    path = None
    changed = False
    if write_launch_json:
        path, changed = write_attach_configuration(
            project, choice.runtime, debug_port, launch_target
        )
    return UpResult(choice.runtime, choice.reason, built, ran, process, path, changed)


def find_process_server(name: str) -> Any:
    """The local-process server of that name (the no-Docker runtime), or None."""
    from amldebug.containers.process_runtime import list_process_servers

    return next((server for server in list_process_servers() if server.name == name), None)


def reload_process_server(
    name: str, *, reporter: ProgressReporter | None = None, cancel: CancelToken | None = None
) -> float:
    """`reload` for the local-process runtime: restart the server with the same settings (a new
    process imports the edited entry script; process_runtime.restart_process_server). Returns the
    seconds it took."""
    import time

    from amldebug.containers.process_runtime import ServerBootError, restart_process_server
    from amldebug.project import discover_project

    server = find_process_server(name)
    if server is None:
        raise UsageError(f"There is no local inference server named '{name}'.")
    started = time.monotonic()
    try:
        restart_process_server(
            name, reporter=reporter or NullReporter(), cancel=cancel or CancelToken()
        )
    except ServerBootError as error:
        project = discover_project(server.project_root)
        raise crashed_from_log(error.message, error.hint, error.log_text, project) from None
    return time.monotonic() - started
