"""COMMANDS: the one list of the server's `workspace/executeCommand` commands.

Everything else derives from it: what `initialize` advertises (`ENGINE_COMMANDS`), which handler
runs (`handler`, imported on first use, off the event loop), where trust is checked (the
dispatch, from `requires_trust`), the generated TypeScript and JSON schema, and the table in
docs/lsp-protocol.md (a test compares them).

Adding a command: its params and result dataclasses (debug_loop.py, server_commands.py or
troubleshooting.py), one entry here, the handler `def handler(ls, params: P) -> R | Failure`, then
`python -m amldebug.lsp.contract.generate` and a row in docs/lsp-protocol.md.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from amldebug.lsp.contract.debug_loop import (
    BuildFailure,
    BuildResult,
    CommitResult,
    InvokeFailure,
    InvokeResult,
    LaunchConfigFailure,
    LaunchConfigParams,
    LaunchConfigResult,
    RunResult,
    StartFailure,
    SyncResult,
    UpResult,
)
from amldebug.lsp.contract.loop_params import (
    BuildParams,
    CommitParams,
    InvokeParams,
    LogsParams,
    ModelPathParams,
    PullParams,
    ReloadParams,
    RunParams,
    StatusParams,
    StopParams,
    SyncParams,
    UpParams,
)
from amldebug.lsp.contract.server_commands import (
    LogsResult,
    ModelPathResult,
    PullResult,
    ReloadResult,
    StatusResult,
    StopResult,
)
from amldebug.lsp.contract.troubleshooting import (
    ExplainParams,
    ExplainResult,
    ReplicasParams,
    ReplicasResult,
)
from amldebug.lsp.contract.wire import Failure

Handler = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class CommandContract:
    name: str  # "amldebug.build"
    params: type  # the dataclass the options object decodes into
    result: type  # the Success dataclass it answers
    requires_trust: bool  # refused (before any work) unless the workspace is trusted
    summary: str
    handler: str  # "module:function", imported on first use
    failures: tuple[type[Failure], ...] = ()  # Failure subclasses with more fields, if any

    def resolve(self) -> Handler:
        module, _, function = self.handler.partition(":")
        handler: Handler = getattr(importlib.import_module(module), function)
        return handler

    @property
    def module(self) -> str:
        return self.handler.partition(":")[0]


_LOOP = "amldebug.lsp.debug_loop_commands"
_SERVER = "amldebug.lsp.container_commands"
_LAUNCH = "amldebug.lsp.launch_config_commands"
_TROUBLE = "amldebug.lsp.troubleshooting_commands"

_CONTRACTS = (
    CommandContract(
        "amldebug.build",
        BuildParams,
        BuildResult,
        True,
        "Build the debug image (buildDiagnostics also published on the conda/steps file).",
        f"{_LOOP}:build_command",
        (BuildFailure,),
    ),
    CommandContract(
        "amldebug.run",
        RunParams,
        RunResult,
        True,
        "Run the debug server from an image; an init() crash answers StartFailure.",
        f"{_LOOP}:run_command",
        (StartFailure,),
    ),
    CommandContract(
        "amldebug.up",
        UpParams,
        UpResult,
        True,
        "Build, run and compute (or write) launch.json.",
        f"{_LOOP}:up_command",
        (BuildFailure, StartFailure),
    ),
    CommandContract(
        "amldebug.launchConfig",
        LaunchConfigParams,
        LaunchConfigResult,
        True,
        "The attach entry merged into the workspace folder's launch.json (text, or written).",
        f"{_LAUNCH}:launch_config_command",
        (LaunchConfigFailure,),
    ),
    CommandContract(
        "amldebug.invoke",
        InvokeParams,
        InvokeResult,
        True,
        "POST a request body to /score; a status that is not 2xx answers InvokeFailure.",
        f"{_LOOP}:invoke_command",
        (InvokeFailure,),
    ),
    CommandContract(
        "amldebug.reload",
        ReloadParams,
        ReloadResult,
        True,
        "Restart the workers so they load the edited entry script.",
        f"{_SERVER}:reload_command",
        (StartFailure,),
    ),
    CommandContract(
        "amldebug.logs",
        LogsParams,
        LogsResult,
        True,
        "The debug server's log.",
        f"{_SERVER}:logs_command",
    ),
    CommandContract(
        "amldebug.commit",
        CommitParams,
        CommitResult,
        True,
        "Save the container as an image.",
        f"{_LOOP}:commit_command",
    ),
    CommandContract(
        "amldebug.sync",
        SyncParams,
        SyncResult,
        True,
        "Files edited inside the container: preview, or copy them into the project.",
        f"{_LOOP}:sync_command",
    ),
    CommandContract(
        "amldebug.stop",
        StopParams,
        StopResult,
        True,
        "Stop the debug server (only one amldebug started), optionally remove its image.",
        f"{_SERVER}:stop_command",
    ),
    CommandContract(
        "amldebug.status",
        StatusParams,
        StatusResult,
        True,
        "The debug server's state; no engine is `state: none`, not an error.",
        f"{_SERVER}:status_command",
    ),
    CommandContract(
        "amldebug.pull",
        PullParams,
        PullResult,
        True,
        "Pull a base image.",
        f"{_SERVER}:pull_command",
    ),
    CommandContract(
        "amldebug.modelPath",
        ModelPathParams,
        ModelPathResult,
        True,
        "AZUREML_MODEL_DIR in the debug server and what is in it.",
        f"{_SERVER}:model_path_command",
    ),
    CommandContract(
        "amldebug.explain",
        ExplainParams,
        ExplainResult,
        False,
        "Known failures found in a deployment log (reads text, runs nothing).",
        f"{_TROUBLE}:explain_command",
    ),
    CommandContract(
        "amldebug.replicas",
        ReplicasParams,
        ReplicasResult,
        False,
        "AKS replicas for a load, or the load some replicas absorb (arithmetic only).",
        f"{_TROUBLE}:replicas_command",
    ),
)

COMMANDS: dict[str, CommandContract] = {contract.name: contract for contract in _CONTRACTS}
