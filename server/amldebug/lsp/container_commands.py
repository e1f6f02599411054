"""`workspace/executeCommand` handlers for a running debug server: reload, logs, stop, status, pull
and modelPath (docs/lsp-protocol.md). The application layer (debug_loop/server_verbs.py) finds
the server of the name in whichever runtime has it; these only read options and shape answers.
The contract registry (lsp/contract/) runs them.
"""

from __future__ import annotations

from typing import Any

from amldebug.lsp.command_helpers import (
    CommandSession,
    crash_result,
    loop_request,
)
from amldebug.lsp.contract.debug_loop import StartFailure
from amldebug.lsp.contract.loop_params import wire_options
from amldebug.lsp.contract.server_commands import (
    LogsResult,
    ModelPathResult,
    PullResult,
    ReloadResult,
    StatusResult,
    StopResult,
)


def reload_command(ls: Any, params: Any) -> ReloadResult | StartFailure:
    from amldebug.containers.run import ContainerCrashed
    from amldebug.debug_loop.server_verbs import reload

    request = loop_request(ls, "reload", wire_options(params), folder_required=False)
    name = request.name
    with CommandSession(ls, f"Reloading {name}", "container") as session:
        session.state(name, "starting", message="Reloading the entry script")
        try:
            outcome = reload(request, reporter=session.reporter, cancel=session.cancel)
        except ContainerCrashed as error:
            session.state(name, "crashed", message=error.message)
            return crash_result(error, name)
        session.state(
            name, "ready", runtime=outcome.runtime, message=f"Reloaded in {outcome.seconds:.2f} s"
        )
    runtime: Any = outcome.runtime
    return ReloadResult(
        seconds=round(outcome.seconds, 2),
        runtime=runtime,
        requests_answered=outcome.requests_answered,
        requests_interrupted=outcome.requests_interrupted,
        waited_seconds=round(outcome.waited_seconds, 2),
    )


def logs_command(ls: Any, params: Any) -> LogsResult:
    from amldebug.debug_loop.server_verbs import logs

    return LogsResult(
        text=logs(loop_request(ls, "logs", wire_options(params), folder_required=False))
    )


def stop_command(ls: Any, params: Any) -> StopResult:
    from amldebug.debug_loop.server_verbs import stop

    request = loop_request(ls, "stop", wire_options(params), folder_required=False)
    outcomes = stop(request)
    last = outcomes[-1]
    CommandSession(ls, "Stopping", None).state(
        request.name, "stopped", runtime=last.runtime, message=f"Stopped {request.name}"
    )
    runtime: Any = last.runtime
    return StopResult(
        stopped=any(o.stopped for o in outcomes),
        removed_image=last.removed_image,
        kept_image=last.kept_image,
        runtime=runtime,
    )


def status_command(ls: Any, params: Any) -> StatusResult:
    from amldebug.debug_loop.server_verbs import status

    outcome = status(loop_request(ls, "status", wire_options(params), folder_required=False))
    server = outcome.server
    # The editor knows none/starting/ready/crashed/exited.
    state: Any = "starting" if server.state == "waiting-for-debugger" else server.state
    runtime: Any = server.runtime
    crash = outcome.crash  # why it stopped, mapped to the local file and line (F5 shows it)
    return StatusResult(
        state=state,
        port=server.scoring_port,
        debug_port=server.debug_port,
        image=server.image,
        runtime=runtime,
        # No engine is not a failure the user must act on: there is nothing running.
        message=crash.message if crash is not None else outcome.message,
        traceback=crash.traceback if crash is not None else None,
        file=str(crash.file) if crash is not None and crash.file else None,
        line=crash.line if crash is not None else None,
    )


def pull_command(ls: Any, params: Any) -> PullResult:
    from amldebug.debug_loop.server_verbs import pull

    request = loop_request(ls, "pull", wire_options(params), folder_required=False)
    with CommandSession(ls, f"Pulling {request.image}", "build") as session:
        local = pull(request, reporter=session.reporter, cancel=session.cancel)
    return PullResult(image=local)


def model_path_command(ls: Any, params: Any) -> ModelPathResult:
    from amldebug.debug_loop.server_verbs import model_path

    result = model_path(loop_request(ls, "model-path", wire_options(params), folder_required=False))
    return ModelPathResult(
        model_dir=result.model_dir,
        exists=result.exists,
        tree=[path for path, _ in result.tree],
    )
