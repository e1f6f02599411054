"""One guarded reader for every file the tool reads because a project file names it.

A cloned repository decides what `conda_file:` or `code:` points at, so the reader must not trust
it: `/dev/zero` would read until memory runs out, `/dev/stdin` or a FIFO would block (the language
server would read its own JSON-RPC pipe), and `../../secret` would leak a host file into analysis or
an image. Only regular files inside the project, up to a size cap, decoded as UTF-8; every failure
becomes a sentence in `problem`, never an exception.
"""

from __future__ import annotations

import contextlib
import errno
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


class WriteRefused(Exception):
    """A write into the project that would leave it or go through a symlink."""


def write_inside(root: Path, relative: str, data: bytes) -> Path:
    """Write `data` to `root/relative` atomically, never leaving `root`.

    Every component is opened relative to its parent with O_NOFOLLOW, so neither a symlinked folder
    (planted by a container with the project mounted, or shipped in a repository) nor a symlinked
    file is followed, and a component swapped for a symlink meanwhile fails instead of redirecting
    the write. Missing folders are created. Raises WriteRefused (with a sentence) or OSError.
    """
    parts = relative.split("/")
    if not parts or any(part in ("", ".", "..") for part in parts) or relative.startswith("/"):
        raise WriteRefused(f"{relative!r} is not a plain relative path")
    directory_flags = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    current = os.open(root, directory_flags)
    try:
        for index, part in enumerate(parts[:-1]):
            try:
                child = os.open(part, directory_flags | nofollow, dir_fd=current)
            except FileNotFoundError:
                os.mkdir(part, 0o755, dir_fd=current)
                child = os.open(part, directory_flags | nofollow, dir_fd=current)
            except OSError as error:  # ELOOP or ENOTDIR: a symlink, or a file, in the way
                where = "/".join(parts[: index + 1])
                raise WriteRefused(_component_problem(where, part, current, error)) from None
            os.close(current)
            current = child
        name = parts[-1]
        try:
            existing = os.lstat(name, dir_fd=current)
        except FileNotFoundError:
            existing = None
        if existing is not None and not stat.S_ISREG(existing.st_mode):
            raise WriteRefused(f"{relative} is {_kind_of(existing.st_mode)}; not replaced")
        temporary = f".{name}.amldebug-write"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | nofollow | getattr(os, "O_CLOEXEC", 0)
        mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o644
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary, dir_fd=current)
        descriptor = os.open(temporary, flags, mode, dir_fd=current)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
            os.replace(temporary, name, src_dir_fd=current, dst_dir_fd=current)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=current)
            raise
    finally:
        os.close(current)
    return root / relative


def _component_problem(where: str, part: str, parent: int, error: OSError) -> str:
    try:
        mode = os.lstat(part, dir_fd=parent).st_mode
    except OSError:
        mode = 0
    if stat.S_ISLNK(mode):
        return f"{where} is a symlink; amldebug does not write through it"
    if error.errno in (errno.ENOTDIR, errno.ELOOP):
        return f"{where} is not a folder"
    return f"cannot open {where}: {error.strerror or error}"


def _kind_of(mode: int) -> str:
    return "a symlink" if stat.S_ISLNK(mode) else _kind(mode)
