"""Results of the debug-loop commands (build, run, up, launchConfig, invoke, commit, sync) and the
params of launchConfig. Field docs become the TypeScript and JSON-schema descriptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from amldebug.lsp.contract.wire import Failure, JsonValue, Success

RuntimeChoice = Literal["auto", "docker", "process"]
Runtime = Literal["docker", "process"]


def doc(text: str, **metadata: str) -> dict[str, str]:
    """Field metadata: its description (and, for shared JSON objects, its `wire` key)."""
    return {"doc": text, **metadata}


# -- params (those of the debug-loop verbs come from the option table: loop_params.py) -------


@dataclass(frozen=True, kw_only=True)
class LaunchConfigParams:
    folder: str | None = field(default=None, metadata=doc("The project folder."))
    workspace_folder: str | None = field(
        default=None, metadata=doc("The workspace folder whose launch.json VS Code reads.")
    )
    debug_port: int | None = field(default=None, metadata=doc("Host port of debugpy."))
    runtime: RuntimeChoice | None = field(default=None, metadata=doc("Where the server runs."))
    write: bool | None = field(
        default=None, metadata=doc("True: the server writes the file itself.")
    )


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class BuildDiagnostic:
    """Where a failed build points, also published as a diagnostic on that file."""

    file: str
    line: int
    message: str


@dataclass(frozen=True, kw_only=True)
class BuildResult(Success):
    image: str = field(metadata=doc("The image built."))
    log: str = field(metadata=doc("The build log's tail."))
    seconds: float
    package_layers_cached: bool = field(metadata=doc("The package install came from the cache."))
    notes: list[str] = field(metadata=doc("E.g. conda entries not installed."))
    build_diagnostics: list[BuildDiagnostic] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class BuildFailure(Failure):
    log: str = field(metadata=doc("The build log's tail."))
    build_diagnostics: list[BuildDiagnostic] = field(
        metadata=doc("The failure on conda/steps file lines (also published as diagnostics).")
    )


@dataclass(frozen=True, kw_only=True)
class StartFailure(Failure):
    """The inference server started and died (init() raised): where, in the local files."""

    name: str
    traceback: str | None = None
    file: str | None = field(default=None, metadata=doc("The local file of the failing line."))
    line: int | None = None


@dataclass(frozen=True, kw_only=True)
class RunResult(Success):
    name: str
    port: int | None = field(default=None, metadata=doc("Host port of the scoring endpoint."))
    debug_port: int | None = field(default=None, metadata=doc("Host port of debugpy."))
    runtime: Runtime
    reason: str = field(metadata=doc("Why this runtime was chosen."))
    url: str | None = None
    image: str | None = None
    ready: bool = True


@dataclass(frozen=True, kw_only=True)
class LaunchConfigResult(Success):
    path: str = field(metadata=doc("The launch.json VS Code reads for the workspace folder."))
    created: bool
    updated: bool
    changed: bool | None = field(default=None, metadata=doc("The text differs from the file."))
    text: str = field(metadata=doc("The merged file text, for one undoable WorkspaceEdit."))


@dataclass(frozen=True, kw_only=True)
class LaunchConfigFailure(Failure):
    path: str = field(metadata=doc("The launch.json that cannot be parsed."))


@dataclass(frozen=True, kw_only=True)
class UpResult(RunResult):
    seconds: float | None = field(default=None, metadata=doc("Build time, when it built."))
    log: str | None = field(default=None, metadata=doc("The build log's tail."))
    package_layers_cached: bool | None = None
    build_diagnostics: list[BuildDiagnostic] | None = None
    notes: list[str] | None = field(default=None, metadata=doc("E.g. conda entries not installed."))
    launch_config: str | None = field(
        default=None, metadata=doc("The launch.json written (absent when not written).")
    )
    launch_config_edit: LaunchConfigResult | LaunchConfigFailure | None = field(
        default=None,
        metadata=doc("With `writeLaunchConfig: false`: what amldebug.launchConfig answers."),
    )


@dataclass(frozen=True, kw_only=True)
class ScoringResponse:
    """What the scoring server answered to POST /score."""

    status: int = field(metadata=doc("The HTTP status."))
    elapsed_ms: float
    server_ms: str | None = field(
        default=None, metadata=doc("The server's own timing (its x-ms-run-fn-exec-ms header).")
    )
    headers: dict[str, str]
    body: str
    json: JsonValue | None = field(default=None, metadata=doc("The body parsed, when JSON."))
    sample_written: str | None = field(
        default=None, metadata=doc("sample-request.json written from /swagger.json.")
    )


@dataclass(frozen=True, kw_only=True)
class InvokeResult(ScoringResponse, Success):
    pass


@dataclass(frozen=True, kw_only=True)
class InvokeFailure(ScoringResponse, Failure):
    """The server answered, with a status that is not 2xx."""


@dataclass(frozen=True, kw_only=True)
class CommitResult(Success):
    image: str = field(metadata=doc("The image the container was saved as."))


@dataclass(frozen=True, kw_only=True)
class SyncChange:
    path: str
    status: str = field(metadata=doc("added, modified or deleted in the container."))


@dataclass(frozen=True, kw_only=True)
class SyncResult(Success):
    changed: list[SyncChange]
    applied: list[str]
    skipped: list[str] = field(metadata=doc("Conflicts: changed on both sides (use force)."))
    refused: list[str] = field(metadata=doc("Writes that would leave the project."))
