"""One guarded reader for every file the tool reads because a project file names it.

A cloned repository decides what `conda_file:` or `code:` points at, so the reader must not trust
it: `/dev/zero` would read until memory runs out, `/dev/stdin` or a FIFO would block (the language
server would read its own JSON-RPC pipe), and `../../secret` would leak a host file into analysis or
an image. Only regular files inside the project, up to a size cap, decoded as UTF-8; every failure
becomes a sentence in `problem`, never an exception.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

# What analysis reads of a sibling file (conda file, requirements, Dockerfile.steps).
DEFAULT_MAX_BYTES = 2_000_000


@dataclass(frozen=True)
class ProjectFileRead:
    text: str | None = None
    problem: str | None = None  # why there is no text, as a sentence for the user


def inside(path: Path, root: Path) -> bool:
    """Whether `path`, with every symlink resolved, is `root` or under it."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return False


@dataclass(frozen=True)
class ProjectFileBytes:
    data: bytes | None = None
    problem: str | None = None


def read_project_file(
    path: Path, *, root: Path | None, max_bytes: int, allow_outside: bool = False
) -> ProjectFileRead:
    """The text of a file a project names, or the reason it was not read.

    `root`: the project folder the file must resolve inside (None: no such limit).
    `allow_outside`: the user named the file on the command line, so it may be anywhere.
    Text is UTF-8 (invalid bytes replaced) without a leading byte-order mark; files with NUL bytes
    are binary and refused.
    """
    raw = read_project_bytes(path, root=root, max_bytes=max_bytes, allow_outside=allow_outside)
    if raw.data is None:
        return ProjectFileRead(problem=raw.problem)
    if b"\x00" in raw.data:
        return ProjectFileRead(problem=f"{path} is a binary file (it contains NUL bytes); not read")
    # utf-8-sig drops a leading byte-order mark, which Windows editors write and Python accepts.
    return ProjectFileRead(text=raw.data.decode("utf-8-sig", errors="replace"))


def read_project_bytes(
    path: Path, *, root: Path | None, max_bytes: int, allow_outside: bool = False
) -> ProjectFileBytes:
    """The bytes of a file a project names, with the checks of `read_project_file`."""
    if root is not None and not allow_outside and not inside(path, root):
        return ProjectFileBytes(problem=f"{path} is outside the project folder {root}; not read")
    try:
        before = os.stat(path)
    except OSError as error:
        return ProjectFileBytes(problem=_os_problem(path, error))
    if not stat.S_ISREG(before.st_mode):
        return ProjectFileBytes(problem=f"{path} is not a regular file ({_kind(before.st_mode)})")
    if before.st_size > max_bytes:
        return ProjectFileBytes(problem=_too_big(path, max_bytes))
    # Non-blocking: if the path was swapped for a FIFO since the stat, open() must not wait for a
    # writer. The fstat below then judges what was really opened.
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        return ProjectFileBytes(problem=_os_problem(path, error))
    try:
        opened = os.fstat(descriptor)
        if not stat.S_ISREG(opened.st_mode):
            return ProjectFileBytes(
                problem=f"{path} is not a regular file ({_kind(opened.st_mode)})"
            )
        data = _read_at_most(descriptor, max_bytes + 1)
    except OSError as error:
        return ProjectFileBytes(problem=_os_problem(path, error))
    finally:
        os.close(descriptor)
    if len(data) > max_bytes:
        return ProjectFileBytes(problem=_too_big(path, max_bytes))
    return ProjectFileBytes(data=data)


def _read_at_most(descriptor: int, limit: int) -> bytes:
    chunks = []
    remaining = limit
    while remaining > 0:
        chunk = os.read(descriptor, min(remaining, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _too_big(path: Path, max_bytes: int) -> str:
    return f"{path} is larger than {max_bytes:,} bytes; not read"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def _os_problem(path: Path, error: OSError) -> str:
    reason = error.strerror or type(error).__name__
    return f"cannot read {path}: {reason}"
