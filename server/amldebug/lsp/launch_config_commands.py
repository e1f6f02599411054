"""`amldebug.launchConfig`: the attach entry merged into the launch.json VS Code reads (the
workspace folder's), mapping the project folder, for the editor to apply as one undoable edit.
Trust is the dispatch's (the registry says this command needs it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from amldebug.debug_loop.runtime import choose_runtime
from amldebug.errors import AmlDebugError
from amldebug.lsp.command_helpers import project_target
from amldebug.lsp.contract.debug_loop import (
    LaunchConfigFailure,
    LaunchConfigParams,
    LaunchConfigResult,
)
from amldebug.lsp.contract.wire import encode


def launch_config_edit(
    project_folder: Path, workspace: Path, runtime: str, debug_port: int
) -> LaunchConfigResult | LaunchConfigFailure:
    """The merged text of the workspace folder's launch.json (the one VS Code reads), its entry
    mapping the project folder, computed but not written."""
    from amldebug.containers.launch_config import debug_configuration, merge_launch_config
    from amldebug.containers.launch_json_file import launch_json_path, read_launch_json

    path = launch_json_path(workspace)
    _, existing_bytes = read_launch_json(workspace)  # refuses a symlink leading out of the folder
    try:
        existing = existing_bytes.decode("utf-8") if existing_bytes is not None else None
    except UnicodeDecodeError as error:
        raise AmlDebugError(f"Cannot read {path}: {error}") from None
    subfolder = project_folder.absolute().relative_to(workspace.absolute()).as_posix()
    configuration = debug_configuration(
        runtime, debug_port, project_subfolder="" if subfolder == "." else subfolder
    )
    edit = merge_launch_config(existing, configuration)
    if edit.error is not None:
        return LaunchConfigFailure(
            error=f"{path}:{edit.error.line}:{edit.error.column}: cannot parse launch.json: "
            f"{edit.error.message}. Nothing was changed.",
            hint="Fix the file there (or move it away to get a new one), then run again.",
            path=str(path),
        )
    return LaunchConfigResult(
        path=str(path),
        created=edit.created,
        updated=edit.updated,
        changed=edit.changed,
        text=edit.text or "",
    )


def launch_config_command(
    ls: Any, params: LaunchConfigParams
) -> LaunchConfigResult | LaunchConfigFailure:
    """The merged launch.json text for the editor to apply (written only with `write: true`)."""
    from amldebug.containers.launch_config import debug_configuration
    from amldebug.containers.launch_json_file import write_launch_config

    # The workspace folder's launch.json, and the project's sub-folder in it.
    target = project_target(ls, encode(params))
    runtime: str = params.runtime or "docker"
    if runtime == "auto":
        runtime = choose_runtime("auto").name
    debug_port = params.debug_port or 5678
    if params.write is not True:
        return launch_config_edit(
            target.project_folder, target.launch_json_folder, runtime, debug_port
        )
    configuration = debug_configuration(runtime, debug_port, project_subfolder=target.subfolder)
    written = write_launch_config(target.launch_json_folder, configuration)
    return LaunchConfigResult(
        path=str(written.path),
        created=written.created,
        updated=written.updated,
        text=written.text,
    )
