"""The Docker implementation of the debug-loop `Runtime`: the debug container (containers/run.py
and its parts, through their public names)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from amldebug.containers.docker_engine import DockerEngine
from amldebug.debug_loop.runtime import ReloadOutcome, RunSettings, ServerState, StopOutcome
from amldebug.progress import CancelToken, ProgressReporter
from amldebug.project import Project

if TYPE_CHECKING:
    from amldebug.containers.run import ContainerCrashed, ModelPath
    from amldebug.debug_loop.options import DebugLoopRequest


def docker_run_arguments(request: DebugLoopRequest) -> dict[str, Any]:
    """`docker run` arguments (Docker SDK names) of request options the container runtime has
    no field for."""
    arguments: dict[str, Any] = {}
    if request.memory:
        # Swap as large as the limit means none: the container is killed when it outgrows the
        # memory, as an Azure ML deployment is on its instance type.
        arguments.update(mem_limit=request.memory, memswap_limit=request.memory)
    return arguments


class DockerRuntime:
    name = "docker"

    def __init__(self, engine: DockerEngine) -> None:
        self.engine = engine

    def find(self, server: str) -> ServerState | None:
        from amldebug.containers.run import container_status

        status = container_status(self.engine, server)
        return None if status.state == "none" else _from_container_status(status)

    def servers(self) -> list[ServerState]:
        from amldebug.containers.run import list_debug_containers

        return [_from_container_status(s) for s in list_debug_containers(self.engine)]

    def is_ours(self, server: str) -> bool:
        from amldebug.containers.run import LABEL_RUNTIME

        container = self.engine.find_container(server)
        return container is not None and LABEL_RUNTIME in (container.labels or {})

    def labels(self, server: str) -> dict[str, str]:
        container = self.engine.find_container(server)
        return dict(container.labels or {}) if container is not None else {}

    def environment(self, server: str) -> dict[str, str]:
        """The environment the container was started with (its config, not a shell's)."""
        container = self.engine.find_container(server)
        if container is None:
            return {}
        pairs = container.attrs.get("Config", {}).get("Env") or []
        return dict(str(pair).partition("=")[::2] for pair in pairs)

    def start(
        self,
        project: Project,
        settings: RunSettings,
        *,
        reporter: ProgressReporter,
        cancel: CancelToken,
    ) -> ServerState:
        from amldebug.containers.run import RunOptions, run_debug_container

        options = RunOptions(
            image=settings.image,
            name=settings.name,
            port=settings.port,
            debug_port=settings.debug_port,
            bind=settings.bind,
            mount=settings.mount,
            wait_for_debugger=settings.wait_for_debugger,
            env=dict(settings.env),
            timeout=settings.timeout,
            gpus=settings.gpus,
            labels=dict(settings.labels),
            engine_options=dict(settings.engine_options),
        )
        result = run_debug_container(
            project, options, self.engine, reporter=reporter, cancel=cancel
        )
        return ServerState(
            name=result.name,
            runtime="docker",
            state="ready" if result.ready else "waiting-for-debugger",
            url=result.url,
            scoring_port=result.port,
            debug_port=result.debug_port,
            image=result.image,
            project=str(project.root),
            seconds=result.seconds,
            replaced=result.replaced,
            injected=result.injected,
        )

    def reload(
        self,
        server: str,
        project: Project | None,
        *,
        timeout: float,
        wait_for_requests: float,
        reporter: ProgressReporter,
        cancel: CancelToken,
    ) -> ReloadOutcome:
        from amldebug.containers.request_gate import wait_for_requests as wait_for
        from amldebug.containers.run import reload_container

        waited = None
        if wait_for_requests > 0:
            reporter.step("Waiting for the requests in flight to answer", 5)
            waited = wait_for(self.engine, server, timeout=wait_for_requests)
        result = reload_container(
            self.engine, server, project=project, timeout=timeout, cancel=cancel
        )
        return ReloadOutcome(
            name=server,
            runtime="docker",
            seconds=result.seconds,
            requests_answered=waited.in_flight - waited.still_open if waited else 0,
            requests_interrupted=waited.still_open if waited else 0,
            waited_seconds=waited.seconds if waited else 0.0,
        )

    def stop(self, server: str, *, remove_image: bool, force: bool) -> StopOutcome:
        from amldebug.containers.stop import stop_container

        result = stop_container(self.engine, server, remove_image=remove_image, force=force)
        return StopOutcome(
            server, "docker", result.stopped, result.removed_image, result.kept_image
        )

    def logs(self, server: str, tail: int | None) -> str:
        from amldebug.containers.run import container_logs

        return container_logs(self.engine, server, tail=tail)

    def follow_logs(
        self, server: str, tail: int | None, cancel: CancelToken, on_line: Callable[[str], None]
    ) -> None:
        from amldebug.containers.run import follow_logs

        class _Lines:
            def step(self, message: str, percentage: int | None = None) -> None:
                pass

            def log(self, line: str) -> None:
                on_line(line)

        follow_logs(self.engine, server, _Lines(), cancel, tail=tail)

    def model_path(self, server: str) -> ModelPath:
        from amldebug.containers.run import model_path

        return model_path(self.engine, server)

    def crash(self, server: str, project: Project | None) -> ContainerCrashed | None:
        from amldebug.containers.run import container_status, crashed_error

        if container_status(self.engine, server).state != "crashed":
            return None
        return crashed_error(self.engine, server, project)


def _from_container_status(status: Any) -> ServerState:
    return ServerState(
        name=status.name,
        runtime="docker",
        state=status.state,
        url=f"http://127.0.0.1:{status.port}" if status.port else None,
        scoring_port=status.port,
        debug_port=status.debug_port,
        image=status.image,
        project=status.project,
        exit_code=status.exit_code,
    )
