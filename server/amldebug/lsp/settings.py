"""The editor settings the language server reads, and how they arrive.

Settings are per workspace folder (package.json declares them `resource`-scoped): in a multi-root
workspace `amldebug.condaFile: deploy/env.yml` in folder A says nothing about folder B. The server
pulls `workspace/configuration` once without a scope (the window's values, the fallback for files
outside every folder) and once per workspace folder with its `scopeUri`, as esbonio does, and
keeps them in `WorkspaceSettings`; the diagnostics of a document and the commands on a folder
both ask it for the settings of the folder that holds them.

Two ways in, one shape. `initializationOptions` is
`{"trusted": bool, "settings": {"entryScript": str, "condaFile": str, "select": [str],
"ignore": [str]}}`
and `workspace/configuration` for section `"amldebug"` (or a `workspace/didChangeConfiguration`
push of `{"amldebug": {...}}`) returns the same inner object. Dotted keys (`"amldebug.select"`)
and a nested `{"amldebug": {...}}` are accepted too, because clients differ in what they send.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from amldebug.analysis import RuleSelection
from amldebug.project_target import (
    ProjectTarget,
    containing_folder,
    resolve_target,
    setting_path,
    workspace_folder_of,
)

SECTION = "amldebug"


@dataclass(frozen=True)
class ServerSettings:
    # Relative paths are taken relative to the workspace folder that holds the document.
    entry_script: str | None = None
    conda_file: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    @property
    def selection(self) -> RuleSelection:
        return RuleSelection.parse(self.select, self.ignore)

    def explicit_path(self, value: str | None, workspace_root: Path | None) -> Path | None:
        """A setting's path made absolute against the workspace folder (None when unset)."""
        return setting_path(value, workspace_root)


@dataclass(frozen=True)
class WorkspaceSettings:
    """The settings of each workspace folder, and the window's for paths outside all of them."""

    window: ServerSettings = ServerSettings()
    folders: tuple[tuple[Path, ServerSettings], ...] = ()

    def folder_of(self, path: Path) -> Path | None:
        """The workspace folder (innermost) whose settings apply to `path`."""
        return containing_folder(path, (folder for folder, _ in self.folders))

    def for_path(self, path: Path) -> ServerSettings:
        """The settings that apply to a document or a project folder at `path`."""
        folder = self.folder_of(path)
        return dict(self.folders)[folder] if folder is not None else self.window


def configuration_items(folder_uris: Sequence[str]) -> list[types.ConfigurationItem]:
    """The `workspace/configuration` request: the window's values, then each folder's."""
    return [
        types.ConfigurationItem(section=SECTION),
        *(types.ConfigurationItem(scope_uri=uri, section=SECTION) for uri in folder_uris),
    ]


def workspace_folder_uris(ls: Any) -> list[tuple[str, Path]]:
    """The workspace folders (URI as the client spelled it, and path); the root URI when a
    client sent no folders."""
    try:
        workspace = ls.workspace
    except RuntimeError:  # before initialize
        return []
    uris = list(workspace.folders.keys()) or ([workspace.root_uri] if workspace.root_uri else [])
    return [(uri, Path(path)) for uri in uris if (path := to_fs_path(uri))]


async def pull_workspace_settings(ls: Any, fallback: WorkspaceSettings) -> WorkspaceSettings:
    """Ask the client for the settings of the window and of each workspace folder."""
    folders = workspace_folder_uris(ls)
    values = await ls.workspace_configuration_async(
        types.ConfigurationParams(items=configuration_items([uri for uri, _ in folders]))
    )
    return workspace_settings_from_configuration(
        values or [], [path for _, path in folders], fallback
    )


def workspace_settings_from_configuration(
    values: Sequence[Any], folders: Sequence[Path], fallback: WorkspaceSettings
) -> WorkspaceSettings:
    """What `workspace/configuration` answered for `configuration_scopes(folders)`: the unscoped
    item first, then one per folder. A `null` (a client without the section) keeps what
    `fallback` had for that scope, so initializationOptions still count."""
    window = parse_settings(values[0]) if values and isinstance(values[0], Mapping) else None
    window = window or fallback.window
    by_folder = []
    for position, folder in enumerate(folders, start=1):
        value = values[position] if position < len(values) else None
        if isinstance(value, Mapping):
            by_folder.append((folder, parse_settings(value)))
        else:
            by_folder.append((folder, fallback.for_path(folder)))
    return WorkspaceSettings(window, tuple(by_folder))


def parse_settings(raw: Any) -> ServerSettings:
    """Settings from whatever a client sent; unknown keys and wrong types are ignored."""
    values = _flatten(raw)
    return ServerSettings(
        entry_script=_as_text(values.get("entryScript")),
        conda_file=_as_text(values.get("condaFile")),
        select=_as_codes(values.get("select")),
        ignore=_as_codes(values.get("ignore")),
    )


def command_target(ls: Any, folder: Path, options: Mapping[str, Any]) -> ProjectTarget:
    """The project target of a command on `folder`: its workspace folder (`workspaceFolder`
    when it holds `folder`, else the server's innermost folder that does), and the path settings
    of that workspace folder as the diagnostics see them. A path the client passed with the
    command (`condaFile`, `entryScript`, `stepsFile`, `models`) wins over the setting."""
    roots = ls.workspace_roots() if ls is not None and hasattr(ls, "workspace_roots") else []
    given = options.get("workspaceFolder")
    workspace = workspace_folder_of(
        folder, Path(given) if isinstance(given, str) and given else None, roots
    )
    settings = (
        ls.settings_for(workspace) if ls is not None and hasattr(ls, "settings_for") else None
    ) or ServerSettings()
    models = options.get("models")
    return resolve_target(
        folder,
        workspace_folder=workspace,
        entry_script=options.get("entryScript") or settings.entry_script,
        conda_file=options.get("condaFile") or settings.conda_file,
        steps_file=options.get("stepsFile"),
        model_paths=models if isinstance(models, list) else (),
    )


def _flatten(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        return {}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            continue
        if key == SECTION and isinstance(value, Mapping):
            values.update(_flatten(value))
        elif key.startswith(SECTION + "."):
            values[key[len(SECTION) + 1 :]] = value
        else:
            values[key] = value
    return values


def _as_text(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _as_codes(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple):
        return ()
    return tuple(str(item).strip().upper() for item in value if str(item).strip())
