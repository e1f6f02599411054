"""What an analyzer may know besides the text it checks: the file's path and its project."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from amldebug.project import Project
from amldebug.project_files import read_project_file

MAX_SIBLING_FILE_BYTES = 2_000_000


def read_text_from_disk(path: Path) -> str | None:
    """A sibling file's text, or None when missing, unreadable, binary, huge or not a regular file.

    Through the guarded reader: a project may name /dev/zero, /dev/stdin or a FIFO as its conda
    file, and the language server must neither read forever nor block on its own input.
    """
    return read_project_file(path, root=None, max_bytes=MAX_SIBLING_FILE_BYTES).text


@dataclass(frozen=True)
class AnalysisContext:
    path: Path
    project: Project
    # Reads another file of the project; the language server passes one that prefers the unsaved
    # text of open documents, so cross-file rules see what the user sees.
    overlay: Mapping[Path, str] = field(default_factory=dict)
    reader: Callable[[Path], str | None] = read_text_from_disk
    # What the deployments found by discovery make of this file. The defaults are the old
    # single-project view; discovery sets them so that rules run only where they mean something.
    # deployed: a deployment (a YAML, a v1 call, or the folder conventions) uses this file, so
    # deployment rules apply (analysis/scopes.py lists them).
    deployed: bool = True
    # "online": an online entry script (init() + run(raw_data)); "batch": a batch driver
    # (run(mini_batch), batch endpoints / ParallelRunStep), which online rules must not judge.
    # For a conda file: "batch" when only batch deployments build with it (no inference server).
    entry_kind: Literal["online", "batch"] = "online"
    # The folder the deployment uploads as code (`code_configuration.code`,
    # `source_directory`): modules under it are importable, never packages to install.
    code_root: Path | None = None
    # For a conda file: every online deployment building with it gets the inference server from
    # Azure ML itself (a model package, a v1 ContainerImage), not from this file.
    server_provided: bool = False

    def read_text(self, path: Path) -> str | None:
        for candidate in (path, path.absolute()):
            if candidate in self.overlay:
                return self.overlay[candidate]
        try:
            resolved = path.resolve()
        except OSError:
            resolved = path
        if resolved in self.overlay:
            return self.overlay[resolved]
        return self.reader(path)
