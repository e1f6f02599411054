"""Tracebacks in container logs, mapped back to the local project.

A worker in an Azure ML image runs the code from `/var/azureml-app`, so a traceback names
`/var/azureml-app/score.py`; the user edits `<project>/score.py`. These functions find the
tracebacks in a log, map each frame to the local file, and name the frame a user wants to open:
the last (deepest) frame in the entry script.

Everything here is pure apart from checking which candidate local files exist. The Docker debug
loop, `amldebug explain` and `amldebug k8s status` all use:

- `map_traceback(text, project) -> MappedTraceback | None`: the last traceback in `text`;
- `find_tracebacks(text, project) -> list[MappedTraceback]`: every traceback, in log order;
- `container_to_local(path, project) -> Path | None`: one container path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from amldebug.project import CONTAINER_APP_ROOT, Project, discover_project

# `File "x.py", line 3, in f` (a traceback) and `File "x.py", line 3 in f` (faulthandler's dump,
# which gunicorn triggers when it aborts a worker on WORKER TIMEOUT).
_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+),? in (?P<function>.+?)\s*$')
_TRACEBACK_START = re.compile(r"Traceback \(most recent call last\):\s*$")
_DUMP_START = re.compile(
    r"^(?:Current thread|Thread) 0x[0-9a-fA-F]+ .*\(most recent call first\):\s*$"
)
_CHAINED = re.compile(
    r"^(The above exception was the direct cause of the following exception:"
    r"|During handling of the above exception, another exception occurred:)\s*$"
)
# The exception line that ends a traceback: `ValueError: ...`, `pkg.mod.Error: ...`, `SystemExit`.
_EXCEPTION = re.compile(r"^(?P<type>(?:[A-Za-z_]\w*\.)*[A-Z_]\w*)(?::\s?(?P<message>.*))?$")
# The inference server names the entry script in its banner and when it loads it.
_ENTRY_SCRIPT_IN_LOG = re.compile(r"(?:Entry Script Name:|Found user script at)\s+(?P<path>\S+)")
_MAX_FRAMES_GAP = 3  # lines allowed between frames (source lines, caret lines) before a block ends


@dataclass(frozen=True)
class Frame:
    """One `File "...", line N, in f` entry of a traceback."""

    path: str  # as written in the log (a container path, usually)
    line: int  # 1-based line in that file
    function: str
    log_line: int  # 1-based line of the log where the frame is printed
    source: str | None = None  # the source line printed under the frame, stripped
    local_path: Path | None = None  # the project file it maps to, when one exists
    in_entry_script: bool = False

    @property
    def in_app(self) -> bool:
        """True for frames in the user's code (the app root or the local project), not libraries."""
        return self.local_path is not None or _under(self.path, CONTAINER_APP_ROOT)


@dataclass(frozen=True)
class MappedTraceback:
    """A traceback (with its chained causes) from a log, its frames mapped to local files."""

    start_line: int  # 1-based log line of the first `Traceback (most recent call last):`
    end_line: int  # 1-based log line of the final exception line (or last frame)
    frames: tuple[Frame, ...]  # every frame of every chained block, in printed order
    exception: str | None  # the root cause's `Type: message` (the first block in a chain)
    final_exception: str | None  # the last block's `Type: message` (what the server wrapped it in)
    last_entry_script_frame: tuple[Path | str, int] | None  # (local path or container path, line)
    last_app_frame: Frame | None  # the deepest frame in the user's code (entry script or a module)

    def summary(self) -> str:
        """One line: the exception and where the entry script raised it."""
        where = ""
        if self.last_entry_script_frame is not None:
            path, line = self.last_entry_script_frame
            where = f" at {Path(path).name}:{line}"
        return f"{self.exception or self.final_exception or 'an exception'}{where}"


def container_to_local(
    path: str,
    project: Project | Path | str | None,
    *,
    app_root: str = CONTAINER_APP_ROOT,
) -> Path | None:
    """The local file a path from a container log stands for, or None.

    `/var/azureml-app/score.py` maps to `<root>/score.py`; when the code was uploaded from a folder
    (`code: src` gives `/var/azureml-app/src/score.py`) leading folders are dropped until a file
    exists, and a file named like the project's entry script maps to the entry script. A path that
    already is a file inside the project (the inference server run as a local process) maps to
    itself.
    """
    resolved_project = _as_project(project)
    if resolved_project is None or not path:
        return None
    root = resolved_project.root
    if not _under(path, app_root):
        candidate = Path(path)
        if candidate.is_absolute() and _inside(candidate, root) and candidate.is_file():
            return candidate
        return None
    relative = PurePosixPath(path).relative_to(app_root).parts
    for skip in range(len(relative)):
        candidate = root.joinpath(*relative[skip:])
        if candidate.is_file():
            return candidate
    entry = resolved_project.entry_script
    if entry is not None and relative and entry.name == relative[-1] and entry.is_file():
        return entry
    return None


def find_tracebacks(
    text: str,
    project: Project | Path | str | None = None,
    cancel: Callable[[], bool] | None = None,
) -> list[MappedTraceback]:
    """Every traceback in `text` (chained causes folded into one), in log order.

    `cancel`, asked every few thousand tracebacks, ends the work early with what was found.
    """
    resolved_project = _as_project(project)
    lines = text.splitlines()
    entry_names = _entry_script_names(text, resolved_project)
    blocks = _blocks(lines, cancel)
    chains: list[list[_Block]] = []
    for block in blocks:
        if chains and block.chained_to_previous and block.start - chains[-1][-1].end <= 4:
            chains[-1].append(block)
        else:
            chains.append([block])
    mapped = []
    for index, chain in enumerate(chains):
        if cancel is not None and index % 2_000 == 0 and cancel():
            break
        mapped.append(_mapped(chain, lines, resolved_project, entry_names))
    return mapped


def map_traceback(text: str, project: Project | Path | str | None = None) -> MappedTraceback | None:
    """The last traceback in `text` mapped to the project: what to show after a failed boot."""
    tracebacks = find_tracebacks(text, project)
    return tracebacks[-1] if tracebacks else None


def traceback_for_line(tracebacks: list[MappedTraceback], line: int) -> MappedTraceback | None:
    """The traceback that explains log line `line` (1-based): the one around it, one starting just
    after it (a message like "User's init function failed" precedes its traceback), or the last one
    before it (gunicorn's "Worker failed to boot" follows it)."""
    for traceback in tracebacks:
        if traceback.start_line <= line <= traceback.end_line:
            return traceback
    for traceback in tracebacks:
        if line < traceback.start_line <= line + 3:
            return traceback
    before = [t for t in tracebacks if t.end_line < line]
    return before[-1] if before else None


@dataclass
class _Block:
    start: int  # 0-based index of the header line
    end: int  # 0-based index of the last line belonging to the block
    frames: list[tuple[int, re.Match[str], str | None]]
    exception: str | None
    most_recent_first: bool
    chained_to_previous: bool


def _blocks(lines: list[str], cancel: Callable[[], bool] | None = None) -> list[_Block]:
    blocks: list[_Block] = []
    index = 0
    steps = 0
    while index < len(lines):
        steps += 1
        if cancel is not None and steps % 4_096 == 0 and cancel():
            break
        line = lines[index]
        most_recent_first = bool(_DUMP_START.search(line.strip()))
        if not (_TRACEBACK_START.search(line) or most_recent_first):
            index += 1
            continue
        chained = any(
            _CHAINED.match(lines[back].strip()) for back in range(max(0, index - 3), index)
        )
        frames: list[tuple[int, re.Match[str], str | None]] = []
        exception: str | None = None
        cursor = index + 1
        last = index
        gap = 0
        while cursor < len(lines) and gap <= _MAX_FRAMES_GAP:
            match = _FRAME.match(lines[cursor])
            if match:
                source = None
                if cursor + 1 < len(lines) and not _FRAME.match(lines[cursor + 1]):
                    following = lines[cursor + 1]
                    if (
                        following.startswith("    ")
                        and following.strip()
                        and not _is_caret_line(following)
                    ):
                        source = following.strip()
                frames.append((cursor, match, source))
                last = cursor
                gap = 0
            elif not most_recent_first and frames and not lines[cursor].startswith(" "):
                exception_match = _EXCEPTION.match(lines[cursor].strip())
                if exception_match:
                    exception = lines[cursor].strip()
                    last = cursor
                break
            else:
                gap += 1
            cursor += 1
        if frames:
            blocks.append(_Block(index, last, frames, exception, most_recent_first, chained))
        index = max(last, index) + 1
    return blocks


def _is_caret_line(line: str) -> bool:
    return set(line.strip()) <= set("^~")


def _mapped(
    chain: list[_Block], lines: list[str], project: Project | None, entry_names: set[str]
) -> MappedTraceback:
    frames: list[Frame] = []
    root_cause_frames: list[Frame] = []
    for position, block in enumerate(chain):
        ordered = list(reversed(block.frames)) if block.most_recent_first else block.frames
        for index, match, source in ordered:
            path = match.group("path")
            local = container_to_local(path, project)
            name = path.rsplit("/", 1)[-1]
            in_entry = name in entry_names and (
                local is not None or _under(path, CONTAINER_APP_ROOT)
            )
            frame = Frame(
                path=path,
                line=int(match.group("line")),
                function=match.group("function"),
                log_line=index + 1,
                source=source,
                local_path=local,
                in_entry_script=in_entry,
            )
            frames.append(frame)
            if position == 0:
                root_cause_frames.append(frame)
    # The user's frames are in the root cause; the server wraps it in its own exception afterwards.
    search_order = [root_cause_frames, frames]
    last_entry: Frame | None = None
    last_app: Frame | None = None
    for group in search_order:
        last_entry = last_entry or next((f for f in reversed(group) if f.in_entry_script), None)
        last_app = last_app or next((f for f in reversed(group) if f.in_app), None)
    last_entry_location: tuple[Path | str, int] | None = None
    if last_entry is not None:
        last_entry_location = (last_entry.local_path or last_entry.path, last_entry.line)
    return MappedTraceback(
        start_line=chain[0].start + 1,
        end_line=chain[-1].end + 1,
        frames=tuple(frames),
        exception=chain[0].exception,
        final_exception=chain[-1].exception,
        last_entry_script_frame=last_entry_location,
        last_app_frame=last_app,
    )


def _entry_script_names(text: str, project: Project | None) -> set[str]:
    names = {"score.py"}
    if project is not None and project.entry_script is not None:
        names = {project.entry_script.name}
    for match in _ENTRY_SCRIPT_IN_LOG.finditer(text):
        names.add(PurePosixPath(match.group("path")).name)
    return names


def _as_project(project: Project | Path | str | None) -> Project | None:
    if project is None or isinstance(project, Project):
        return project
    return discover_project(Path(project))


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return False
    return True
