"""The labels amldebug puts on the debug containers it starts (the image's labels are in
dockerfile.py): `ps`, `stop`, `update` and `reload` read them back."""

from __future__ import annotations

from pathlib import Path

LABEL_RUNTIME = "amldebug.runtime"  # on every container amldebug starts: "ours"
LABEL_PORT = "amldebug.port"
LABEL_DEBUG_PORT = "amldebug.debug-port"
LABEL_MOUNTED = "amldebug.mounted"


def project_label(root: Path) -> str:
    """The project as the `amldebug.project` label names it: the folder's name only. Labels travel
    with images (`commit`, `docker push`), and the host path would tell where the user keeps it
    and under which account."""
    return root.resolve().name or "project"
