"""Which folder is the project, and which files: one value, computed once per request and taken
as given by the diagnostics, the debug loop (build, run, up, sync) and the launch.json writer.

Three folders are in play when a project sits in a sub-folder of the workspace (`ws/` open in the
editor, the project in `ws/deploy/`):
- the workspace folder (`ws/`): path settings such as `amldebug.condaFile: deploy/env.yml` are
  relative to it, and its `.vscode/launch.json` is the one VS Code reads;
- the project folder (`ws/deploy/`): what is mounted onto the app root and served;
- the files the settings name, made absolute once (`ws/deploy/env.yml`).
Every caller that resolved one of these on its own sooner or later resolved it differently
(`ws/deploy/deploy/env.yml`; a launch.json in `ws/deploy/.vscode/`), so nobody does any more.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from amldebug.deployments import DeploymentIndex
from amldebug.project import ENTRY_SCRIPT_NAMES, Project, discover_project

WORKSPACE_FOLDER_VARIABLE = "${workspaceFolder}"


def setting_path(value: object, workspace_folder: Path | None) -> Path | None:
    """A path setting made absolute the way the editor means it: relative to the workspace
    folder (None when unset or not text)."""
    if not isinstance(value, str | Path) or not str(value).strip():
        return None
    path = Path(str(value).strip()).expanduser()
    if path.is_absolute() or workspace_folder is None:
        return path
    return workspace_folder / path


def containing_folder(path: Path, folders: Iterable[Path]) -> Path | None:
    """The innermost of `folders` that holds `path` (nested workspace folders: the inner one)."""
    best: Path | None = None
    for folder in folders:
        if path.is_relative_to(folder) and (best is None or len(folder.parts) > len(best.parts)):
            best = folder
    return best


@dataclass(frozen=True)
class ProjectTarget:
    workspace_folder: Path
    project_folder: Path
    entry_script: Path | None = None
    conda_file: Path | None = None
    steps_file: Path | None = None
    model_paths: tuple[Path, ...] = ()

    @property
    def subfolder(self) -> str:
        """The project folder inside the workspace folder, POSIX style ("" when they are one)."""
        try:
            relative = self.project_folder.absolute().relative_to(self.workspace_folder.absolute())
        except ValueError:
            return ""
        text = relative.as_posix()
        return "" if text == "." else text

    @property
    def local_root(self) -> str:
        """launch.json's `localRoot` for the mounted project folder: `${workspaceFolder}/deploy`."""
        return WORKSPACE_FOLDER_VARIABLE + (f"/{self.subfolder}" if self.subfolder else "")

    @property
    def launch_json_folder(self) -> Path:
        """The folder whose `.vscode/launch.json` VS Code reads for this project."""
        return self.workspace_folder

    def discover(
        self, *, base_image: str | None = None, index: DeploymentIndex | None = None
    ) -> Project:
        """The project in the project folder, with the files the settings name."""
        return discover_project(
            self.project_folder,
            entry_script=self.entry_script,
            conda_file=self.conda_file,
            steps_file=self.steps_file,
            model_paths=list(self.model_paths),
            base_image=base_image,
            index=index,
        )


def resolve_target(
    folder: Path,
    *,
    workspace_folder: Path | None = None,
    workspace_folders: Sequence[Path] = (),
    entry_script: object = None,
    conda_file: object = None,
    steps_file: object = None,
    model_paths: Iterable[object] = (),
) -> ProjectTarget:
    """The target for a command on `folder`.

    The workspace folder is `workspace_folder` when it holds `folder`, else the innermost of
    `workspace_folders` that does, else `folder` itself (a CLI run on a bare folder). Path
    settings are resolved against it. When `folder` is the workspace folder and holds no entry
    script but the entry script or conda file setting points into a sub-folder that does, that
    sub-folder is the project folder (a command run with no project file open acts on the
    project the settings name, as the diagnostics of that project's files do).
    """
    folder = folder.absolute()
    workspace = workspace_folder_of(folder, workspace_folder, workspace_folders)
    entry = setting_path(entry_script, workspace)
    conda = setting_path(conda_file, workspace)
    steps = setting_path(steps_file, workspace)
    models = tuple(p for p in (setting_path(m, workspace) for m in model_paths) if p is not None)
    project_folder = folder
    if folder == workspace and not _holds_entry_script(folder):
        project_folder = _named_subfolder(folder, entry, conda) or folder
    return ProjectTarget(workspace, project_folder, entry, conda, steps, models)


def workspace_folder_of(folder: Path, given: Path | None, known: Sequence[Path]) -> Path:
    """`given` when it is a folder holding `folder`, else the innermost of `known` that holds it,
    else `folder` itself."""
    folder = folder.absolute()
    if given is not None:
        given = given.absolute()
        if given.is_dir() and folder.is_relative_to(given):
            return given
    return containing_folder(folder, [Path(k).absolute() for k in known]) or folder


def _holds_entry_script(folder: Path) -> bool:
    return any((folder / name).is_file() for name in ENTRY_SCRIPT_NAMES)


def _named_subfolder(folder: Path, *named: Path | None) -> Path | None:
    for path in named:
        if path is None:
            continue
        parent = path.absolute().parent
        inside = parent != folder and parent.is_relative_to(folder) and parent.is_dir()
        if inside and (path.suffix == ".py" or _holds_entry_script(parent)):
            return parent
    return None
