"""`sync`: compare the container's /var/azureml-app with the project and bring container edits in.

Which side changed a file is decided by content, never by timestamps: the baseline of a file is
what the container started from (the image's copy; nothing for a file the container added), or what
an earlier `sync --apply` brought in. A file the container changed while the local copy still equals
the baseline is applied; one changed on both sides is a conflict, applied only with `force`; one
changed only locally is never touched. Writes stay inside the project and never go through a
symlink (`project_files.write_inside`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import stat
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from amldebug.containers.docker_engine import DockerEngine
from amldebug.project import CONTAINER_APP_ROOT, Project
from amldebug.project_files import WriteRefused, write_inside

SKIPPED_SYNC_DIRS = frozenset(
    {"__pycache__", ".git", ".vscode", ".amldebug", ".mypy_cache", ".pytest_cache"}
)
# Code, not data: a bigger file in the app root is listed but never copied into the project.
MAX_SYNC_FILE_BYTES = 50_000_000

# Statuses, in the order a person reads them.
CONTAINER_MODIFIED = "modified"  # changed in the container; the local copy is the baseline
CONTAINER_ONLY = "container-only"  # added in the container
CONFLICT = "conflict"  # changed on both sides: applied only with force
LOCAL_MODIFIED = "local-modified"  # changed only locally: never applied
LOCAL_ONLY = "local-only"  # only in the project (models live outside the app root)
NOT_COPIED = "not-copied"  # in the container but not a file sync copies (too big, a symlink)


@dataclass(frozen=True)
class SyncChange:
    path: str  # relative to the app root / project root
    status: str


@dataclass(frozen=True)
class SyncResult:
    changed: tuple[SyncChange, ...]
    applied: tuple[str, ...]
    skipped: tuple[str, ...]  # conflicts left alone (use --force)
    refused: tuple[str, ...] = ()  # "path: why", writes that would leave the project


# --- Deciding (pure) ------------------------------------------------------------------------


def plan_sync(
    remote: Mapping[str, bytes],
    local: Mapping[str, bytes],
    container_changed: frozenset[str],
    baseline: Mapping[str, str | None],
) -> list[SyncChange]:
    """What differs and which side changed it.

    `remote`, `local`: file contents by relative path. `container_changed`: paths the container's
    layer changed or added (docker diff). `baseline`: the sha256 each of those started from (None:
    the container added it); a path missing here has an unknown baseline, so a local difference is
    a conflict.
    """
    changes: list[SyncChange] = []
    for relative in sorted(remote):
        data = remote[relative]
        mine = local.get(relative)
        if mine == data:
            continue
        if relative not in container_changed:
            # The container still has what it started with: the difference is a local edit.
            changes.append(SyncChange(relative, LOCAL_MODIFIED if mine is not None else LOCAL_ONLY))
            continue
        started = baseline.get(relative, "unknown")
        if mine is None:
            status = CONTAINER_ONLY if started is None else CONFLICT
        elif started is not None and started == _digest(mine):
            status = CONTAINER_MODIFIED
        else:
            status = CONFLICT
        changes.append(SyncChange(relative, status))
    changes.extend(SyncChange(r, LOCAL_ONLY) for r in sorted(set(local) - set(remote)))
    return changes


# --- The Docker and file adapter ------------------------------------------------------------


def sync_container(
    engine: DockerEngine, name: str, project: Project, *, apply: bool = False, force: bool = False
) -> SyncResult:
    """Compare the container's app root with the project; `apply` brings container edits in."""
    container = engine.container(name)
    remote, too_big = _app_root_files(engine.get_archive(name, CONTAINER_APP_ROOT))
    root = project.root
    local = _local_files(root)
    changed_paths = _container_changed(container)
    state = _SyncState.load(container.id)
    baseline: dict[str, str | None] = {}
    wanted = [p for p in changed_paths if p in remote and local.get(p) != remote[p]]
    image_files = _image_files(engine, container, wanted) if wanted else {}
    for relative in changed_paths:
        if relative in state.applied:
            baseline[relative] = state.applied[relative]
        elif relative in image_files:
            baseline[relative] = image_files[relative]
    changes = plan_sync(remote, local, changed_paths, baseline)
    changes.extend(SyncChange(p, NOT_COPIED) for p in too_big)
    applied: list[str] = []
    skipped: list[str] = []
    refused: list[str] = []
    if apply:
        for change in changes:
            if change.status == CONFLICT and not force:
                skipped.append(change.path)
                continue
            if change.status not in (CONTAINER_MODIFIED, CONTAINER_ONLY, CONFLICT):
                continue
            try:
                write_inside(root, change.path, remote[change.path])
            except (WriteRefused, OSError) as error:
                refused.append(f"{change.path}: {error}")
                continue
            applied.append(change.path)
            state.applied[change.path] = _digest(remote[change.path])
        if applied:
            state.save()
    return SyncResult(tuple(changes), tuple(applied), tuple(skipped), tuple(refused))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _relative_parts(member_name: str) -> tuple[str, ...] | None:
    """The path under the app root of an archive member, or None when sync skips it."""
    parts = PurePosixPath(member_name).parts
    prefix = PurePosixPath(CONTAINER_APP_ROOT).name
    if parts and parts[0] == prefix:
        parts = parts[1:]
    if not parts or any(p in ("..", "/", "") for p in parts):
        return None
    if any(p in SKIPPED_SYNC_DIRS for p in parts) or parts[-1].endswith(".pyc"):
        return None
    return parts


def _app_root_files(archive: bytes) -> tuple[dict[str, bytes], list[str]]:
    files: dict[str, bytes] = {}
    too_big: list[str] = []
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            parts = _relative_parts(member.name)
            if parts is None:
                continue
            relative = "/".join(parts)
            if member.issym() or member.islnk():
                too_big.append(relative)  # a link is not content to copy into the project
                continue
            if not member.isfile():
                continue
            if member.size > MAX_SYNC_FILE_BYTES:
                too_big.append(relative)
                continue
            handle = tar.extractfile(member)
            if handle is not None:
                files[relative] = handle.read()
    return files, too_big


def _local_files(root: Path) -> dict[str, bytes]:
    """Regular files of the project, without following symlinks (nor reading FIFOs or devices)."""
    found: dict[str, bytes] = {}
    for base, folders, names in os.walk(root, followlinks=False):
        folders[:] = [f for f in folders if f not in SKIPPED_SYNC_DIRS]
        for name in names:
            if name.endswith(".pyc"):
                continue
            path = Path(base) / name
            try:
                info = path.lstat()
                if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_SYNC_FILE_BYTES:
                    continue
                found[path.relative_to(root).as_posix()] = path.read_bytes()
            except OSError:
                continue
    return found


def _container_changed(container: Any) -> frozenset[str]:
    """App-root paths the container's writable layer added or modified (docker diff)."""
    prefix = CONTAINER_APP_ROOT.rstrip("/") + "/"
    changed = set()
    for entry in container.diff() or ():
        path = str(entry.get("Path", ""))
        if entry.get("Kind") in (0, 1) and path.startswith(prefix):
            changed.add(path[len(prefix) :])
    return frozenset(changed)


def _image_files(engine: DockerEngine, container: Any, wanted: list[str]) -> dict[str, str | None]:
    """The sha256 of each wanted path in the image the container started from (None: absent).

    A created, never started container gives the image's files without running anything.
    """
    image = container.attrs.get("Image") or container.attrs.get("Config", {}).get("Image")
    found: dict[str, str | None] = {}
    try:
        probe = engine.client.containers.create(image, command=["true"], entrypoint=[])
    except Exception:  # the image is gone: baselines stay unknown, so differences are conflicts
        return found
    try:
        chunks, _ = probe.get_archive(CONTAINER_APP_ROOT)
        files, _ = _app_root_files(b"".join(chunks))
        for relative in wanted:
            found[relative] = _digest(files[relative]) if relative in files else None
    except Exception:
        return {}
    finally:
        with contextlib.suppress(Exception):
            probe.remove(force=True)
    return found


@dataclass
class _SyncState:
    """What `sync --apply` brought in per container (sha256 by path): the next baseline."""

    path: Path
    applied: dict[str, str]

    @classmethod
    def load(cls, container_id: str) -> _SyncState:
        from amldebug.containers.process_runtime import cache_dir

        path = cache_dir() / "sync" / f"{container_id}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            applied = {str(k): str(v) for k, v in dict(data.get("applied", {})).items()}
        except (OSError, ValueError, TypeError, AttributeError):
            applied = {}
        return cls(path, applied)

    def save(self) -> None:
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".sync.")
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump({"applied": self.applied}, handle)
            os.replace(temporary, self.path)
