"""Params and results of the commands on a running debug server: reload, logs, stop, status, pull,
modelPath."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from amldebug.lsp.contract.debug_loop import Runtime, doc
from amldebug.lsp.contract.wire import Success


@dataclass(frozen=True, kw_only=True)
class ReloadResult(Success):
    seconds: float
    runtime: Runtime | None = None
    requests_answered: int | None = None
    requests_interrupted: int | None = None
    waited_seconds: float | None = None


@dataclass(frozen=True, kw_only=True)
class LogsResult(Success):
    text: str


@dataclass(frozen=True, kw_only=True)
class StopResult(Success):
    stopped: bool
    removed_image: str | None = None
    kept_image: str | None = field(
        default=None, metadata=doc("Why the image stayed (another container uses it).")
    )
    runtime: Runtime | None = None


ServerStateName = Literal["none", "starting", "ready", "crashed", "exited", "stopped"]


@dataclass(frozen=True, kw_only=True)
class StatusResult(Success):
    state: ServerStateName
    port: int | None = None
    debug_port: int | None = None
    image: str | None = None
    runtime: Runtime
    message: str | None = field(default=None, metadata=doc("No engine, or why it crashed."))
    traceback: str | None = None
    file: str | None = field(default=None, metadata=doc("The local file of the crash."))
    line: int | None = None


@dataclass(frozen=True, kw_only=True)
class PullResult(Success):
    image: str = field(metadata=doc("The local image."))


@dataclass(frozen=True, kw_only=True)
class ModelPathResult(Success):
    model_dir: str | None = field(default=None, metadata=doc("AZUREML_MODEL_DIR in the server."))
    exists: bool
    tree: list[str]
