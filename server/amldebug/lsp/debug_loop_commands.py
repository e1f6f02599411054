"""`workspace/executeCommand` handlers that make a debug server: build, run, up, update, plus
invoke, commit and sync (docs/lsp-protocol.md). The handlers for a running server are in
container_commands.py; the contract registry (lsp/contract/) runs them all.

Each handler takes the command's params, decoded and type-checked by the contract dispatch
(lsp/contract/), reads them through the option table into a `DebugLoopRequest`, and returns the
command's result dataclass (lsp/contract/debug_loop.py), which the dispatch encodes. The work is
the application layer's (debug_loop/); Docker and process work blocks, so every handler runs in
a worker thread.
`$/progress` and `amldebug/log` come from `LspProgressReporter`, `amldebug/containerState` from
the session. `AmlDebugError` / `Cancelled` raised here become `{"ok": false, ...}` in the
dispatch, which also refuses, before any work, a command that needs trust when the workspace
is not trusted.

Tests run a command without a server through `amldebug.lsp.contract.dispatch.run_command`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from amldebug.diagnostics import Diagnostic, Range, Severity
from amldebug.lsp.command_helpers import (
    CommandSession,
    crash_result,
    loop_request,
    project_target,
)
from amldebug.lsp.contract.debug_loop import (
    BuildDiagnostic,
    BuildFailure,
    BuildResult,
    CommitResult,
    InvokeFailure,
    InvokeResult,
    RunResult,
    StartFailure,
    SyncChange,
    SyncResult,
    UpResult,
)
from amldebug.lsp.contract.loop_params import wire_options

__all__ = ["project_target"]

if TYPE_CHECKING:
    from amldebug.containers.build import BuildFailed
    from amldebug.debug_loop.options import DebugLoopRequest
    from amldebug.debug_loop.runtime import RuntimeChoice, ServerState
    from amldebug.debug_loop.start import StartOutcome

BUILD_DIAGNOSTICS_SOURCE = "amldebug-build"
BUILD_FAILURE_CODE = "BUILD"
_LOG_TAIL = 40


def _editor_text(ls: Any) -> Any:
    """The unsaved editor text of a path when it is open, so a build uses what the user sees."""

    def unsaved(path: Path | None) -> str | None:
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

    return unsaved


def _publish_build_failure(ls: Any, error: BuildFailed) -> list[BuildDiagnostic]:
    """The failure as diagnostics on the conda/steps file lines, published and returned."""
    results: list[BuildDiagnostic] = []
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
            BuildDiagnostic(file=str(location.file), line=location.line, message=diagnostic.message)
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


def _build_failure_result(ls: Any, error: BuildFailed) -> BuildFailure:
    """What a failed build answers; its diagnostics are also published on the conda/steps line."""
    return BuildFailure(
        error=error.message,
        hint=error.hint,
        log="\n".join(error.log_tail[-_LOG_TAIL:]),
        build_diagnostics=_publish_build_failure(ls, error),
    )


def runtime_reason(choice: RuntimeChoice) -> str:
    """Why this runtime, in the editor's words (the `amldebug.runtime` setting)."""
    if choice.why == "asked":
        return f"the runtime option (amldebug.runtime) asks for {choice.name}"
    return choice.reason()


def _server_fields(server: ServerState, choice: RuntimeChoice) -> dict[str, Any]:
    """The fields of RunResult (and UpResult) for a started server."""
    runtime: Any = server.runtime
    return {
        "name": server.name,
        "port": server.scoring_port,
        "debug_port": server.debug_port,
        "runtime": runtime,
        "reason": runtime_reason(choice),
        "url": server.url,
        "image": server.image,
        "ready": server.ready,
    }


# Commands -----------------------------------------------------------------------------------


def build_command(ls: Any, params: Any) -> BuildResult | BuildFailure:
    from amldebug.containers.build import BuildFailed
    from amldebug.debug_loop.start import build

    request = loop_request(ls, "build", wire_options(params))
    with CommandSession(ls, "Building the debug image", "build") as session:
        session.state(request.name, "building")
        try:
            outcome = build(
                request,
                reporter=session.reporter,
                cancel=session.cancel,
                unsaved=_editor_text(ls),
            )
        except BuildFailed as error:
            return _build_failure_result(ls, error)
    _recheck_documents(ls)
    _clear_build_diagnostics(ls)
    result = outcome.build
    return BuildResult(
        image=result.image,
        log="\n".join(result.log_tail[-_LOG_TAIL:]),
        seconds=round(result.seconds, 2),
        package_layers_cached=result.package_steps_cached,
        notes=list(result.notes),
    )


def run_command(ls: Any, params: Any) -> RunResult | StartFailure:
    from amldebug.containers.run import ContainerCrashed
    from amldebug.debug_loop.start import run

    request = loop_request(ls, "run", wire_options(params))
    with CommandSession(ls, "Starting the debug server", "container") as session:
        try:
            outcome = run(
                request,
                reporter=session.reporter,
                cancel=session.cancel,
                on_state=session.server_state,
            )
        except ContainerCrashed as error:
            session.state(request.name, "crashed", message=error.message)
            return crash_result(error, request.name)
    return RunResult(**_server_fields(outcome.server, outcome.choice))


def up_command(ls: Any, params: Any) -> UpResult | BuildFailure | StartFailure:
    from amldebug.containers.build import BuildFailed
    from amldebug.containers.run import ContainerCrashed
    from amldebug.debug_loop.start import up

    request = loop_request(ls, "up", wire_options(params))
    # An editor passes `writeLaunchConfig: false` and applies the returned text itself, so the
    # change is one undoable edit; the CLI-like default writes the file here.
    with CommandSession(ls, "Starting the debug loop", "build") as session:
        try:
            outcome = up(
                request,
                reporter=session.reporter,
                cancel=session.cancel,
                unsaved=_editor_text(ls),
                on_state=session.server_state,
            )
        except BuildFailed as error:
            return _build_failure_result(ls, error)
        except ContainerCrashed as error:
            session.state(request.name, "crashed", message=error.message)
            _recheck_documents(ls)  # AML120 from the probe that ran before the crash
            return crash_result(error, request.name)
    _recheck_documents(ls)
    _clear_build_diagnostics(ls)
    return _up_result(outcome, request)


def _up_result(outcome: StartOutcome, request: DebugLoopRequest) -> UpResult:
    from amldebug.debug_loop.target import target_of

    built: dict[str, Any] = {}
    if outcome.build is not None:
        built = {
            "image": outcome.build.image,
            "seconds": round(outcome.build.seconds, 2),
            "log": "\n".join(outcome.build.log_tail[-_LOG_TAIL:]),
            "package_layers_cached": outcome.build.package_steps_cached,
            "build_diagnostics": [],
        }
    edit = None
    if not request.write_launch_config:
        from amldebug.lsp.launch_config_commands import launch_config_edit

        target = target_of(request)
        edit = launch_config_edit(
            target.project_folder,
            target.launch_json_folder,
            outcome.server.runtime,
            outcome.server.debug_port or 5678,
        )
    return UpResult(
        **{**_server_fields(outcome.server, outcome.choice), **built},
        notes=list(outcome.notes) or None,
        launch_config=str(outcome.launch_config) if outcome.launch_config else None,
        launch_config_edit=edit,
    )


def invoke_command(ls: Any, params: Any) -> InvokeResult | InvokeFailure:
    from amldebug.debug_loop.server_verbs import invoke

    outcome = invoke(loop_request(ls, "invoke", wire_options(params), folder_required=False))
    response = outcome.response
    answer: dict[str, Any] = {
        "status": response.status,
        "elapsed_ms": round(response.elapsed_ms, 1),
        "server_ms": response.server_ms,
        "headers": response.headers,
        "body": response.body,
        "json": response.json(),
        "sample_written": str(outcome.sample_written) if outcome.sample_written else None,
    }
    if response.ok:
        return InvokeResult(**answer)
    return InvokeFailure(
        error=f"The server answered {response.status} {response.reason}.", **answer
    )


def commit_command(ls: Any, params: Any) -> CommitResult:
    from amldebug.debug_loop.server_verbs import commit

    request = loop_request(ls, "commit", wire_options(params), folder_required=False)
    return CommitResult(image=commit(request))


def sync_command(ls: Any, params: Any) -> SyncResult:
    from amldebug.debug_loop.server_verbs import sync

    _, result = sync(loop_request(ls, "sync", wire_options(params)))
    return SyncResult(
        changed=[SyncChange(path=c.path, status=c.status) for c in result.changed],
        applied=list(result.applied),
        skipped=list(result.skipped),
        refused=list(result.refused),
    )
