"""The I/O half of the model layout: read the project's local model paths into `ModelSource`s,
and lay a folder of symlinks out the way Azure ML lays the models out (for a local process)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from amldebug.containers.model_layout import ModelLayout, ModelSource, plan_model_layout
from amldebug.project import Project

# Listing a huge model folder only serves path checks: stop early rather than stall the editor.
MAX_LISTED_FILES = 5000
_SKIPPED = frozenset({"__pycache__", ".git"})


def model_source(path: Path, *, name: str | None = None, version: str | None = None) -> ModelSource:
    """One local model path (file or folder) as a ModelSource, its files listed (capped)."""
    if not path.is_dir():
        return ModelSource(str(path), False, name=name, version=version)
    files: list[str] = []
    complete = True
    for folder, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED)
        base = Path(folder).relative_to(path)
        for file_name in sorted(names):
            if len(files) >= MAX_LISTED_FILES:
                complete = False
                break
            files.append((base / file_name).as_posix())
        if not complete:
            break
    return ModelSource(
        str(path), True, tuple(files), name=name, version=version, listing_complete=complete
    )


def project_model_sources(project: Project) -> tuple[ModelSource, ...]:
    """The project's model paths that exist, as ModelSources."""
    return tuple(model_source(path) for path in project.model_paths if path.exists())


def project_model_layout(project: Project) -> tuple[ModelLayout, dict[str, Path]]:
    """The layout of the project's models, and each placed model's local path by relative target."""
    sources = project_model_sources(project)
    layout = plan_model_layout(sources)
    local = {placed.relative_target: Path(placed.source.local_path) for placed in layout.placed}
    return layout, local


def link_model_tree(project: Project, into: Path) -> Path | None:
    """Lay `into/<name>/<version>/<registered path>` out as symlinks to the project's models and
    return AZUREML_MODEL_DIR for it (None without models): a local server sees what the cloud
    shows. `into` is emptied first."""
    layout, local = project_model_layout(project)
    if layout.relative_model_dir is None:
        return None
    shutil.rmtree(into, ignore_errors=True)
    for placed in layout.placed:
        link = into / placed.relative_target
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(local[placed.relative_target].resolve())
    model_dir = layout.model_dir(str(into))
    return Path(model_dir) if model_dir else None


def project_model_dir_contents(project: Project) -> tuple[frozenset[str], bool]:
    """Every file and folder under AZUREML_MODEL_DIR for the project's models, relative to it
    (what a literal joined to AZUREML_MODEL_DIR may name, AML113), and whether the listing is
    complete (a huge model folder is listed only in part: say nothing about what is not listed)."""
    layout = plan_model_layout(project_model_sources(project))
    return layout.contents(), layout.listing_complete
