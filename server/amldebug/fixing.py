"""Applying quick fixes to files on disk (`amldebug check --fix`).

Only fixes of kind "quickfix" are ever applied; "refactor" fixes change behaviour on purpose and
stay editor-only. Edits are computed against a snapshot of each file; a file whose bytes changed
on disk since that snapshot is left alone, and every write goes through a temporary file and a
rename so a crash never leaves half a file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from amldebug.diagnostics import Diagnostic, Fix, Position, TextEdit, apply_edits

# Files larger than this are neither analysed in full nor rewritten.
MAX_FIXABLE_BYTES = 8_000_000
_BOM = "\ufeff"


@dataclass(frozen=True)
class FileSnapshot:
    """One file's bytes as read at one moment; `text` is None when it must not be rewritten."""

    path: Path
    data: bytes | None  # None: the file does not exist (or could not be read, see `error`)
    # strict UTF-8 text of `data` without a leading byte-order mark (editors hide it and Python
    # ignores it; kept, analysis would see a stray character); None for binary, undecodable or
    # unreadable
    text: str | None
    error: str | None = None
    bom: bool = False  # `data` starts with a UTF-8 byte-order mark, which a rewrite keeps

    @property
    def exists(self) -> bool:
        return self.data is not None


def canonical_path(path: Path) -> Path:
    """The path a file is known by in snapshots and overlays (absolute, symlinks resolved)."""
    try:
        return path.expanduser().resolve()
    except (OSError, RuntimeError):
        return path.expanduser().absolute()


def read_snapshot(path: Path, *, max_bytes: int = MAX_FIXABLE_BYTES) -> FileSnapshot:
    path = canonical_path(path)
    try:
        # Non-blocking: a FIFO a project names (its conda file, say) would block the open itself.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return FileSnapshot(path, None, None)
    except OSError as error:
        return FileSnapshot(path, None, None, error.strerror or str(error))
    try:
        with os.fdopen(descriptor, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                return FileSnapshot(path, None, None, "not a regular file")
            data = stream.read(max_bytes + 1)
    except OSError as error:
        return FileSnapshot(path, None, None, error.strerror or str(error))
    if len(data) > max_bytes or b"\x00" in data:
        return FileSnapshot(path, data, None)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return FileSnapshot(path, data, None)
    if text.startswith(_BOM):
        return FileSnapshot(path, data, text[1:], bom=True)
    return FileSnapshot(path, data, text)


def chosen_fix(diagnostic: Diagnostic) -> Fix | None:
    """The quick fix `--fix` applies for a diagnostic: the preferred one, else the first."""
    quickfixes = [fix for fix in diagnostic.fixes if fix.kind == "quickfix"]
    preferred = [fix for fix in quickfixes if fix.preferred]
    candidates = preferred or quickfixes
    return candidates[0] if candidates else None


def edit_target(edit: TextEdit, diagnostic: Diagnostic) -> Path | None:
    """The file an edit changes: its own `path`, else the diagnostic's file."""
    if edit.path is not None:
        target = edit.path
        if not target.is_absolute() and diagnostic.path is not None:
            # A relative cross-file edit is read as relative to the diagnostic's folder.
            target = diagnostic.path.absolute().parent / target
        return canonical_path(target)
    return canonical_path(diagnostic.path) if diagnostic.path is not None else None


def _overlaps(a: TextEdit, b: TextEdit) -> bool:
    a_start, a_end, b_start, b_end = a.range.start, a.range.end, b.range.start, b.range.end
    if a_start == b_start:
        # Two inserts at one point would land in an arbitrary order.
        return True
    if a_start < b_end and b_start < a_end:
        return True

    def inside(point: Position, start: Position, end: Position) -> bool:
        return start < point < end

    return inside(a_start, b_start, b_end) or inside(b_start, a_start, a_end)


@dataclass
class FixPlan:
    """Edits per file from the fixes that can be applied together in one round."""

    edits: dict[Path, list[TextEdit]] = field(default_factory=dict)
    fixed: list[Diagnostic] = field(default_factory=list)
    deferred: list[Diagnostic] = field(default_factory=list)  # overlapping: retried next round


def plan_fixes(
    diagnostics: Iterable[Diagnostic],
    snapshots: MutableMapping[Path, FileSnapshot],
    *,
    frozen: frozenset[Path] = frozenset(),
) -> FixPlan:
    """Pick, in diagnostic order, every quick fix whose edits overlap no fix picked before.

    Files in `frozen` (changed by someone else during this run) are never planned for; files not
    yet in `snapshots` are read and added, so the write can later check they did not change.
    """
    plan = FixPlan()
    accepted_fixes: set[tuple[tuple[Path, TextEdit], ...]] = set()
    for diagnostic in diagnostics:
        fix = chosen_fix(diagnostic)
        if fix is None or not fix.edits:
            continue
        targeted: list[tuple[Path, TextEdit]] = []
        usable = True
        for edit in fix.edits:
            target = edit_target(edit, diagnostic)
            if target is None or target in frozen:
                usable = False
                break
            if target not in snapshots:
                snapshots[target] = read_snapshot(target)
            snapshot = snapshots[target]
            if snapshot.text is None and (snapshot.exists or snapshot.error):
                usable = False  # binary, undecodable, huge or unreadable: never rewritten
                break
            targeted.append((target, TextEdit(edit.range, edit.new_text)))
        if not usable:
            continue
        key = tuple(sorted(targeted, key=lambda item: (str(item[0]), item[1].range.start)))
        if key in accepted_fixes:
            # Another diagnostic asked for the very same change (one `global` for two reads).
            plan.fixed.append(diagnostic)
            continue
        if any(
            _overlaps(edit, other)
            for target, edit in targeted
            for other in plan.edits.get(target, ())
        ) or _self_overlapping(targeted):
            plan.deferred.append(diagnostic)
            continue
        accepted_fixes.add(key)
        for target, edit in targeted:
            plan.edits.setdefault(target, []).append(edit)
        plan.fixed.append(diagnostic)
    return plan


def _self_overlapping(targeted: list[tuple[Path, TextEdit]]) -> bool:
    for index, (target, edit) in enumerate(targeted):
        for other_target, other in targeted[index + 1 :]:
            if target == other_target and _overlaps(edit, other):
                return True
    return False


@dataclass
class WriteOutcome:
    written: list[Path] = field(default_factory=list)
    changed_on_disk: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


def write_planned_edits(
    plan: FixPlan, snapshots: MutableMapping[Path, FileSnapshot]
) -> WriteOutcome:
    """Apply each file's planned edits to its snapshot text and write the result atomically."""
    outcome = WriteOutcome()
    for target, edits in plan.edits.items():
        snapshot = snapshots[target]
        before = snapshot.text if snapshot.text is not None else ""
        after = apply_edits(before, in_line_ending_of(before, edits))
        if after == before:
            continue
        on_disk = _BOM + after if snapshot.bom else after
        try:
            written = write_if_unchanged(target, on_disk, expected=snapshot.data)
        except OSError as error:
            outcome.failed.append((target, error.strerror or str(error)))
            continue
        if written:
            outcome.written.append(target)
            snapshots[target] = FileSnapshot(
                target, on_disk.encode("utf-8"), after, bom=snapshot.bom
            )
        else:
            outcome.changed_on_disk.append(target)
    return outcome


def in_line_ending_of(text: str, edits: list[TextEdit]) -> list[TextEdit]:
    """`edits` with their line breaks written as `text` writes its own: a fix inserting "\n"
    into a CRLF file would leave it with mixed line endings (the first line break decides, as
    editors do)."""
    first = text.find("\n")
    if first <= 0 or text[first - 1] != "\r":
        return edits
    return [
        replace(edit, new_text=edit.new_text.replace("\r\n", "\n").replace("\n", "\r\n"))
        for edit in edits
    ]


def write_if_unchanged(path: Path, text: str, *, expected: bytes | None) -> bool:
    """Replace `path` with `text` unless its bytes differ from `expected` (None: must not exist).

    Returns False, writing nothing, when the file changed since it was read.
    """
    current = read_snapshot(path, max_bytes=max(MAX_FIXABLE_BYTES, len(expected or b"")))
    if current.data != expected or current.error:
        return False
    write_atomically(path, text.encode("utf-8"))
    return True


def write_atomically(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder, then rename over `path`."""
    try:
        mode: int | None = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".amldebug"
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
