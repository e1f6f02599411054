"""Which project files are baked into the debug image as code, the way Azure ML uploads them.

Azure ML leaves out what `.amlignore` lists (or, without one, `.gitignore`) when it uploads a code
folder; the debug image does the same, so a secret kept out of git stays out of the image. The
`--ca-bundle` file is never code even when it lives in the project. Files that look like secrets
(`.env`, keys) and are not ignored are named once in the build notes.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

import pathspec

IGNORE_FILES = (".amlignore", ".gitignore")  # the first that exists wins, as in Azure ML
_SECRET_LIKE = (".env", ".env.*", "*.env", "*.pem", "*.key", "*.pfx", "*.p12", "id_rsa*", "*.kdbx")


@dataclass(frozen=True)
class CodeSelection:
    files: list[Path]
    notes: list[str]


def select_code_files(
    root: Path, candidates: list[Path], *, ca_bundle: Path | None
) -> CodeSelection:
    """`candidates` (files under `root`) minus ignored ones and the CA bundle, with notes."""
    spec, ignore_file = _ignore_spec(root)
    bundle = _resolved(ca_bundle) if ca_bundle is not None else None
    kept: list[Path] = []
    ignored = 0
    for path in candidates:
        relative = path.relative_to(root).as_posix()
        if spec is not None and spec.match_file(relative):
            ignored += 1
            continue
        if bundle is not None and _resolved(path) == bundle:
            continue
        kept.append(path)
    notes = []
    if ignored:
        notes.append(f"left out {ignored} file(s) that {ignore_file} ignores, as Azure ML does")
    secrets = [p.relative_to(root).as_posix() for p in kept if _secret_like(p.name)]
    if secrets:
        shown = ", ".join(secrets[:5]) + (
            f" and {len(secrets) - 5} more" if len(secrets) > 5 else ""
        )
        notes.append(
            f"{shown} look(s) like secrets and will be in the image (and in Azure ML's upload): "
            "list them in .amlignore to leave them out"
        )
    return CodeSelection(kept, notes)


def _ignore_spec(root: Path) -> tuple[pathspec.PathSpec | None, str | None]:
    for name in IGNORE_FILES:
        path = root / name
        try:
            if path.is_file():
                text = path.read_text(encoding="utf-8-sig", errors="replace")[:1_000_000]
                return pathspec.GitIgnoreSpec.from_lines(text.splitlines()), name
        except OSError:
            continue
    return None, None


def _secret_like(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in _SECRET_LIKE)


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()
