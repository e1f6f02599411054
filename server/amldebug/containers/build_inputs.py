"""Reading the files a debug image is built from, with the guards of `project_files`.

A project's conda file or Dockerfile.steps may be a device, a FIFO or huge; the build refuses it
with a message instead of reading forever or blocking.
"""

from __future__ import annotations

from pathlib import Path

from amldebug.errors import AmlDebugError
from amldebug.project_files import read_project_file

# Environment and steps files are text of a few KB; this leaves room for generated ones.
MAX_BUILD_INPUT_BYTES = 5_000_000


def read_build_input(path: Path) -> str:
    """The text of a conda or steps file the image is built from; AmlDebugError when unreadable."""
    result = read_project_file(path, root=None, max_bytes=MAX_BUILD_INPUT_BYTES)
    if result.text is None:
        raise AmlDebugError(
            f"Cannot build from {path}: {result.problem}",
            hint="Point the deployment (or --conda-file / --steps-file) at a regular text file.",
        )
    return result.text
