"""The analysis engine: text in, diagnostics out. The CLI and the language server call only
`analyze_document`, so nothing is analysed twice in two places."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from amldebug.analysis import core
from amldebug.analysis.context import AnalysisContext
from amldebug.analysis.scopes import applies
from amldebug.diagnostics import Diagnostic, Range
from amldebug.project import FileKind, Project, classify_file, discover_project

__all__ = [
    "AnalysisContext",
    "RuleSelection",
    "analyze_document",
    "analyze_in_context",
    "analyze_path",
    "is_suppressed",
]

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*))?", re.I)


@dataclass(frozen=True)
class RuleSelection:
    """`--select`/`--ignore`: codes or prefixes (`AML1`, `AML106`). Empty select means all rules."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    @classmethod
    def parse(cls, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> RuleSelection:
        def split(values: Iterable[str]) -> tuple[str, ...]:
            return tuple(
                part.strip().upper()
                for value in values
                for part in str(value).split(",")
                if part.strip()
            )

        return cls(split(select), split(ignore))

    def enabled(self, code: str) -> bool:
        # The longest matching prefix decides, as in ruff: `--select AML1 --ignore AML106`.
        best_select = max(
            (len(p) for p in self.select if code.startswith(p) or p == "ALL"), default=-1
        )
        if not self.select:
            best_select = 0
        best_ignore = max(
            (len(p) for p in self.ignore if code.startswith(p) or p == "ALL"), default=-1
        )
        return best_select >= 0 and best_select >= best_ignore


def is_suppressed(diagnostic: Diagnostic, lines: list[str]) -> bool:
    """`# noqa` or `# noqa: CODE[, CODE]` on the diagnostic's first line silences it."""
    line = diagnostic.range.start.line
    if not 0 <= line < len(lines) or "noqa" not in lines[line].lower():
        return False
    for match in _NOQA.finditer(lines[line]):
        codes = match.group("codes")
        if codes is None:
            return True
        if diagnostic.code.upper() in {c.upper() for c in re.split(r"[\s,]+", codes) if c}:
            return True
    return False


def analyze_document(
    path: Path | str,
    text: str,
    *,
    project: Project | None = None,
    selection: RuleSelection | None = None,
    overlay: Mapping[Path, str] | None = None,
    kind: FileKind | None = None,
) -> list[Diagnostic]:
    """Diagnostics for one file's text, sorted by position. Never raises on any input text."""
    path = Path(path)
    project = project if project is not None else discover_project(path)
    kind = kind or classify_file(path, text, project)
    context = _context_for(path, text, kind, project, overlay or {})

    if len(text) > core.MAX_ANALYZED_CHARS:
        diagnostics = [
            Diagnostic(
                core.FILE_TOO_LARGE.code,
                core.FILE_TOO_LARGE.severity,
                f"{path.name} has {len(text):,} characters, over the {core.MAX_ANALYZED_CHARS:,} "
                "that amldebug analyses; it was skipped.",
                Range.of(0, 0),
            )
        ]
    elif "\x00" in text:
        diagnostics = [
            Diagnostic(
                core.NOT_TEXT.code,
                core.NOT_TEXT.severity,
                f"{path.name} looks binary (it holds NUL bytes); it was not analysed.",
                Range.of(0, 0),
            )
        ]
    else:
        diagnostics = analyze_in_context(kind, text, context)

    lines = text.splitlines()
    selection = selection or RuleSelection()
    kept = [
        d.at(path) if d.path is None else d
        for d in diagnostics
        if selection.enabled(d.code) and not is_suppressed(d, lines)
    ]
    return sorted(kept, key=lambda d: (d.range.start, d.code))


def analyze_in_context(kind: FileKind, text: str, context: AnalysisContext) -> list[Diagnostic]:
    """The analyzers' diagnostics that apply in `context` (analysis/scopes.py), unsorted: for
    callers that computed the context themselves."""
    return [d for d in _run_analyzers(kind, text, context) if applies(d.code, context)]


def analyze_path(
    path: Path | str,
    *,
    project: Project | None = None,
    selection: RuleSelection | None = None,
) -> list[Diagnostic]:
    """Read a file from disk (binary and undecodable files included) and analyse it."""
    path = Path(path)
    data = path.read_bytes()
    if b"\x00" in data[: core.MAX_ANALYZED_CHARS]:
        text = "\x00"
    else:
        text = data.decode("utf-8", errors="replace")
    return analyze_document(path, text, project=project, selection=selection)


def _context_for(
    path: Path, text: str, kind: FileKind, project: Project, overlay: Mapping[Path, str]
) -> AnalysisContext:
    """What the deployments make of this file: deployment rules only where a deployment uses
    it, online rules only on online entry scripts, the entry script paired with the environment
    its own deployment builds."""
    if kind is FileKind.CONDA_FILE:
        users = project.environment_users(path)
        return AnalysisContext(
            path=path,
            project=project,
            overlay=overlay,
            deployed=bool(users),
            entry_kind="batch" if users and users <= {"batch"} else "online",
            server_provided="online-served" in users and "online" not in users,
        )
    if kind is not FileKind.ENTRY_SCRIPT or "\x00" in text or len(text) > core.MAX_ANALYZED_CHARS:
        return AnalysisContext(path=path, project=project, overlay=overlay)
    from amldebug.analysis.entry_script import is_batch_driver

    # run()'s shape says batch driver even where no deployment says so (scopes.py then keeps
    # only the entry-script rules that hold for one).
    shaped_batch = is_batch_driver(text)
    deployments = project.deployments_of_entry_script(path, text)
    if not deployments:  # paired by flags or settings: as the user said
        return AnalysisContext(
            path=path, project=project, overlay=overlay, entry_kind=_kind(shaped_batch)
        )
    chosen = next((d for d in deployments if d.kind == "online"), deployments[0])
    models = project.model_paths if chosen.is_convention else tuple(m.path for m in chosen.models)
    paired = replace(project, entry_script=path, conda_file=chosen.conda_file, model_paths=models)
    return AnalysisContext(
        path=path,
        project=paired,
        overlay=overlay,
        entry_kind=_kind(shaped_batch or chosen.kind == "batch"),
        code_root=chosen.code_root,
    )


def _kind(batch: bool) -> Literal["online", "batch"]:
    return "batch" if batch else "online"


def _run_analyzers(kind: FileKind, text: str, context: AnalysisContext) -> list[Diagnostic]:
    # Imported here so that a slow or broken analyzer module never stops the others from loading.
    from amldebug.analysis import (
        conda_file,
        deployment_references,
        deployment_yaml,
        entry_script,
        scale_settings,
        steps_file,
    )

    if kind is FileKind.ENTRY_SCRIPT:
        return (
            entry_script.analyze_entry_script(text, context)
            + scale_settings.analyze_python_scale_settings(text, context)
            + _recorded_image_imports(text, context)
        )
    if kind is FileKind.PYTHON:
        return scale_settings.analyze_python_scale_settings(text, context)
    if kind is FileKind.CONDA_FILE:
        return conda_file.analyze_conda_file(text, context)
    if kind is FileKind.STEPS_FILE:
        return steps_file.analyze_steps_file(text, context)
    if kind is FileKind.DEPLOYMENT:
        return (
            deployment_yaml.analyze_deployment_yaml_syntax(text, context)
            + scale_settings.analyze_deployment_yaml(text, context)
            + deployment_references.analyze_deployment_references(text, context)
        )
    return []


def _recorded_image_imports(text: str, context: AnalysisContext) -> list[Diagnostic]:
    """AML120 from the last build's probe of the image, while script and environment match it."""
    from amldebug.containers.image_imports import recorded_diagnostics

    try:
        return recorded_diagnostics(context.path, text, context.project)
    except Exception:  # a damaged record must never cost the other diagnostics
        return []
