"""`workspace/executeCommand` handlers for the debug loop (docs/lsp-protocol.md).

Each command takes one options object (camelCase keys; pygls 2 hands it over unpacked) and returns
a JSON object with `ok`. Docker and process work blocks, so every handler runs in a worker thread;
`$/progress` and `amldebug/log` come from `LspProgressReporter`, `amldebug/containerState` from
`send_container_state`. `AmlDebugError` / `Cancelled` raised here become `{"ok": false, ...}` in
the server's command wrapper. Nothing runs unless the workspace is trusted.

The `*_command(ls, options)` functions hold the logic, so tests can call them without a server.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from amldebug.containers import scoring_client
from amldebug.containers.build import BuildFailed, build_debug_image, build_options_from_environment
from amldebug.containers.debug_loop import choose_runtime, run_in_process, up
from amldebug.containers.docker_engine import DockerEngine, connect
from amldebug.containers.dockerfile import DEFAULT_BASE_IMAGE, DEFAULT_TAG, BuildOptions
from amldebug.containers.image_imports import check_after_build
from amldebug.containers.run import (
    DEFAULT_NAME,
    ContainerCrashed,
    RunOptions,
    commit_container,
    run_debug_container,
)
from amldebug.containers.sync import sync_container
from amldebug.diagnostics import Diagnostic, Range, Severity
from amldebug.errors import AmlDebugError
from amldebug.progress import CancelToken, NullReporter
from amldebug.project import Project

BUILD_DIAGNOSTICS_SOURCE = "amldebug-build"
BUILD_FAILURE_CODE = "BUILD"
_LOG_TAIL = 40

Handler = Callable[[Any, dict[str, Any]], dict[str, Any]]


# Adapters to the language server's helpers; absent helpers (tests without a server) do nothing.


class _Session:
    """Progress, logs and container-state notifications for one command."""

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

    def __enter__(self) -> _Session:
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


def _trusted(ls: Any, options: dict[str, Any]) -> bool:
    # Only the server's own knowledge counts (initializationOptions; the extension restarts the
    # server when trust is granted): a `trusted` option from the client is ignored (issue 9, 13).
    return bool(getattr(ls, "workspace_trusted", False))


def _refusal(doing: str = "run Docker or processes") -> dict[str, Any]:
    return {
        "ok": False,
        "error": f"The workspace is not trusted: amldebug does not {doing} in it.",
        "hint": "Trust the workspace (Manage Workspace Trust), then run the command again.",
    }


def _requires_trust(handler: Handler) -> Handler:
    """Docker and process execution only in a trusted workspace, checked before any work."""

    @functools.wraps(handler)
    def checked(ls: Any, options: dict[str, Any]) -> dict[str, Any]:
        return handler(ls, options) if _trusted(ls, options) else _refusal()

    return checked


def _number(options: dict[str, Any], key: str, default: int, kind: type[int] | type[float]) -> Any:
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


def _bind(options: dict[str, Any]) -> str:
    from amldebug.containers.ports import parse_bind_address

    try:
        return parse_bind_address(str(options.get("bind") or "127.0.0.1"))
    except ValueError as error:
        raise AmlDebugError(f"`bind`: {error}.") from None


def _options(options: Any) -> dict[str, Any]:
    if options is None:
        return {}
    if isinstance(options, list):  # a client that sent [options]
        return dict(options[0]) if options and isinstance(options[0], dict) else {}
    return dict(options) if isinstance(options, dict) else {}


def _folder(ls: Any, options: dict[str, Any], *, required: bool = True) -> Path | None:
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
    """The command's ProjectTarget (amldebug.project_target), computed once, or None."""
    from amldebug.lsp.settings import command_target

    folder = _folder(ls, options, required=required)
    return command_target(ls, folder, options) if folder is not None else None


def _project(ls: Any, options: dict[str, Any], *, required: bool = True) -> Project | None:
    target = project_target(ls, options, required=required)
    return target.discover(base_image=options.get("baseImage") or None) if target else None


def _build_options(options: dict[str, Any], project: Project) -> BuildOptions:
    return build_options_from_environment(
        base_image=str(options.get("baseImage") or project.base_image or DEFAULT_BASE_IMAGE),
        tag=str(options.get("tag") or DEFAULT_TAG),
        ca_bundle=options.get("caBundle") or None,
    )


def _run_options(options: dict[str, Any], image: str) -> RunOptions:
    env = options.get("env") or {}
    return RunOptions(
        image=image,
        name=str(options.get("name") or DEFAULT_NAME),
        port=_number(options, "port", 8000, int),
        debug_port=_number(options, "debugPort", 5678, int),
        bind=_bind(options),
        mount=options.get("mount", True) is not False,
        wait_for_debugger=options.get("waitForDebugger") is True,
        env={str(k): str(v) for k, v in env.items()} if isinstance(env, dict) else {},
        timeout=_number(options, "timeout", 120, float),
    )


def _editor_text(ls: Any, path: Path | None) -> str | None:
    """The unsaved editor text of `path` when it is open, so a build uses what the user sees."""
    if path is None or ls is None or not hasattr(ls, "open_documents"):
        return None
    try:
        wanted = path.resolve()
        for document in ls.open_documents():
            if Path(document.path).resolve() == wanted:
                return str(document.text)
    except Exception:  # documents changing under us: the file on disk is the fallback
        return None
    return None


def _engine() -> DockerEngine:
    return connect()


def _publish_build_failure(ls: Any, project: Project, error: BuildFailed) -> list[dict[str, Any]]:
    """The failure as diagnostics on the conda/steps file lines, published and returned."""
    results: list[dict[str, Any]] = []
    by_file: dict[Path, list[Diagnostic]] = {}
    for location in error.locations:
        diagnostic = Diagnostic(
            code=BUILD_FAILURE_CODE,
            severity=Severity.ERROR,
            message=f"The image build failed here: {location.message}",
            range=Range.of(location.line, 0, location.line, 10_000),
            path=location.file,
        )
        by_file.setdefault(location.file, []).append(diagnostic)
        results.append(
            {"file": str(location.file), "line": location.line, "message": diagnostic.message}
        )
    if ls is not None and hasattr(ls, "publish_external_diagnostics"):
        for path, diagnostics in by_file.items():
            ls.publish_external_diagnostics(BUILD_DIAGNOSTICS_SOURCE, path, diagnostics)
    return results


def _recheck_documents(ls: Any) -> None:
    """Re-analyse the open documents: the entry script picks up the image's import check."""
    checker = getattr(ls, "checker", None)
    if checker is not None:
        from amldebug.lsp import notifications

        notifications.call_on_loop(ls, checker.check_all)


def _clear_build_diagnostics(ls: Any) -> None:
    if ls is not None and hasattr(ls, "clear_external_diagnostics"):
        ls.clear_external_diagnostics(BUILD_DIAGNOSTICS_SOURCE)


def _crash_result(error: ContainerCrashed, name: str) -> dict[str, Any]:
    return {
        "ok": False,
        "error": error.message,
        "hint": error.hint,
        "name": name,
        "traceback": error.traceback,
        "file": str(error.file) if error.file else None,
        "line": error.line,
    }


def _run_json(result: Any, runtime: str, reason: str) -> dict[str, Any]:
    return {
        "name": getattr(result, "name", None),
        "port": getattr(result, "port", None),
        "debugPort": getattr(result, "debug_port", None),
        "runtime": runtime,
        "reason": reason,
        "url": getattr(result, "url", None),
        "image": getattr(result, "image", None),
        "ready": getattr(result, "ready", True),
    }


def _build_failure_result(ls: Any, project: Project, error: BuildFailed) -> dict[str, Any]:
    """What a failed build answers; its diagnostics are also published on the conda/steps line."""
    return {
        "ok": False,
        "error": error.message,
        "hint": error.hint,
        "log": "\n".join(error.log_tail[-_LOG_TAIL:]),
        "buildDiagnostics": _publish_build_failure(ls, project, error),
    }


# Commands -----------------------------------------------------------------------------------


@_requires_trust
def build_command(ls: Any, options: dict[str, Any]) -> dict[str, Any]:
    project = _project(ls, options)
    assert project is not None
    build_options = _build_options(options, project)
    with _Session(ls, "Building the debug image", "build") as session:
        session.state(str(options.get("name") or DEFAULT_NAME), "building")
        engine = _engine()
        try:
            result = build_debug_image(
                project,
                build_options,
                engine,
                reporter=session.reporter,
                cancel=session.cancel,
                conda_text=_editor_text(ls, project.conda_file),
                steps_text=_editor_text(ls, project.steps_file),
            )
        except BuildFailed as error:
            return _build_failure_result(ls, project, error)
        check_after_build(engine, result.image, result.image_id, project, session.reporter)
    _recheck_documents(ls)
    _clear_build_diagnostics(ls)
    return {
        "ok": True,
        "image": result.image,
        "log": "\n".join(result.log_tail[-_LOG_TAIL:]),
        "seconds": round(result.seconds, 2),
        "packageLayersCached": result.package_steps_cached,
        "notes": list(result.notes),
        "buildDiagnostics": [],
    }


@_requires_trust
def run_command(ls: Any, options: dict[str, Any]) -> dict[str, Any]:
    project = _project(ls, options)
    assert project is not None
    run_options = _run_options(options, str(options.get("image") or DEFAULT_TAG))
    choice = choose_runtime(str(options.get("runtime") or "auto"))
    with _Session(ls, "Starting the debug server", "container") as session:
        session.state(run_options.name, "starting", runtime=choice.runtime, message=choice.reason)
        try:
            if choice.runtime == "docker":
                assert choice.engine is not None
                result: Any = run_debug_container(
                    project,
                    run_options,
                    choice.engine,
                    reporter=session.reporter,
                    cancel=session.cancel,
                )
            else:
                result = run_in_process(
                    project, run_options, reporter=session.reporter, cancel=session.cancel
                )
        except ContainerCrashed as error:
            session.state(
                run_options.name, "crashed", runtime=choice.runtime, message=error.message
            )
            return _crash_result(error, run_options.name)
        session.state(
            run_options.name,
            "ready" if getattr(result, "ready", True) else "starting",
            port=run_options.port,
            debug_port=run_options.debug_port,
            runtime=choice.runtime,
            message=f"Ready on {getattr(result, 'url', '')}",
        )
    return {"ok": True, **_run_json(result, choice.runtime, choice.reason)}


@_requires_trust
def up_command(ls: Any, options: dict[str, Any]) -> dict[str, Any]:
    target = project_target(ls, options)
    project = target.discover(base_image=options.get("baseImage") or None)
    build_options = _build_options(options, project)
    run_options = _run_options(options, build_options.tag)
    # An editor passes `writeLaunchConfig: false` and applies the returned text itself, so the
    # change is one undoable edit; the CLI-like default writes the file here.
    write_launch_json = options.get("writeLaunchConfig", True) is not False
    with _Session(ls, "Starting the debug loop", "build") as session:
        session.state(run_options.name, "building")
        try:
            result = up(
                project,
                build_options,
                run_options,
                runtime=str(options.get("runtime") or "auto"),
                write_launch_json=write_launch_json,
                launch_target=target,
                reporter=session.reporter,
                cancel=session.cancel,
                conda_text=_editor_text(ls, project.conda_file),
                steps_text=_editor_text(ls, project.steps_file),
            )
        except BuildFailed as error:
            return _build_failure_result(ls, project, error)
        except ContainerCrashed as error:
            session.state(run_options.name, "crashed", message=error.message)
            _recheck_documents(ls)  # AML120 from the probe that ran before the crash
            return _crash_result(error, run_options.name)
        run = result.run if result.run is not None else result.process
        session.state(
            run_options.name,
            "ready",
            port=getattr(run, "port", None),
            debug_port=getattr(run, "debug_port", None),
            runtime=result.runtime,
            message=f"Ready on {result.url}",
        )
    _recheck_documents(ls)
    _clear_build_diagnostics(ls)
    data: dict[str, Any] = {"ok": True, **_run_json(run, result.runtime, result.reason)}
    if result.build is not None:
        data.update(
            {
                "image": result.build.image,
                "seconds": round(result.build.seconds, 2),
                "log": "\n".join(result.build.log_tail[-_LOG_TAIL:]),
                "packageLayersCached": result.build.package_steps_cached,
                "buildDiagnostics": [],
            }
        )
    data["launchConfig"] = str(result.launch_config) if result.launch_config else None
    if not write_launch_json:
        from amldebug.lsp.launch_config_commands import launch_config_edit

        debug_port = getattr(run, "debug_port", None) or run_options.debug_port
        data["launchConfigEdit"] = launch_config_edit(
            target.project_folder, target.workspace_folder, result.runtime, debug_port
        )
    return data


def _sample_from_swagger(folder: Path, port: int) -> Path | None:
    """sample-request.json written from the server's /swagger.json input sample, if it has one."""
    from amldebug.containers.swagger_sample import fetch_sample, write_sample_request

    sample = fetch_sample(port)
    if sample is None:
        return None
    try:
        return write_sample_request(folder, sample)
    except OSError:
        return None


def invoke_command(ls: Any, options: dict[str, Any]) -> dict[str, Any]:
    folder = _folder(ls, options, required=False)
    data = options.get("data")
    sample_written: str | None = None  # sample-request.json written from /swagger.json
    if data is None:
        file = options.get("file")
        candidate = Path(file) if isinstance(file, str) and file else None
        if candidate is not None and not candidate.is_absolute() and folder is not None:
            candidate = folder / candidate
        if candidate is None and folder is not None and (folder / "sample-request.json").is_file():
            candidate = folder / "sample-request.json"
        if candidate is None and folder is not None and options.get("sampleFromSwagger") is True:
            candidate = _sample_from_swagger(folder, _number(options, "port", 8000, int))
            sample_written = str(candidate) if candidate is not None else None
        if candidate is None:
            raise AmlDebugError(
                "Nothing to send: pass `data` (JSON text) or `file`.",
                hint="Or add a sample-request.json to the project.",
            )
        try:
            data = candidate.read_text(encoding="utf-8")
        except OSError as error:
            raise AmlDebugError(f"Cannot read {candidate}: {error.strerror or error}") from None
    port = _number(options, "port", 8000, int)
    response = scoring_client.score(
        scoring_client.server_url("127.0.0.1", port, "/score"),
        str(data),
        timeout=_number(options, "timeout", 300, float),
    )
    return {
        "ok": response.ok,
        "status": response.status,
        "elapsedMs": round(response.elapsed_ms, 1),
        "serverMs": response.server_ms,
        "headers": response.headers,
        "body": response.body,
        "json": response.json(),
        **(
            {}
            if response.ok
            else {"error": f"The server answered {response.status} {response.reason}."}
        ),
        **({"sampleWritten": sample_written} if sample_written else {}),
    }


@_requires_trust
def commit_command(ls: Any, options: dict[str, Any]) -> dict[str, Any]:
    image = commit_container(
        _engine(), str(options.get("name") or DEFAULT_NAME), options.get("tag") or None
    )
    return {"ok": True, "image": image}


@_requires_trust
def sync_command(ls: Any, options: dict[str, Any]) -> dict[str, Any]:
    project = _project(ls, options)
    assert project is not None
    result = sync_container(
        _engine(),
        str(options.get("name") or DEFAULT_NAME),
        project,
        apply=options.get("apply") is True,
        force=options.get("force") is True,
    )
    return {
        "ok": True,
        "changed": [{"path": c.path, "status": c.status} for c in result.changed],
        "applied": list(result.applied),
        "skipped": list(result.skipped),
        "refused": list(result.refused),
    }


def _process_server(name: str) -> Any:
    from amldebug.containers.debug_loop import find_process_server

    return find_process_server(name)


COMMANDS: dict[str, Handler] = {
    "amldebug.build": build_command,
    "amldebug.run": run_command,
    "amldebug.up": up_command,
    "amldebug.invoke": invoke_command,
    "amldebug.commit": commit_command,
    "amldebug.sync": sync_command,
}


def register(server: Any) -> None:
    # Imported here: container_commands uses this module's helpers.
    from amldebug.lsp.container_commands import CONTAINER_COMMANDS
    from amldebug.lsp.launch_config_commands import LAUNCH_CONFIG_COMMANDS

    commands = {**COMMANDS, **LAUNCH_CONFIG_COMMANDS, **CONTAINER_COMMANDS}
    for command_id, handler in commands.items():
        _register_one(server, command_id, handler)


def _register_one(server: Any, command_id: str, handler: Handler) -> None:
    def command(ls: Any, options: Any = None) -> dict[str, Any]:
        return handler(ls, _options(options))

    command.__name__ = handler.__name__
    # Blocking Docker calls run in a worker thread, off the event loop.
    server.command(command_id)(server.thread()(command))
