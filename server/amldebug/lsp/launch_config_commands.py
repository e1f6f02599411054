"""`amldebug.launchConfig`: the attach entry merged into the launch.json VS Code reads (the
workspace folder's), mapping the project folder, for the editor to apply as one undoable edit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from amldebug.debug_loop.runtime import choose_runtime
from amldebug.errors import AmlDebugError
from amldebug.lsp.command_helpers import (
    Handler,
    number_option,
    project_target,
    refusal,
    trusted,
)


def launch_config_edit(
    project_folder: Path, workspace: Path, runtime: str, debug_port: int
) -> dict[str, Any]:
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
        return {
            "ok": False,
            "error": f"{path}:{edit.error.line}:{edit.error.column}: cannot parse launch.json: "
            f"{edit.error.message}. Nothing was changed.",
            "hint": "Fix the file there (or move it away to get a new one), then run again.",
            "path": str(path),
        }
    return {
        "ok": True,
        "path": str(path),
        "created": edit.created,
        "updated": edit.updated,
        "changed": edit.changed,
        "text": edit.text,
    }


def launch_config_command(ls: Any, options: dict[str, Any]) -> dict[str, Any]:
    """The merged launch.json text for the editor to apply (written only with `write: true`)."""
    from amldebug.containers.launch_config import debug_configuration
    from amldebug.containers.launch_json_file import write_launch_config

    target = project_target(ls, options)  # the workspace folder's launch.json, its sub-folder
    runtime = str(options.get("runtime") or "docker")
    if runtime == "auto":
        runtime = choose_runtime("auto").name
    debug_port = number_option(options, "debugPort", 5678, int)
    configuration = debug_configuration(runtime, debug_port, project_subfolder=target.subfolder)
    if options.get("write") is True:
        if not trusted(ls, options):  # writing a file on the project's behalf needs trust
            return refusal("write launch.json")
        written = write_launch_config(target.launch_json_folder, configuration)
        return {
            "ok": True,
            "path": str(written.path),
            "created": written.created,
            "updated": written.updated,
            "text": written.text,
        }
    return launch_config_edit(target.project_folder, target.launch_json_folder, runtime, debug_port)


LAUNCH_CONFIG_COMMANDS: dict[str, Handler] = {"amldebug.launchConfig": launch_config_command}
