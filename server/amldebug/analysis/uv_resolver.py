"""The impure half of environment resolution: running uv, and caching what it said.

`resolve_conda_text` is what `amldebug check --resolve` calls for each conda file a deployment
uses: cache first (keyed by the pip section, the Python, the index settings), then uv. What it
resolves is remembered in this process (`remembered_closure`) so the entry-script rule AML116 can
trust the real closure without running anything itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Literal

from amldebug.analysis.environment_resolution import (
    PLATFORM,
    Resolution,
    ResolutionInput,
    UvRun,
    UvRunner,
    interpret,
    resolution_input,
)

UV_TIMEOUT_SECONDS = 180
CACHE_ENTRIES = 200  # files kept in the cache folder (oldest dropped)
CACHE_SECONDS = 24 * 3600  # the index changes: a day-old answer is asked again
_CACHE_FORMAT = 2  # bump when Resolution or its interpretation changes
_INDEX_VARIABLES = (
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_EXTRA_INDEX_URL",
    "UV_INDEX",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
)


def find_uv() -> list[str] | None:
    """How to run uv: $AMLDEBUG_UV, else `uv` on PATH, else the `uv` package of this
    interpreter."""
    chosen = os.environ.get("AMLDEBUG_UV")
    if chosen:
        return [chosen]
    found = shutil.which("uv")
    if found:
        return [found]
    try:
        from uv import find_uv_bin

        return [str(find_uv_bin())]
    except (ImportError, FileNotFoundError):
        return None


def uv_environment(ca_bundle: Path | None = None) -> dict[str, str]:
    """The user's pip index and CA settings, as uv reads them."""
    environment = dict(os.environ)
    uv_index = "UV_INDEX_URL" in environment or "UV_DEFAULT_INDEX" in environment
    if not uv_index and environment.get("PIP_INDEX_URL"):
        environment["UV_INDEX_URL"] = environment["PIP_INDEX_URL"]
    if "UV_EXTRA_INDEX_URL" not in environment and environment.get("PIP_EXTRA_INDEX_URL"):
        environment["UV_EXTRA_INDEX_URL"] = environment["PIP_EXTRA_INDEX_URL"]
    bundle = ca_bundle
    if bundle is None and not environment.get("SSL_CERT_FILE"):
        for variable in ("PIP_CERT", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            if environment.get(variable):
                bundle = Path(environment[variable])
                break
    if bundle is not None:
        environment["SSL_CERT_FILE"] = str(bundle)
    environment["UV_PYTHON_DOWNLOADS"] = "never"
    environment.setdefault("UV_NO_PROGRESS", "1")
    return environment


class UvCommand:
    """The real `UvRunner`: `uv pip compile -` for a Python and Linux x86_64."""

    def __init__(
        self, command: list[str] | Literal["find"] | None = "find", ca_bundle: Path | None = None
    ) -> None:
        # "find": uv on PATH or this interpreter's uv package; None: no uv (AML215).
        self.command = find_uv() if command == "find" else command
        self.ca_bundle = ca_bundle

    def __call__(self, requirements: str, python: str, folder: Path) -> UvRun | None:
        if self.command is None:
            return None
        arguments = [
            *self.command,
            "pip",
            "compile",
            "-",
            "--python-version",
            python,
            "--python-platform",
            PLATFORM,
            "--no-header",
            "--no-annotate",
            "--no-python-downloads",
        ]
        try:
            done = subprocess.run(
                arguments,
                input=requirements,
                capture_output=True,
                text=True,
                cwd=folder if folder.is_dir() else None,
                env=uv_environment(self.ca_bundle),
                timeout=UV_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return UvRun(2, "", f"error: uv took longer than {UV_TIMEOUT_SECONDS} s (timed out)")
        except OSError as problem:
            return UvRun(2, "", f"error: could not run uv: {problem} (failed to connect)")
        return UvRun(done.returncode, done.stdout, done.stderr)


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "amldebug" / "resolve"


class ResolutionCache:
    """Resolutions on disk, keyed by content; failures that may pass later are never kept."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or cache_folder()

    @staticmethod
    def key(request: ResolutionInput) -> str:
        settings = {name: os.environ.get(name, "") for name in _INDEX_VARIABLES}
        blob = json.dumps(
            [_CACHE_FORMAT, request.requirements_text, request.python_full, PLATFORM, settings]
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:32]

    def get(self, request: ResolutionInput) -> Resolution | None:
        path = self.folder / f"{self.key(request)}.json"
        try:
            if time.time() - path.stat().st_mtime > CACHE_SECONDS:
                return None
            data = json.loads(path.read_text(encoding="utf-8"))
            return Resolution(**data)
        except (OSError, ValueError, TypeError):
            return None

    def put(self, request: ResolutionInput, resolution: Resolution) -> None:
        if resolution.outcome == "unavailable":
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{self.key(request)}.json"
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(asdict(resolution)), encoding="utf-8")
            os.replace(temporary, path)
            self._prune()
        except OSError:
            pass  # a read-only home: resolve again next time

    def _prune(self) -> None:
        entries = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for stale in entries[:-CACHE_ENTRIES]:
            stale.unlink(missing_ok=True)


# Closures resolved in this process, by requirements text and Python (read by AML116).
_REMEMBERED: dict[tuple[str, str], frozenset[str]] = {}
_REMEMBERED_MAX = 64


def remembered_closure(conda_text: str) -> frozenset[str] | None:
    """The resolved closure of this conda file's pip section, if this process resolved it."""
    if not _REMEMBERED:
        return None
    request = resolution_input(conda_text)
    if request is None or request.left_out:
        return None
    return _REMEMBERED.get((request.requirements_text, request.python))


def resolve_conda_text(
    conda_text: str,
    folder: Path,
    *,
    runner: UvRunner | None = None,
    cache: ResolutionCache | None = None,
) -> tuple[ResolutionInput, Resolution] | None:
    """Resolve a conda file's pip section (None when it has none)."""
    request = resolution_input(conda_text)
    if request is None:
        return None
    resolution = cache.get(request) if cache is not None else None
    if resolution is None:
        run = (runner or UvCommand())(request.requirements_text, request.python_full, folder)
        resolution = interpret(run, request)
        if cache is not None:
            cache.put(request, resolution)
    closure = resolution.closure
    if closure is not None:
        _REMEMBERED[(request.requirements_text, request.python)] = closure
        while len(_REMEMBERED) > _REMEMBERED_MAX:  # an editor session saves many versions
            del _REMEMBERED[next(iter(_REMEMBERED))]
    return request, resolution


def uv_version() -> str | None:
    command = find_uv()
    if command is None:
        return None
    done = subprocess.run([*command, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or None


if __name__ == "__main__":  # pragma: no cover - a manual probe
    text = Path(sys.argv[1]).read_text(encoding="utf-8")
    print(resolve_conda_text(text, Path(sys.argv[1]).parent, cache=ResolutionCache()))
