"""How known failures are recognised in a log: the entry type, the line matcher, the findings.

The data (which failures, their patterns and text) is catalogue.py; the specifics one occurrence
can add (which module, which model path) are failure_details.py.

Every pattern is searched line by line, and lines are cut to `MAX_MATCHED_LINE_CHARS` first, so
one hostile line (a 690 KB log line, a message repeated thousands of times) costs bounded time even
if a pattern backtracks; patterns are also written to be linear (see test_explain_linear.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amldebug.project import Project, discover_project
from amldebug.troubleshooting.paths import MappedTraceback, find_tracebacks, traceback_for_line

# Logs over this size are explained from their end, where failures are.
# Only the start of a longer line is matched: failures are told in the first few hundred
# characters, and a cap keeps any backtracking pattern bounded per line.
MAX_MATCHED_LINE_CHARS = 4_096
MAX_EXPLAINED_CHARS = 4_000_000
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_MAX_MATCHED_CHARS = 300


@dataclass(frozen=True)
class Finding:
    """One recognised failure in a log. `line` is 1-based, as editors and `grep -n` show it."""

    id: str
    title: str
    line: int
    explanation: str
    fix: str
    matched: str  # the text of the line that matched (trimmed)
    count: int = 1  # how many times the failure shows in the log
    last_line: int | None = None  # where it shows last, when more than once
    local_path: str | None = None  # the project file of the traceback's last entry-script frame
    local_line: int | None = None
    exception: str | None = None  # the traceback's root cause, `Type: message`

    def to_json(self) -> dict[str, Any]:
        """The object `amldebug explain --format json` prints and `amldebug.explain` returns."""
        data: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "line": self.line,
            "explanation": self.explanation,
            "fix": self.fix,
            "matched": self.matched,
            "count": self.count,
        }
        if self.last_line is not None:
            data["last_line"] = self.last_line
        if self.exception is not None:
            data["exception"] = self.exception
        if self.local_path is not None:
            data["local_path"] = self.local_path
            data["local_line"] = self.local_line
        return data


@dataclass(frozen=True)
class LogView:
    """What `describe` functions may read: the whole log, its lines, its tracebacks, the project."""

    text: str
    lines: list[str]
    tracebacks: list[MappedTraceback]
    project: Project | None


@dataclass(frozen=True)
class Details:
    """Specifics of one occurrence, added to the entry's general explanation and fix."""

    explanation: str = ""
    fix: str = ""


Describe = Callable[[re.Match[str], int, LogView], Details]


@dataclass(frozen=True)
class KnownFailure:
    id: str
    title: str
    explanation: str
    fix: str  # numbered steps, with the command or code to run
    patterns: tuple[str, ...]  # regular expressions, searched in each line (case-sensitive)
    # The log must also contain this somewhere (e.g. a 500 counts as the Key Vault failure only
    # when it comes from image creation).
    requires: str | None = None
    # A finding for one of these ids explains the same lines better; this one is then dropped.
    superseded_by: tuple[str, ...] = ()
    # A named group whose value tells occurrences apart (two missing modules are two findings).
    key_group: str | None = None
    describe: Describe | None = None
    # Attach the traceback's last entry-script frame (local path and line) to the finding.
    maps_traceback: bool = False
    # Tracebacks (rather than single lines) that show this failure; the hit is the exception line.
    traceback_match: Callable[[MappedTraceback], bool] | None = None
    compiled: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)
    literals: tuple[str | None, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", tuple(re.compile(p) for p in self.patterns))
        object.__setattr__(self, "literals", tuple(required_literal(p) for p in self.patterns))


_REGEX_SPECIAL = set(".^$*+?{}[]()|\\")


def required_literal(pattern: str) -> str | None:
    """The longest text every match of `pattern` contains, or None when that is not simple to see.

    Only top-level literal runs count: groups and classes are skipped whole, and a pattern with an
    alternation outside them gives None (no prefilter).
    """
    runs: list[str] = []
    current = ""
    index = 0
    depth_chars = {"(": ")", "[": "]"}
    while index < len(pattern):
        char = pattern[index]
        if char in depth_chars:
            runs.append(current)
            current = ""
            index = _skip_group(pattern, index)
            if index < len(pattern) and pattern[index] in "?*{":
                index += 1
            continue
        if char == "|":
            return None
        if char == "\\" and index + 1 < len(pattern):
            escaped = pattern[index + 1]
            if escaped.isalnum():
                runs.append(current)
                current = ""
            else:
                current += escaped
            index += 2
            continue
        if char in "?*{":
            current = current[:-1]  # the character before is optional or repeated
            runs.append(current)
            current = ""
            if char == "{":
                index = pattern.find("}", index) + 1 or len(pattern)
                continue
        elif char in _REGEX_SPECIAL:
            runs.append(current)
            current = ""
        else:
            current += char
        index += 1
    runs.append(current)
    best = max(runs, key=len)
    return best if len(best) >= 3 else None


def _skip_group(pattern: str, start: int) -> int:
    """The index after the group or class opening at `start`."""
    closing = {"(": ")", "[": "]"}[pattern[start]]
    depth = 0
    index = start
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if closing == "]" and char == "]" and index > start + 1:
            return index + 1
        if closing == ")":
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    return index + 1
        index += 1
    return len(pattern)


def explain_with(
    catalogue: tuple[KnownFailure, ...],
    text: str,
    project: Project | Path | str | None = None,
    cancel: Callable[[], bool] | None = None,
) -> list[Finding]:
    """Every known failure in `text`, ordered by the line where it first shows.

    `project` (a `Project` or a folder) maps `/var/azureml-app/...` traceback paths to local files
    and names the project's conda file in fixes. The same failure repeated (a crash loop prints it
    on every restart) is one finding with `count`. Returns [] when nothing is recognised.
    `cancel` is asked between steps; when it says stop, ExplainCancelled is raised.
    """
    resolved = (
        project
        if isinstance(project, Project) or project is None
        else discover_project(Path(project))
    )
    text, line_offset = _bounded(text)
    lines = [_ANSI.sub("", line[:MAX_MATCHED_LINE_CHARS]).rstrip("\r") for line in text.split("\n")]
    _check(cancel)
    view = LogView(
        text="\n".join(lines),
        lines=lines,
        tracebacks=find_tracebacks("\n".join(lines), resolved, cancel),
        project=resolved,
    )
    _check(cancel)  # find_tracebacks stops early when cancelled; what it found is then partial

    findings: list[Finding] = []
    for entry in catalogue:
        _check(cancel)
        found = _findings_for(entry, view, line_offset)
        if found and entry.requires is not None and not re.search(entry.requires, view.text, re.M):
            continue
        findings.extend(found)
    found_ids = {finding.id for finding in findings}
    by_id = {entry.id: entry for entry in catalogue}
    findings = [f for f in findings if not any(s in found_ids for s in by_id[f.id].superseded_by)]
    order = {entry.id: index for index, entry in enumerate(catalogue)}
    return sorted(findings, key=lambda f: (f.line, order[f.id]))


class ExplainCancelled(Exception):
    """The caller's `cancel` said stop (the editor cancelled the request)."""


def _check(cancel: Callable[[], bool] | None) -> None:
    if cancel is not None and cancel():
        raise ExplainCancelled()


def _bounded(text: str) -> tuple[str, int]:
    if len(text) <= MAX_EXPLAINED_CHARS:
        return text, 0
    head = text[: len(text) - MAX_EXPLAINED_CHARS]
    cut = head.count("\n")
    tail = text[len(head) :]
    # Start at a line boundary so line numbers stay exact.
    newline = tail.find("\n")
    return tail[newline + 1 :], cut + 1


def _findings_for(entry: KnownFailure, view: LogView, line_offset: int) -> list[Finding]:
    # key -> (first line index, first match, per-pattern counts, last line index)
    groups: dict[str, tuple[int, re.Match[str] | None, list[int], int]] = {}
    slots = len(entry.compiled) + 1  # the last counts traceback hits

    def hit(index: int, match: re.Match[str] | None, key: str, slot: int) -> None:
        first, first_match, counts, last = groups.get(key, (index, match, [0] * slots, index))
        if index < first:
            first, first_match = index, match
        counts[slot] += 1
        groups[key] = (first, first_match, counts, max(last, index))

    for index, line in enumerate(view.lines):
        for pattern_index, pattern in enumerate(entry.compiled):
            literal = entry.literals[pattern_index]
            if literal and literal not in line:
                continue  # a substring test is far cheaper than the search on long logs
            match = pattern.search(line)
            if match is None:
                continue
            key = ""
            if entry.key_group and entry.key_group in pattern.groupindex:
                key = match.group(entry.key_group) or ""
            hit(index, match, key, pattern_index)
            break
    if entry.traceback_match is not None:
        for traceback in view.tracebacks:
            if entry.traceback_match(traceback):
                hit(traceback.end_line - 1, None, "", slots - 1)
    findings = []
    for first, match, counts, last in groups.values():
        details = entry.describe(match, first + 1, view) if entry.describe and match else Details()
        explanation = entry.explanation.strip()
        if details.explanation:
            explanation = f"{details.explanation.strip()}\n\n{explanation}"
        fix = entry.fix.strip()
        if details.fix:
            fix = f"1. {details.fix.strip()}\n{_renumbered(fix, 1)}"
        local_path: str | None = None
        local_line: int | None = None
        exception: str | None = None
        if entry.maps_traceback:
            mapped = traceback_for_line(view.tracebacks, first + 1)
            if mapped is not None:
                exception = mapped.exception or mapped.final_exception
                if mapped.last_entry_script_frame is not None:
                    path, local_line = mapped.last_entry_script_frame
                    local_path = str(path) if isinstance(path, Path) else None
                    if local_path is None:
                        local_line = None
        count = max(counts)
        findings.append(
            Finding(
                id=entry.id,
                title=entry.title,
                line=first + 1 + line_offset,
                explanation=explanation,
                fix=fix,
                matched=view.lines[first].strip()[:_MAX_MATCHED_CHARS],
                count=count,
                last_line=last + 1 + line_offset if count > 1 else None,
                local_path=local_path,
                local_line=local_line,
                exception=exception,
            )
        )
    return findings


def _renumbered(steps: str, shift: int) -> str:
    return re.sub(r"^(\d+)\. ", lambda m: f"{int(m.group(1)) + shift}. ", steps, flags=re.M)
