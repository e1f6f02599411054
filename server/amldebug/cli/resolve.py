"""`amldebug check --resolve`: resolve the pip section of every conda file a deployment builds
with, before the other checks run (so AML116 sees the real closure), and report AML213-AML215.

A thin adapter over `analysis.environment_resolution` (pure) and `analysis.uv_resolver` (uv and
the cache); which files count comes from discovery (`Project.environment_users`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from amldebug.analysis import RuleSelection, is_suppressed
from amldebug.analysis.environment_resolution import resolution_diagnostics
from amldebug.analysis.uv_resolver import ResolutionCache, UvCommand, resolve_conda_text
from amldebug.diagnostics import Diagnostic
from amldebug.fixing import canonical_path
from amldebug.project import FileKind, Project, classify_file
from amldebug.project_files import DEFAULT_MAX_BYTES, read_project_file


class _Target(Protocol):
    @property
    def path(self) -> Path: ...
    @property
    def project(self) -> Project: ...
    @property
    def kind(self) -> FileKind | None: ...


def deployed_conda_files(targets: Sequence[_Target]) -> list[tuple[Path, Project]]:
    """The conda files among (or named by) the targets that a deployment builds with."""
    found: dict[Path, tuple[Path, Project]] = {}
    for target in targets:
        candidates: list[Path] = []
        if target.kind is FileKind.CONDA_FILE or (
            target.kind is None
            and classify_file(target.path, None, target.project) is FileKind.CONDA_FILE
        ):
            candidates.append(target.path)
        if target.project.conda_file is not None:
            candidates.append(target.project.conda_file)
        for path in candidates:
            key = canonical_path(path)
            if key in found or not path.is_file():
                continue
            if target.project.environment_users(path):
                found[key] = (path, target.project)
    return list(found.values())


def resolve_environments(
    targets: Sequence[_Target],
    selection: RuleSelection,
    *,
    ca_bundle: Path | None = None,
    cache: ResolutionCache | None = None,
) -> list[Diagnostic]:
    """Resolve each deployed conda file (cached by content); the diagnostics for each."""
    runner = UvCommand(ca_bundle=ca_bundle)
    cache = cache if cache is not None else ResolutionCache()
    diagnostics: list[Diagnostic] = []
    unavailable_said = False
    for path, _project in deployed_conda_files(targets):
        text = read_project_file(path, root=None, max_bytes=DEFAULT_MAX_BYTES).text
        if text is None:
            continue
        outcome = resolve_conda_text(text, path.parent, runner=runner, cache=cache)
        if outcome is None:
            continue
        request, resolution = outcome
        found = resolution_diagnostics(request, resolution)
        if resolution.outcome == "unavailable":
            # Offline or no uv: say it once, not once per file.
            if unavailable_said:
                continue
            unavailable_said = True
        lines = text.splitlines()
        diagnostics.extend(
            d.at(path) for d in found if selection.enabled(d.code) and not is_suppressed(d, lines)
        )
    return diagnostics


def ca_bundle_option(value: str | None) -> Path | None:
    return Path(value).expanduser() if value else None
