"""Diagnostics for open documents: analysed off the event loop, newest version wins, kept per
(uri, version) for code actions, and re-checked across files of one project.

Every analysis runs on one worker thread, in request order. A request carries a generation number;
a queued request that a newer one for the same document has overtaken is skipped, so fast typing
never builds a backlog (no debounce: the first keystroke after a pause is analysed at once).
Publishing happens back on the event loop thread, and only when the result is still the newest.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types

from amldebug import diagnostics as engine
from amldebug.analysis import analyze_document
from amldebug.analysis.core import FILE_TOO_LARGE, MAX_ANALYZED_CHARS
from amldebug.deployments import DeploymentIndex, scan_deployments
from amldebug.lsp.convert import ColumnCodec, to_lsp_diagnostic
from amldebug.lsp.settings import ServerSettings, WorkspaceSettings
from amldebug.project import (
    CONDA_FILE_NAMES,
    ENTRY_SCRIPT_NAMES,
    STEPS_FILE_NAME,
    FileKind,
    Project,
    classify_file,
    discover_project,
)

logger = logging.getLogger(__name__)

# Kinds whose text other files' rules read: a change re-checks the project's other open documents.
_SHARED_KINDS = {
    FileKind.CONDA_FILE,
    FileKind.DEPLOYMENT,
    FileKind.STEPS_FILE,
    FileKind.ENTRY_SCRIPT,
}
_PROJECT_FILE_SUFFIXES = (".yml", ".yaml")
# A document larger than the engine analyses gets its AML001 notice once and no work per edit
# (a 10 MB paste cost 1.5 s of the event loop per keystroke and 1.5 GB: classification, project
# discovery and overlays ran before the engine's own size check).
MAX_CHECKED_CHARS = MAX_ANALYZED_CHARS
_PROJECT_FILE_NAMES = {*ENTRY_SCRIPT_NAMES, *CONDA_FILE_NAMES, STEPS_FILE_NAME}


@dataclass(frozen=True)
class OpenDocument:
    uri: str
    path: Path
    version: int | None
    text: str


@dataclass
class CheckResult:
    """The last published analysis of one document version."""

    uri: str
    version: int | None
    path: Path
    kind: FileKind
    project: Project
    lines: list[str]
    diagnostics: list[engine.Diagnostic]
    lsp_diagnostics: list[types.Diagnostic]
    seconds: float = 0.0


@dataclass
class _CachedProject:
    signature: tuple[object, ...]
    project: Project
    checked_at: float
    # What the file is by the project's choices and its name alone (None until first asked).
    kind_by_path: FileKind | None = None


# How long a project stays trusted before its folder is looked at again (a few syscalls per
# folder, worth skipping between keystrokes). Saves and file watching invalidate at once.
PROJECT_RECHECK_SECONDS = 1.0


@dataclass
class DocumentChecker:
    """Owns analysis scheduling and results; the server feeds it open documents and publishes."""

    publish: Callable[[str, int | None, list[types.Diagnostic]], None]
    call_on_loop: Callable[..., None]
    open_documents: Callable[[], list[OpenDocument]]
    workspace_roots: Callable[[], list[Path]]
    settings: WorkspaceSettings = field(default_factory=WorkspaceSettings)
    codec: ColumnCodec = field(default_factory=lambda: ColumnCodec(None))

    def __post_init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="amldebug-analysis")
        self._generation = itertools.count(1)
        self._requested: dict[str, int] = {}
        self._results: dict[str, CheckResult] = {}
        # Diagnostics from elsewhere (a failed image build), merged into what is published.
        self._external: dict[tuple[str, str], list[types.Diagnostic]] = {}
        self._projects: dict[tuple[object, ...], _CachedProject] = {}
        # The deployments of each workspace folder: which environment each script deploys with.
        self._indexes: dict[Path, DeploymentIndex] = {}
        self._projects_lock = threading.Lock()
        self._too_large: set[str] = set()  # open documents over MAX_CHECKED_CHARS

    # -- scheduling (event loop thread) --------------------------------------------------------

    def check(self, document: OpenDocument, *, recheck_related: bool = True) -> None:
        """Analyse `document` now (queued behind running work) and publish the result."""
        generation = next(self._generation)
        self._requested[document.uri] = generation
        if len(document.text) > MAX_CHECKED_CHARS:
            self._results.pop(document.uri, None)
            if document.uri not in self._too_large:  # published once, not per edit
                self._too_large.add(document.uri)
                self.publish(
                    document.uri, document.version, [_too_large_diagnostic(document, self.codec)]
                )
            return
        if self._too_large:
            self._too_large.discard(document.uri)
        overlay = checked_overlay(self.open_documents())
        settings = self.settings.for_path(document.path)  # its workspace folder's
        self._executor.submit(self._run, document, generation, overlay, settings, recheck_related)

    def check_all(self) -> None:
        for document in self.open_documents():
            self.check(document, recheck_related=False)

    def forget(self, uri: str) -> bool:
        """The document closed: drop its state and clear its diagnostics in the client. True when
        it was too large to analyse (its memory is worth handing back)."""
        self._requested.pop(uri, None)
        was_too_large = uri in self._too_large
        self._too_large.discard(uri)
        result = self._results.pop(uri, None)
        for key in [key for key in self._external if key[1] == uri]:
            del self._external[key]
        self.publish(uri, None, [])
        if result is not None:
            self.check_related(result.path, result.project)
        return was_too_large

    def check_related(self, path: Path, project: Project) -> None:
        """Re-check the other open documents of `path`'s project (their rules may read `path`)."""
        for document in self.open_documents():
            if document.path != path and self._related(document.path, path, project):
                self.check(document, recheck_related=False)

    def files_changed_on_disk(self, paths: list[Path]) -> None:
        """Files changed outside the editor: re-check the open documents whose project holds them.
        Changes to open documents are skipped; their didChange/didSave were handled already."""
        self.invalidate_projects()
        documents = self.open_documents()
        open_paths = {document.path for document in documents}
        changed = [path for path in paths if path not in open_paths]
        for document in documents:
            if any(
                document.path.parent == path.parent
                or self._related(document.path, path, self.project_for(path))
                for path in changed
            ):
                self.check(document, recheck_related=False)

    def result_for(self, uri: str, version: int | None) -> CheckResult | None:
        result = self._results.get(uri)
        if result is None or result.version != version:
            return None
        return result

    def set_external(self, source: str, uri: str, diagnostics: list[types.Diagnostic]) -> None:
        """Publish `diagnostics` on `uri` next to the analysis results until replaced or cleared."""
        if diagnostics:
            self._external[(source, uri)] = diagnostics
        else:
            self._external.pop((source, uri), None)
        result = self._results.get(uri)
        self.publish(uri, result.version if result else None, self._merged(uri, result))

    def clear_external(self, source: str) -> None:
        for _, uri in [key for key in self._external if key[0] == source]:
            self.set_external(source, uri, [])

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- analysis (worker thread) ---------------------------------------------------------------

    def analyse_now(
        self, document: OpenDocument, overlay: Mapping[Path, str], settings: ServerSettings
    ) -> CheckResult:
        """Analyse on the calling thread. Never raises: engine failures are logged."""
        started = time.perf_counter()
        project = self.project_for(document.path, settings)
        if len(document.text) > MAX_CHECKED_CHARS:
            return CheckResult(
                uri=document.uri,
                version=document.version,
                path=document.path,
                kind=FileKind.OTHER,
                project=project,
                lines=[],
                diagnostics=[],
                lsp_diagnostics=[_too_large_diagnostic(document, self.codec)],
                seconds=time.perf_counter() - started,
            )
        # A client that keeps a UTF-8 byte-order mark in the text (VS Code drops it) would get a
        # false AML107: Python ignores the mark, so analysis does too.
        text = document.text.removeprefix("\ufeff")
        lines = text.split("\n")
        try:
            kind = self.kind_of(document.path, text, settings)
            found = analyze_document(
                document.path,
                text,
                project=project,
                selection=settings.selection,
                overlay=overlay,
                kind=kind,
            )
        except Exception:
            logger.exception("analysing %s failed; no diagnostics published for it", document.path)
            kind, found = FileKind.OTHER, []
        own = [d for d in found if d.path is None or d.path == document.path]
        # Kept in step: code actions pair each engine diagnostic with the one the client holds.
        kept, lsp_diagnostics = [], []
        for diagnostic in own:
            try:
                lsp_diagnostics.append(to_lsp_diagnostic(diagnostic, lines, self.codec))
                kept.append(diagnostic)
            except Exception:
                logger.exception("could not convert %s for the client", diagnostic)
        return CheckResult(
            uri=document.uri,
            version=document.version,
            path=document.path,
            kind=kind,
            project=project,
            lines=lines,
            diagnostics=kept,
            lsp_diagnostics=lsp_diagnostics,
            seconds=time.perf_counter() - started,
        )

    def _run(
        self,
        document: OpenDocument,
        generation: int,
        overlay: Mapping[Path, str],
        settings: ServerSettings,
        recheck_related: bool,
    ) -> None:
        if self._requested.get(document.uri) != generation:
            return  # a newer version is queued behind this one
        try:
            result = self.analyse_now(document, overlay, settings)
        except Exception:
            logger.exception("checking %s failed", document.uri)
            return
        self.call_on_loop(self._publish_result, result, generation, recheck_related)

    def _publish_result(self, result: CheckResult, generation: int, recheck_related: bool) -> None:
        if self._requested.get(result.uri) != generation:
            return  # closed, or overtaken by a newer version while we worked
        self._results[result.uri] = result
        self.publish(result.uri, result.version, self._merged(result.uri, result))
        if recheck_related and result.kind in _SHARED_KINDS:
            self.check_related(result.path, result.project)

    def _merged(self, uri: str, result: CheckResult | None) -> list[types.Diagnostic]:
        merged = list(result.lsp_diagnostics) if result else []
        for (_, external_uri), diagnostics in self._external.items():
            if external_uri == uri:
                merged.extend(diagnostics)
        return merged

    # -- projects ----------------------------------------------------------------------------

    def project_for(self, path: Path, settings: ServerSettings | None = None) -> Project:
        """`path`'s project with the editor's settings; cached until its folder changes."""
        return self._cached_project(path, settings or self.settings.for_path(path)).project

    def kind_of(self, path: Path, text: str, settings: ServerSettings | None = None) -> FileKind:
        """`classify_file`, with the part that depends on the path alone cached with the project."""
        cached = self._cached_project(path, settings or self.settings.for_path(path))
        if cached.kind_by_path is None:
            cached.kind_by_path = classify_file(path, None, cached.project)
        if cached.kind_by_path in (FileKind.PYTHON, FileKind.OTHER) or (
            path.name in ENTRY_SCRIPT_NAMES and cached.kind_by_path is FileKind.ENTRY_SCRIPT
        ):
            return classify_file(path, text, cached.project)  # decided by content
        return cached.kind_by_path

    def invalidate_projects(self) -> None:
        with self._projects_lock:
            self._projects.clear()
            self._indexes.clear()

    def deployment_index(self, root: Path) -> DeploymentIndex:
        """The workspace folder's deployments, scanned once until a file changes (unchanged files
        are not read again: the scan caches what each file declares)."""
        with self._projects_lock:
            index = self._indexes.get(root)
        if index is None:
            index = scan_deployments(root)
            with self._projects_lock:
                self._indexes[root] = index
        return index

    def _cached_project(self, path: Path, settings: ServerSettings) -> _CachedProject:
        root = self._workspace_root_of(path)
        entry = settings.explicit_path(settings.entry_script, root)
        conda = settings.explicit_path(settings.conda_file, root)
        key = (path, entry, conda)
        now = time.monotonic()
        with self._projects_lock:
            cached = self._projects.get(key)
        if cached is not None and now - cached.checked_at < PROJECT_RECHECK_SECONDS:
            return cached
        signature = _folder_signature(path)
        if cached is not None and cached.signature == signature:
            cached.checked_at = now
            return cached
        index = self.deployment_index(root) if root is not None else None
        fresh = _CachedProject(
            signature,
            discover_project(path, entry_script=entry, conda_file=conda, index=index),
            now,
        )
        with self._projects_lock:
            self._projects[key] = fresh
        return fresh

    def _workspace_root_of(self, path: Path) -> Path | None:
        best: Path | None = None
        for root in self.workspace_roots():
            if path.is_relative_to(root) and (best is None or len(root.parts) > len(best.parts)):
                best = root
        return best

    def _related(self, candidate: Path, changed: Path, changed_project: Project) -> bool:
        if candidate.parent == changed.parent:
            return True
        files = {
            changed_project.entry_script,
            changed_project.conda_file,
            changed_project.steps_file,
            changed_project.deployment_file,
        }
        if candidate in files:
            return True
        other = self.project_for(candidate)
        return changed in {
            other.entry_script,
            other.conda_file,
            other.steps_file,
            other.deployment_file,
        }


def _folder_signature(path: Path) -> tuple[object, ...]:
    """What project discovery read: the file, and the project files of its folder and the parent."""
    parts: list[object] = [_stat_key(path)]
    for folder in (path.parent, path.parent.parent):
        try:
            parts.append(folder.stat().st_mtime_ns)
            with os.scandir(folder) as entries:
                for entry in entries:
                    if (
                        entry.name.endswith(_PROJECT_FILE_SUFFIXES)
                        or entry.name in _PROJECT_FILE_NAMES
                    ):
                        parts.append((entry.name, _stat_key(Path(entry.path))))
        except OSError:
            parts.append(None)
    return tuple(parts)


def _stat_key(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def checked_overlay(documents: list[OpenDocument]) -> dict[Path, str]:
    """Open documents' text by path for cross-file rules, without those too large to analyse."""
    return {doc.path: doc.text for doc in documents if len(doc.text) <= MAX_CHECKED_CHARS}


def _too_large_diagnostic(document: OpenDocument, codec: ColumnCodec) -> types.Diagnostic:
    """The engine's AML001 notice, made without classifying or reading anything."""
    notice = engine.Diagnostic(
        FILE_TOO_LARGE.code,
        FILE_TOO_LARGE.severity,
        f"{document.path.name} has {len(document.text):,} characters, over the "
        f"{MAX_CHECKED_CHARS:,} that amldebug analyses; it was skipped.",
        engine.Range.of(0, 0),
    )
    return to_lsp_diagnostic(notice, [""], codec)
