"""The conda file a Docker build context installs, for environments built from a Dockerfile
(`Environment(build=BuildContext(path=...))`, `build: {path: ...}`): the one YAML the Dockerfile
copies in when it also runs `conda env create|update`. Anything less clear is no answer."""

from __future__ import annotations

import os
import re
from pathlib import Path

from amldebug.project_files import read_project_file

MAX_DOCKERFILE_BYTES = 256 * 1024
_COPY = re.compile(r"^\s*(?:COPY|ADD)\s+(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
_CONDA_ENVIRONMENT = re.compile(
    r"\b(?:conda|mamba|micromamba)\s+env\s+(?:create|update)\b|\bmicromamba\s+(?:create|install)\b"
)
_YAML_SUFFIXES = (".yml", ".yaml")


def conda_file_of_build(context: Path, dockerfile: str | None = None) -> Path | None:
    """The conda file under `context` that its Dockerfile installs, or None."""
    path = context / (dockerfile or "Dockerfile")
    text = read_project_file(path, root=None, max_bytes=MAX_DOCKERFILE_BYTES).text
    if text is None or _CONDA_ENVIRONMENT.search(text) is None:
        return None
    copied = {
        Path(os.path.normpath(context / source))
        for arguments in _COPY.findall(text)
        for source in _sources(arguments)
        if source.endswith(_YAML_SUFFIXES)
    }
    found = [candidate for candidate in copied if candidate.is_file()]
    return found[0] if len(found) == 1 else None


def _sources(arguments: str) -> list[str]:
    """The source paths of `COPY [--chown=x] src... dest` (flags and the destination dropped)."""
    words = [word for word in arguments.split() if not word.startswith("--")]
    return words[:-1]
