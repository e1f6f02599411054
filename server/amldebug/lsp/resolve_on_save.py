"""The editor's `check --resolve`: after a save, resolve the deployed conda file's pip section in
the background (uv, cached by content), show AML213-AML215 on it, and re-check the project's open
documents so AML116 uses the resolved closure.

Only in a trusted workspace (uv may build source distributions the pip section names), and not
when `AMLDEBUG_RESOLVE=0`. One resolution at a time on its own thread; a file saved again while
queued is resolved once, with its newest text.
"""

from __future__ import annotations

import functools
import logging
import os
import queue
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from amldebug import diagnostics as engine
from amldebug.analysis.context import read_text_from_disk
from amldebug.analysis.environment_resolution import resolution_diagnostics
from amldebug.analysis.uv_resolver import ResolutionCache, UvCommand, UvRunner, resolve_conda_text
from amldebug.lsp import notifications
from amldebug.project import FileKind, Project, classify_file

if TYPE_CHECKING:
    from amldebug.lsp.document_checker import OpenDocument
    from amldebug.lsp.server import AmlDebugLanguageServer

logger = logging.getLogger(__name__)

SOURCE = "resolve"


class _Server(Protocol):
    workspace_trusted: bool

    def publish_external_diagnostics(
        self, source: str, path: Path, diagnostics: Sequence[engine.Diagnostic]
    ) -> None: ...


def resolving_enabled(server: _Server) -> bool:
    return server.workspace_trusted and os.environ.get("AMLDEBUG_RESOLVE", "1") != "0"


class BackgroundResolver:
    def __init__(
        self,
        server: _Server,
        recheck: Callable[[Path, Project], None],
        *,
        runner: UvRunner | None = None,
        cache: ResolutionCache | None = None,
    ) -> None:
        self.server = server
        self.recheck = recheck
        self.runner = runner
        self.cache = cache
        # A daemon thread: a uv run still going when the editor quits never holds up the exit.
        self._worker: threading.Thread | None = None
        self._queue: queue.Queue[Path] = queue.Queue()
        self._pending: dict[Path, tuple[str, Project]] = {}
        self._lock = threading.Lock()

    def saved(
        self, path: Path, text: str, project: Project, read: Callable[[Path], str | None]
    ) -> None:
        """`path` was saved with `text`: resolve the conda file it is or deploys with."""
        if not resolving_enabled(self.server):
            return
        conda_file: Path | None = path
        conda_text: str | None = text
        if classify_file(path, text, project) is not FileKind.CONDA_FILE:
            conda_file = project.conda_file
            conda_text = read(conda_file) if conda_file is not None else None
        if conda_file is None or conda_text is None or not project.environment_users(conda_file):
            return
        with self._lock:
            queued = conda_file in self._pending
            self._pending[conda_file] = (conda_text, project)
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._work, name="amldebug-resolve", daemon=True
                )
                self._worker.start()
        if not queued:
            self._queue.put(conda_file)

    def _work(self) -> None:
        while True:
            conda_file = self._queue.get()
            try:
                self._resolve(conda_file)
            finally:
                self._queue.task_done()

    def _resolve(self, conda_file: Path) -> None:
        with self._lock:
            pending = self._pending.pop(conda_file, None)
        if pending is None:
            return
        text, project = pending
        try:
            outcome = resolve_conda_text(
                text,
                conda_file.parent,
                runner=self.runner or UvCommand(),
                cache=self.cache if self.cache is not None else ResolutionCache(),
            )
        except Exception:  # never take the server down for a background nicety
            logger.exception("resolving %s failed", conda_file)
            return
        found = resolution_diagnostics(*outcome) if outcome is not None else []
        self.server.publish_external_diagnostics(SOURCE, conda_file, found)
        self.recheck(conda_file, project)

    def wait(self) -> None:
        """Until queued work is done (tests)."""
        self._queue.join()


def resolve_after_save(server: AmlDebugLanguageServer, document: OpenDocument) -> None:
    """The did_save hook: hand the saved document to the server's resolver (made on first use)."""
    resolver: BackgroundResolver | None = getattr(server, "_background_resolver", None)
    if resolver is None:
        recheck = functools.partial(
            notifications.call_on_loop, server, server.checker.check_related
        )
        resolver = BackgroundResolver(server, recheck)
        server._background_resolver = resolver  # type: ignore[attr-defined]

    def read(path: Path) -> str | None:
        for other in server.open_documents():
            if other.path == path:
                return other.text
        return read_text_from_disk(path)

    resolver.saved(document.path, document.text, server.project_for(document.path), read)
