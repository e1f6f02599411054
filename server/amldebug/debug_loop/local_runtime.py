"""The local-process implementation of the debug-loop `Runtime`: the real inference server under
debugpy, no Docker (containers/process_runtime.py, through its public names)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from amldebug.debug_loop.runtime import ReloadOutcome, RunSettings, ServerState, StopOutcome
from amldebug.errors import AmlDebugError
from amldebug.progress import CancelToken, ProgressReporter
from amldebug.project import Project

if TYPE_CHECKING:
    from amldebug.containers.process_runtime import ProcessServer
    from amldebug.containers.run import ContainerCrashed, ModelPath


class ProcessRuntime:
    """The real inference server as a local process under debugpy (no Docker)."""

    name = "process"

    def find(self, server: str) -> ServerState | None:
        from amldebug.containers.process_runtime import list_process_servers

        if not any(s.name == server for s in list_process_servers()):
            return None
        return self.state_of(server)

    def servers(self) -> list[ServerState]:
        from amldebug.containers.process_runtime import list_process_servers

        return [self.state_of(s.name) for s in list_process_servers()]

    def recorded(self, server: str) -> ProcessServer | None:
        from amldebug.containers.process_runtime import list_process_servers

        return next((s for s in list_process_servers() if s.name == server), None)

    def state_of(self, server: str) -> ServerState:
        from amldebug.containers.process_runtime import process_server_status

        status = process_server_status(server)
        return _from_process(status.server, status.state, server)

    def start(
        self,
        project: Project,
        settings: RunSettings,
        *,
        reporter: ProgressReporter,
        cancel: CancelToken,
    ) -> ServerState:
        """ContainerCrashed (as in the container runtime) when the server dies while starting,
        with the traceback and the entry script's line."""
        from amldebug.containers.container_failure import crashed_from_log
        from amldebug.containers.process_runtime import ServerBootError, start_process_server

        started = time.monotonic()
        try:
            server = start_process_server(
                project,
                name=settings.name,
                port=settings.port,
                debug_port=settings.debug_port,
                bind=settings.bind,
                wait_for_debugger=settings.wait_for_debugger,
                env=settings.env,
                python=settings.python,
                timeout=settings.timeout,
                reporter=reporter,
                cancel=cancel,
                replace=True,
            )
        except ServerBootError as error:
            raise crashed_from_log(error.message, error.hint, error.log_text, project) from None
        state = _from_process(server, server.state, server.name)
        return replace(state, seconds=time.monotonic() - started)

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
        """A new server process (which imports the edited entry script) started as the running
        one was: interpreter, entry script, ports, environment."""
        from amldebug.containers.container_failure import crashed_from_log
        from amldebug.containers.process_runtime import ServerBootError, restart_process_server
        from amldebug.project import discover_project

        recorded = self.recorded(server)
        if recorded is None:
            raise AmlDebugError(f"There is no local inference server named '{server}'.")
        started = time.monotonic()
        try:
            restart_process_server(server, timeout=timeout, reporter=reporter, cancel=cancel)
        except ServerBootError as error:
            where = project or discover_project(recorded.project_root)
            raise crashed_from_log(error.message, error.hint, error.log_text, where) from None
        return ReloadOutcome(server, "process", time.monotonic() - started)

    def stop(self, server: str, *, remove_image: bool, force: bool) -> StopOutcome:
        from amldebug.containers.process_runtime import stop_process_server

        return StopOutcome(server, "process", stop_process_server(server))

    def logs(self, server: str, tail: int | None) -> str:
        from amldebug.containers.process_runtime import read_process_server_log

        return read_process_server_log(server, tail)

    def follow_logs(
        self, server: str, tail: int | None, cancel: CancelToken, on_line: Callable[[str], None]
    ) -> None:
        from amldebug.containers.process_runtime import follow_process_server_log

        for line in follow_process_server_log(server, cancel, tail=tail or 10):
            on_line(line)

    def model_path(self, server: str) -> ModelPath:
        """The AZUREML_MODEL_DIR the server was started with, listed."""
        from amldebug.containers.process_runtime import process_model_path

        return process_model_path(server)

    def crash(self, server: str, project: Project | None) -> ContainerCrashed | None:
        return None  # a local server that died is "exited"; its log says why


def _from_process(server: ProcessServer | None, state: str, name: str) -> ServerState:
    if server is None:
        return ServerState(name, "process", "none")
    return ServerState(
        name=name,
        runtime="process",
        state=state,
        url=server.url.rstrip("/"),
        scoring_port=server.port,
        debug_port=server.debug_port,
        project=server.project_root,
    )
