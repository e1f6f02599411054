"""The project a debug-loop request is about: one `ProjectTarget` (project_target.py) holding the
project folder, the workspace folder whose launch.json VS Code reads, and the files named.

The editor's adapter resolves it with the settings of the workspace folder and hands it over in
the request; otherwise it is resolved here: paths from the command line relative to the current
folder, paths from the editor relative to its workspace folder.
"""

from __future__ import annotations

from pathlib import Path

from amldebug.debug_loop.options import DebugLoopRequest
from amldebug.errors import UsageError
from amldebug.project import Project, discover_project
from amldebug.project_target import ProjectTarget, resolve_target


def target_of(request: DebugLoopRequest) -> ProjectTarget:
    if request.target is not None:
        return request.target
    folder = Path(request.folder or ".")
    if not folder.exists():
        raise UsageError(f"The folder {folder} does not exist.")

    def named(value: str | None) -> str | Path | None:
        if not value or request.origin == "editor":
            return value  # the editor's: relative to the workspace folder
        return Path(value).expanduser().absolute()

    return resolve_target(
        folder,
        workspace_folder=Path(request.workspace_folder) if request.workspace_folder else None,
        entry_script=named(request.entry_script),
        conda_file=named(request.conda_file),
        steps_file=named(request.steps_file),
        model_paths=[named(m) for m in request.models],
    )


def project_for(request: DebugLoopRequest) -> Project:
    """The project of `request`, discovered in its folder with the files it names."""
    return target_of(request).discover(base_image=request.base_image or None)


def optional_project(request: DebugLoopRequest) -> Project | None:
    """The project when the request names an existing folder (to map a traceback to local
    lines); None otherwise."""
    if request.target is not None:
        return request.target.discover()
    if request.folder is None or not Path(request.folder).exists():
        return None
    return discover_project(Path(request.folder))
