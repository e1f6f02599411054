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
from amldebug.lsp.contract.loop_params import wire_options


def reload_command(ls: Any, params: Any) -> dict[str, Any]:
    options = wire_options(params)
    from amldebug.containers.run import ContainerCrashed
    from amldebug.debug_loop.server_verbs import reload

    request = loop_request(ls, "reload", options, folder_required=False)
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
    return {
        "ok": True,
        "seconds": round(outcome.seconds, 2),
        "runtime": outcome.runtime,
        "requestsAnswered": outcome.requests_answered,
        "requestsInterrupted": outcome.requests_interrupted,
        "waitedSeconds": round(outcome.waited_seconds, 2),
    }


def logs_command(ls: Any, params: Any) -> dict[str, Any]:
    options = wire_options(params)
    from amldebug.debug_loop.server_verbs import logs

    return {"ok": True, "text": logs(loop_request(ls, "logs", options, folder_required=False))}


def stop_command(ls: Any, params: Any) -> dict[str, Any]:
    options = wire_options(params)
    from amldebug.debug_loop.server_verbs import stop

    request = loop_request(ls, "stop", options, folder_required=False)
    outcomes = stop(request)
    last = outcomes[-1]
    CommandSession(ls, "Stopping", None).state(
        request.name, "stopped", runtime=last.runtime, message=f"Stopped {request.name}"
    )
    return {
        "ok": True,
        "stopped": any(o.stopped for o in outcomes),
        "removedImage": last.removed_image,
        "keptImage": last.kept_image,
        "runtime": last.runtime,
    }


def status_command(ls: Any, params: Any) -> dict[str, Any]:
    options = wire_options(params)
    from amldebug.debug_loop.server_verbs import status

    outcome = status(loop_request(ls, "status", options, folder_required=False))
    server = outcome.server
    data: dict[str, Any] = {
        "ok": True,
        # The editor knows none/starting/ready/crashed/exited.
        "state": "starting" if server.state == "waiting-for-debugger" else server.state,
        "port": server.scoring_port,
        "debugPort": server.debug_port,
        "image": server.image,
        "runtime": server.runtime,
    }
    if outcome.message:
        # No engine is not a failure the user must act on: there is nothing running.
        data["message"] = outcome.message
    if outcome.crash is not None:
        # Why it stopped, mapped to the local file and line (F5 on a crashed container shows it).
        crash = outcome.crash
        data.update(
            message=crash.message,
            traceback=crash.traceback,
            file=str(crash.file) if crash.file else None,
            line=crash.line,
        )
    return data


def pull_command(ls: Any, params: Any) -> dict[str, Any]:
    options = wire_options(params)
    from amldebug.debug_loop.server_verbs import pull

    request = loop_request(ls, "pull", options, folder_required=False)
    with CommandSession(ls, f"Pulling {request.image}", "build") as session:
        local = pull(request, reporter=session.reporter, cancel=session.cancel)
    return {"ok": True, "image": local}


def model_path_command(ls: Any, params: Any) -> dict[str, Any]:
    options = wire_options(params)
    from amldebug.debug_loop.server_verbs import model_path

    result = model_path(loop_request(ls, "model-path", options, folder_required=False))
    return {
        "ok": True,
        "modelDir": result.model_dir,
        "exists": result.exists,
        "tree": [path for path, _ in result.tree],
    }
