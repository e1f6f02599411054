"""What AZUREML_MODEL_DIR holds, as `model-path` shows it (get_model_path's check): the folder,
whether it exists, and its files with their sizes (the first 500)."""

from __future__ import annotations

import os
from dataclasses import dataclass

MAX_LISTED = 500


@dataclass(frozen=True)
class ModelPath:
    model_dir: str | None
    exists: bool
    tree: tuple[tuple[str, int], ...]


def list_model_dir(model_dir: str | None) -> ModelPath:
    """List a model folder on this machine (the local-process runtime's AZUREML_MODEL_DIR).

    The same walk as the one `model-path` runs inside a container (container_state.py); symlinks
    are followed, as the server follows them."""
    if not model_dir or not os.path.isdir(model_dir):
        return ModelPath(model_dir, False, ())
    tree: list[tuple[str, int]] = []
    for base, dirs, files in os.walk(model_dir, followlinks=True):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(base, name)
            try:
                size = os.path.getsize(path)
            except OSError:
                continue
            tree.append((os.path.relpath(path, model_dir), size))
            if len(tree) >= MAX_LISTED:
                return ModelPath(model_dir, True, tuple(tree))
    return ModelPath(model_dir, True, tuple(tree))
