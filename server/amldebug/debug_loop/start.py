"""The use cases that make a debug server: build, run, up (build + run + launch.json) and update
(up again, the way the running container was started). Each takes a `DebugLoopRequest` and
returns a typed outcome; progress goes to the reporter, state changes to `on_state`.

Everything that can fail in seconds is checked before anything slow (preflight.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from amldebug.debug_loop import preflight
from amldebug.debug_loop.docker_runtime import DockerRuntime
from amldebug.debug_loop.local_runtime import ProcessRuntime
from amldebug.debug_loop.options import DebugLoopRequest
from amldebug.debug_loop.recorded import recorded_values, request_label, with_recorded
from amldebug.debug_loop.runtime import (
    RuntimeChoice,
    ServerState,
    choose_runtime,
    settings_for,
)
from amldebug.debug_loop.target import project_for, target_of
from amldebug.progress import CancelToken, NullReporter, ProgressReporter
from amldebug.project import Project
from amldebug.project_target import ProjectTarget

if TYPE_CHECKING:
    from amldebug.containers.build import BuildResult
    from amldebug.containers.docker_engine import DockerEngine

# The unsaved text of a file open in the editor (None: read the file), so a build uses what the
# user sees.
UnsavedText = Callable[[Path | None], str | None]
StateListener = Callable[[ServerState], None]


@dataclass(frozen=True)
class BuildOutcome:
    project: Project
    build: BuildResult


@dataclass(frozen=True)
class StartOutcome:
    project: Project
    choice: RuntimeChoice
    server: ServerState
    build: BuildResult | None = None
    launch_config: Path | None = None  # the launch.json written (None: not written)
    launch_config_changed: bool = False
    notes: tuple[str, ...] = ()  # sentences for the user (e.g. "no container ran yet")


def _no_text(path: Path | None) -> str | None:
    return None


def _ignore(state: ServerState) -> None:
    return None


def build(
    request: DebugLoopRequest,
    *,
    reporter: ProgressReporter | None = None,
    cancel: CancelToken | None = None,
    unsaved: UnsavedText = _no_text,
) -> BuildOutcome:
    """Build the debug image, then probe its imports (AML120 for the editor)."""
    from amldebug.containers.docker_engine import connect

    reporter = reporter or NullReporter()
    project = project_for(request)
    engine = connect()
    preflight.check_environment_resolves(request, project, reporter)
    result = _build_image(request, project, engine, reporter, cancel or CancelToken(), unsaved)
    return BuildOutcome(project, result)


def _build_image(
    request: DebugLoopRequest,
    project: Project,
    engine: DockerEngine,
    reporter: ProgressReporter,
    cancel: CancelToken,
    unsaved: UnsavedText,
) -> BuildResult:
    from amldebug.containers.build import build_debug_image, build_options_from_environment
    from amldebug.containers.defaults import DEFAULT_BASE_IMAGE, DEFAULT_TAG
    from amldebug.containers.image_imports import check_after_build

    options = build_options_from_environment(
        base_image=request.base_image or project.base_image or DEFAULT_BASE_IMAGE,
        tag=request.tag or DEFAULT_TAG,
        ca_bundle=request.ca_bundle,
    )
    result = build_debug_image(
        project,
        options,
        engine,
        reporter=reporter,
        cancel=cancel,
        conda_text=unsaved(project.conda_file),
        steps_text=unsaved(project.steps_file),
    )
    # Before any run: when an import is missing the server crashes, and this says which.
    check_after_build(engine, result.image, result.image_id, project, reporter)
    return result


def run(
    request: DebugLoopRequest,
    *,
    reporter: ProgressReporter | None = None,
    cancel: CancelToken | None = None,
    on_state: StateListener = _ignore,
) -> StartOutcome:
    """Start a server from an existing image (Docker) or the project (local process)."""
    reporter = reporter or NullReporter()
    project = project_for(request)
    choice = choose_runtime(request.runtime)
    reporter.step(f"Runtime: {choice.name} ({choice.reason()})", 0)
    preflight.check_before_start(request, choice, reporter)
    notes = preflight.ignored_by_the_runtime(request, choice)
    image = request.image or ""
    on_state(ServerState(request.name, choice.name, "starting", image=image or None))
    server = choice.runtime.start(
        project,
        settings_for(request, image=image, labels=request_label(request, project)),
        reporter=reporter,
        cancel=cancel or CancelToken(),
    )
    on_state(server)
    return StartOutcome(project, choice, server, notes=notes)


def up(
    request: DebugLoopRequest,
    *,
    reporter: ProgressReporter | None = None,
    cancel: CancelToken | None = None,
    unsaved: UnsavedText = _no_text,
    on_state: StateListener = _ignore,
    project: Project | None = None,
    notes: tuple[str, ...] = (),
) -> StartOutcome:
    """Build, run, wait until ready and write the attach entry; says which runtime and why.
    The engine, the ports, the name and (with `resolve`) the environment are checked first.
    `project`: the request's, when the caller has found it already."""
    reporter = reporter or NullReporter()
    cancel = cancel or CancelToken()
    project = project or project_for(request)
    choice = choose_runtime(request.runtime)
    reporter.step(f"Runtime: {choice.name} ({choice.reason()})", 0)
    preflight.check_before_start(request, choice, reporter)
    notes = (*notes, *preflight.ignored_by_the_runtime(request, choice))
    built = None
    image = ""
    if isinstance(choice.runtime, DockerRuntime):
        preflight.check_environment_resolves(request, project, reporter)
        on_state(ServerState(request.name, "docker", "building"))
        built = _build_image(request, project, choice.runtime.engine, reporter, cancel, unsaved)
        image = built.image
    on_state(ServerState(request.name, choice.name, "starting", image=image or None))
    server = choice.runtime.start(
        project,
        settings_for(request, image=image, labels=request_label(request, project)),
        reporter=reporter,
        cancel=cancel,
    )
    on_state(server)
    path, changed = None, False
    if request.write_launch_config:
        path, changed = write_attach_configuration(
            project, choice.name, server.debug_port or request.debugger_port, target_of(request)
        )
    return StartOutcome(project, choice, server, built, path, changed, notes)


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


def update(
    request: DebugLoopRequest,
    *,
    reporter: ProgressReporter | None = None,
    cancel: CancelToken | None = None,
    unsaved: UnsavedText = _no_text,
    on_state: StateListener = _ignore,
    project: Project | None = None,
) -> StartOutcome:
    """`up` again for a changed model or environment, keeping how the server of that name was
    started (ports, mount, environment, tag, GPUs...) unless the request sets them anew."""
    project = project or project_for(request)
    process = ProcessRuntime().recorded(request.name)
    if process is not None:
        # A local server: the same ports, bind and debugger wait, in the same runtime.
        kept = {
            "port": process.port,
            "debug_port": process.debug_port,
            "bind": process.bind,
            "wait_for_debugger": process.wait_for_debugger,
        }
        request = request.with_values(
            runtime="process", **{k: v for k, v in kept.items() if k not in request.given}
        )
        return up(
            request,
            reporter=reporter,
            cancel=cancel,
            unsaved=unsaved,
            on_state=on_state,
            project=project,
        )
    request = request.with_values(runtime="docker")
    docker = choose_runtime("docker").runtime
    assert isinstance(docker, DockerRuntime)
    notes: tuple[str, ...] = ()
    if docker.engine.find_container(request.name) is None:
        notes = (f"No container '{request.name}' runs yet; starting a new one.",)
    elif docker.is_ours(request.name):
        request = _as_started_before(request, docker, project)
        # A path recorded in the label may name other files than discovery found.
        project = project_for(request)
    return up(
        request,
        reporter=reporter,
        cancel=cancel,
        unsaved=unsaved,
        on_state=on_state,
        project=project,
        notes=notes,
    )


def _as_started_before(
    request: DebugLoopRequest, docker: DockerRuntime, project: Project
) -> DebugLoopRequest:
    from amldebug.containers.run import LABEL_DEBUG_PORT, LABEL_PORT

    labels = docker.labels(request.name)
    recorded = recorded_values(labels, docker.environment(request.name), project.root)
    # Containers started before the request was recorded still carry their ports.
    for name, label in (("port", LABEL_PORT), ("debug_port", LABEL_DEBUG_PORT)):
        if name not in recorded and labels.get(label, "").isdigit():
            recorded[name] = int(labels[label])
    return with_recorded(request, recorded)
