"""`workspace/executeCommand` handlers for a running debug server: reload, logs, stop, status, pull
and modelPath (docs/lsp-protocol.md). The helpers (trust, options, progress, container-state
notifications) are debug_loop_commands.py's; that module registers these too.
"""

from __future__ import annotations

from typing import Any

from amldebug.containers.docker_engine import EngineUnavailable
from amldebug.containers.dockerfile import DEFAULT_TAG
from amldebug.containers.request_gate import wait_for_requests
from amldebug.containers.run import (
    DEFAULT_NAME,
    ContainerCrashed,
    container_logs,
    container_status,
    crashed_error,
    model_path,
    pull_image,
    reload_container,
)
from amldebug.containers.stop import stop_container
from amldebug.errors import AmlDebugError
from amldebug.lsp.debug_loop_commands import (
    Handler,
    _crash_result,
    _engine,
    _number,
    _process_server,
    _project,
    _requires_trust,
    _Session,
)


@_requires_trust
def reload_command(ls: Any, options: dict[str, Any]) -> dict[str, Any]:
    name = str(options.get("name") or DEFAULT_NAME)
    project = _project(ls, options, required=False)
    if _process_server(name) is not None:
        from amldebug.containers.debug_loop import reload_process_server

        with _Session(ls, f"Restarting {name}", "container") as session:
            session.state(name, "starting", runtime="process", message="Restarting")
            try:
                seconds = reload_process_server(
                    name, reporter=session.reporter, cancel=session.cancel
                )
            except ContainerCrashed as error:
                session.state(name, "crashed", runtime="process", message=error.message)
                return _crash_result(error, name)
            session.state(name, "ready", runtime="process", message="Restarted")
        return {"ok": True, "seconds": round(seconds, 2), "runtime": "process"}
    # `waitForRequests` (seconds): let the requests being served answer before the worker goes.
    wait_limit = _number(options, "waitForRequests", 0, float)
    engine = _engine()
    with _Session(ls, f"Reloading {name}", "container") as session:
        waited = None
        if wait_limit > 0:
            session.reporter.step("Waiting for the requests in flight to answer", 5)
            waited = wait_for_requests(engine, name, timeout=wait_limit)
        session.state(name, "starting", message="Reloading the entry script")
        try:
            result = reload_container(engine, name, project=project, cancel=session.cancel)
        except ContainerCrashed as error:
            session.state(name, "crashed", message=error.message)
            return _crash_result(error, name)
        session.state(name, "ready", message=f"Reloaded in {result.seconds:.2f} s")
    return {
        "ok": True,
        "seconds": round(result.seconds, 2),
        "requestsAnswered": waited.in_flight - waited.still_open if waited else 0,
        "requestsInterrupted": waited.still_open if waited else 0,
        "waitedSeconds": round(waited.seconds, 2) if waited else 0.0,
    }


@_requires_trust
def logs_command(ls: Any, options: dict[str, Any]) -> dict[str, Any]:
    tail = options.get("tail")
    name = str(options.get("name") or DEFAULT_NAME)
    if _process_server(name) is not None:
        from amldebug.containers.process_runtime import read_process_server_log

        return {"ok": True, "text": read_process_server_log(name, int(tail) if tail else None)}
    text = container_logs(
        _engine(), str(options.get("name") or DEFAULT_NAME), tail=int(tail) if tail else None
    )
    return {"ok": True, "text": text}


@_requires_trust
def stop_command(ls: Any, options: dict[str, Any]) -> dict[str, Any]:
    name = str(options.get("name") or DEFAULT_NAME)
    if _process_server(name) is not None:
        from amldebug.containers.process_runtime import stop_process_server

        stopped = stop_process_server(name)
        _Session(ls, "Stopping", None).state(name, "stopped", runtime="process")
        return {"ok": True, "stopped": stopped, "removedImage": None, "runtime": "process"}
    result = stop_container(_engine(), name, remove_image=options.get("removeImage") is True)
    _Session(ls, "Stopping", None).state(
        name, "stopped", runtime="docker", message=f"Stopped {name}"
    )
    return {
        "ok": True,
        "stopped": result.stopped,
        "removedImage": result.removed_image,
        "keptImage": result.kept_image,
    }


@_requires_trust
def status_command(ls: Any, options: dict[str, Any]) -> dict[str, Any]:
    name = str(options.get("name") or DEFAULT_NAME)
    if _process_server(name) is not None:
        from amldebug.containers.process_runtime import process_server_status

        local = process_server_status(name)
        state = {"waiting-for-debugger": "starting"}.get(local.state, local.state)
        return {
            "ok": True,
            "state": state,
            "port": local.server.port if local.server else None,
            "debugPort": local.server.debug_port if local.server else None,
            "image": None,
            "runtime": "process",
        }
    try:
        engine = _engine()
    except EngineUnavailable as error:
        # A status poll is not a failure the user must act on: say there is nothing running.
        return {"ok": True, "state": "none", "runtime": "docker", "message": error.message}
    status = container_status(engine, name)
    data: dict[str, Any] = {
        "ok": True,
        "state": status.state,
        "port": status.port,
        "debugPort": status.debug_port,
        "image": status.image,
        "runtime": "docker",
    }
    if status.state == "crashed":
        # Why it stopped, mapped to the local file and line (F5 on a crashed container shows it).
        crash = crashed_error(engine, name, _project(ls, options, required=False))
        data.update(
            message=crash.message,
            traceback=crash.traceback,
            file=str(crash.file) if crash.file else None,
            line=crash.line,
        )
    return data


@_requires_trust
def pull_command(ls: Any, options: dict[str, Any]) -> dict[str, Any]:
    image = options.get("image")
    if not isinstance(image, str) or not image:
        raise AmlDebugError("amldebug.pull needs `image` (e.g. myacr.azurecr.io/azureml/img:1).")
    with _Session(ls, f"Pulling {image}", "build") as session:
        local = pull_image(
            _engine(),
            image,
            tag=str(options.get("tag") or DEFAULT_TAG),
            username=options.get("username") or None,
            password=options.get("password") or None,
            reporter=session.reporter,
            cancel=session.cancel,
        )
    return {"ok": True, "image": local}


@_requires_trust
def model_path_command(ls: Any, options: dict[str, Any]) -> dict[str, Any]:
    name = str(options.get("name") or DEFAULT_NAME)
    if _process_server(name) is not None:
        from amldebug.containers.process_runtime import process_model_path

        result = process_model_path(name)
    else:
        result = model_path(_engine(), name)
    return {
        "ok": True,
        "modelDir": result.model_dir,
        "exists": result.exists,
        "tree": [path for path, _ in result.tree],
    }


CONTAINER_COMMANDS: dict[str, Handler] = {
    "amldebug.reload": reload_command,
    "amldebug.logs": logs_command,
    "amldebug.stop": stop_command,
    "amldebug.status": status_command,
    "amldebug.pull": pull_command,
    "amldebug.modelPath": model_path_command,
}
