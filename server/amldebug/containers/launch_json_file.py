"""`.vscode/launch.json` on disk: read and write it safely, merging with launch_config.py.

A cloned repository decides what `.vscode/launch.json` is: a symlink to a user's settings file, a
loop, a FIFO, a read-only file. We write only a regular file inside the folder, atomically, and
never over a concurrent save.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amldebug.containers.launch_config import merge_launch_config
from amldebug.errors import AmlDebugError
from amldebug.project_files import inside, read_project_bytes

LAUNCH_JSON_RELATIVE_PATH = Path(".vscode") / "launch.json"


@dataclass(frozen=True)
class LaunchConfigResult:
    path: Path
    created: bool
    updated: bool
    changed: bool
    text: str


# A launch.json is a few KB; anything huge is not one to merge into.
MAX_LAUNCH_JSON_BYTES = 1_000_000


def launch_json_path(folder: Path | str) -> Path:
    return Path(folder) / LAUNCH_JSON_RELATIVE_PATH


def read_launch_json(folder: Path | str) -> tuple[Path, bytes | None]:
    """The file to write for `<folder>/.vscode/launch.json` and its bytes (None: absent).

    Raises AmlDebugError when the path leads outside the folder (a symlinked launch.json or
    .vscode, as a cloned repository can ship to make us rewrite a user's settings), loops, or is
    not a regular file of sensible size.
    """
    root = Path(folder)
    path = launch_json_path(root)
    try:
        target = path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        raise AmlDebugError(
            f"{path} is a symlink loop; nothing was changed.",
            hint="Remove the symlink, then run again.",
        ) from None
    if not inside(target, root):
        raise AmlDebugError(
            f"{path} leads outside {root} (to {target}); amldebug does not write there.",
            hint="Replace the symlink with a regular file inside the folder, then run again.",
        )
    if not os.path.lexists(target):
        return target, None
    read = read_project_bytes(target, root=root, max_bytes=MAX_LAUNCH_JSON_BYTES)
    if read.data is None:
        raise AmlDebugError(f"Cannot use {path}: {read.problem}. Nothing was changed.")
    return target, read.data


def write_launch_config(folder: Path | str, configuration: dict[str, Any]) -> LaunchConfigResult:
    """Merge `configuration` into `<folder>/.vscode/launch.json` and write it atomically.

    Raises AmlDebugError, leaving the file as it was, when it cannot be parsed (the message names
    line and column) or when someone else changed it while we were merging.
    """
    path = launch_json_path(folder)
    target, original_bytes = read_launch_json(folder)
    original_text: str | None = None
    if original_bytes is not None:
        try:
            original_text = original_bytes.decode("utf-8")
        except UnicodeDecodeError as error:
            raise AmlDebugError(
                f"{path} is not UTF-8 text (byte {error.start}); nothing was changed.",
                hint="Save it as UTF-8 in the editor and run again.",
            ) from error
    edit = merge_launch_config(original_text, configuration)
    if edit.error is not None:
        raise AmlDebugError(
            f"{path}:{edit.error.line}:{edit.error.column}: cannot parse launch.json: "
            f"{edit.error.message}. Nothing was changed.",
            hint="Fix the file there (or move it away to get a new one), then run again.",
        )
    assert edit.text is not None
    if not edit.changed:
        return LaunchConfigResult(path, False, False, False, edit.text)
    _write_if_unchanged(target, original_bytes, edit.text)
    return LaunchConfigResult(path, edit.created, edit.updated, True, edit.text)


def _write_if_unchanged(path: Path, expected: bytes | None, text: str) -> None:
    """Write `text` through a temporary file and a rename, unless `path` no longer holds
    `expected` (None: did not exist), so an editor's concurrent save is never overwritten."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise AmlDebugError(f"Cannot create {path.parent}: {error.strerror or error}") from error
    mode = 0o644  # a new launch.json is as readable as any file the editor creates
    with contextlib.suppress(OSError):
        mode = path.stat().st_mode & 0o777
    if not mode & 0o200:
        raise AmlDebugError(
            f"{path} is read-only; nothing was changed.",
            hint="Make it writable if amldebug may edit it, then run again.",
        )
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=".launch.json.", dir=path.parent)
    except OSError as error:  # a read-only .vscode: name the folder, not our temporary file
        raise AmlDebugError(
            f"Cannot write {path}: the folder {path.parent} is not writable "
            f"({error.strerror or error}); nothing was changed.",
            hint="Make the folder writable if amldebug may edit launch.json, then run again.",
        ) from error
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        try:
            current: bytes | None = path.read_bytes()
        except FileNotFoundError:
            current = None
        if current != expected:
            raise AmlDebugError(
                f"{path} changed while amldebug was editing it; nothing was written.",
                hint="Save or close it in the editor and run again.",
            )
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
