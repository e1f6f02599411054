"""What the executeCommand handlers share: the project folder, the debug-loop request, and a
session for progress, logs and container-state notifications. Used by debug_loop_commands,
container_commands and launch_config_commands (none imports another's private helpers).
Trust and the options object are the contract dispatch's (lsp/contract/dispatch.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from amldebug.debug_loop.options import DebugLoopRequest, request_from_lsp
from amldebug.debug_loop.runtime import ServerState
from amldebug.errors import AmlDebugError
from amldebug.progress import CancelToken, NullReporter

if TYPE_CHECKING:
    from amldebug.containers.run import ContainerCrashed
    from amldebug.lsp.contract.debug_loop import StartFailure


def number_option(
    options: dict[str, Any], key: str, default: int, kind: type[int] | type[float]
) -> Any:
    """An option that must be a number (a string of digits is accepted); AmlDebugError when not,
    so the client gets {"ok": false, "error"} instead of an internal error with a traceback."""
    value = options.get(key)
    if value is None or value == "":
        return kind(default)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise AmlDebugError(f"`{key}` must be a number, not {type(value).__name__}.")
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise AmlDebugError(f"`{key}` must be a number, not {value!r}.") from None
    return number or kind(default)


def command_folder(ls: Any, options: dict[str, Any], *, required: bool = True) -> Path | None:
    """The `folder` option, else the first workspace folder."""
    folder = options.get("folder")
    if isinstance(folder, str) and folder:
        path = Path(folder)
        if not path.exists():
            raise AmlDebugError(f"The folder {folder} does not exist.")
        return path
    roots = ls.workspace_roots() if ls is not None and hasattr(ls, "workspace_roots") else []
    if roots:
        return Path(roots[0])
    if required:
        raise AmlDebugError("No project folder: pass `folder` or open a workspace folder.")
    return None


def project_target(ls: Any, options: dict[str, Any], *, required: bool = True) -> Any:
    """The command's ProjectTarget (amldebug.project_target), computed once with the settings of
    its workspace folder, or None when there is no folder and none is required."""
    from amldebug.lsp.settings import command_target

    folder = command_folder(ls, options, required=required)
    return command_target(ls, folder, options) if folder is not None else None


def loop_request(
    ls: Any, verb: str, options: dict[str, Any], *, folder_required: bool = True
) -> DebugLoopRequest:
    """The debug-loop request of an executeCommand options object, with its project target
    (the folder from the workspace when the editor sent none)."""
    request = request_from_lsp(verb, options)
    target = project_target(ls, options, required=folder_required)
    if target is None:
        return request
    return request.with_values(
        folder=str(target.project_folder),
        workspace_folder=str(target.workspace_folder),
        target=target,
    )


# The state names of `amldebug/containerState` (the editor's status bar knows these).
_NOTIFIED_STATE = {"waiting-for-debugger": "starting", "none": "stopped", "exited": "stopped"}


class CommandSession:
    """Progress, logs and container-state notifications for one command; without a server
    (tests) it reports nothing."""

    def __init__(self, ls: Any, title: str, channel: str | None) -> None:
        self.ls = ls
        self.reporter: Any = NullReporter()
        self.cancel = CancelToken()
        self._context: Any = None
        if ls is not None and hasattr(ls, "work_done_progress"):
            try:
                from amldebug.lsp.progress import LspProgressReporter

                self._context = LspProgressReporter(ls, title, log_channel=channel)
                self.reporter = self._context
                self.cancel = self._context.cancel_token
            except Exception:  # a server without the helpers still answers, without progress
                self._context = None

    def __enter__(self) -> CommandSession:
        if self._context is not None:
            self._context.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._context is not None:
            self._context.__exit__(*exc)

    def state(self, name: str, state: str, **fields: Any) -> None:
        if self.ls is None or not hasattr(self.ls, "protocol"):
            return
        try:
            from amldebug.lsp.notifications import send_container_state

            send_container_state(self.ls, name=name, state=state, **fields)
        except Exception:
            return

    def server_state(self, server: ServerState, message: str = "") -> None:
        """A server state from the application layer, as the notification says it."""
        if not message and server.ready and server.url:
            message = f"Ready on {server.url}"
        self.state(
            server.name,
            _NOTIFIED_STATE.get(server.state, server.state),
            port=server.scoring_port,
            debug_port=server.debug_port,
            runtime=server.runtime,
            message=message,
        )


def crash_result(error: ContainerCrashed, name: str) -> StartFailure:
    """What a server that died while starting answers (the traceback mapped to local lines)."""
    from amldebug.lsp.contract.debug_loop import StartFailure

    return StartFailure(
        error=error.message,
        hint=error.hint,
        name=name,
        traceback=error.traceback,
        file=str(error.file) if error.file else None,
        line=error.line,
    )
