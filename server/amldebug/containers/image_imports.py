"""Ground truth from the built image: which imports of the entry script its Python can resolve.

After a build, a throwaway container of the image (no network, the image's own interpreter and
sys.path as the server sets it up) runs `importlib.util.find_spec` on each top-level module the
entry script imports; nothing of the script runs. The result is recorded in
`$XDG_CACHE_HOME/amldebug/image-imports.json`, keyed by image id and entry-script hash, with the
environment file's hash: `amldebug check` and the language server show AML120 from the record
while the script and the environment file are what was built.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amldebug.analysis.image_imports import entry_imports, missing_import_diagnostics
from amldebug.diagnostics import Diagnostic
from amldebug.project_files import DEFAULT_MAX_BYTES, read_project_file

if TYPE_CHECKING:
    from amldebug.containers.docker_engine import DockerEngine
    from amldebug.progress import ProgressReporter
    from amldebug.project import Project

PROBE_TIMEOUT_SECONDS = 60
_MAX_RECORDS = 64
# Runs inside the image. The server puts AML_APP_ROOT and the entry script's folder on sys.path;
# find_spec on a top-level name imports nothing.
_PROBE = r"""
import importlib.util, json, os, sys
root = os.environ.get("AML_APP_ROOT", "/var/azureml-app")
script = os.environ.get("AMLDEBUG_USER_SCRIPT") or os.environ.get("AZUREML_ENTRY_SCRIPT", "")
for folder in (root, os.path.dirname(os.path.join(root, script))):
    if folder not in sys.path:
        sys.path.insert(0, folder)
found = {}
for name in json.loads(sys.argv[1]):
    try:
        found[name] = importlib.util.find_spec(name) is not None
    except Exception:
        found[name] = False
print("AMLDEBUG-IMPORTS " + json.dumps({"python": sys.version.split()[0], "found": found}))
"""


@dataclass(frozen=True)
class ImageImportCheck:
    image: str
    image_id: str
    script: str  # the entry script's absolute path on this machine
    script_sha256: str
    environment_sha256: str  # of the conda file the image was built from ("" when none)
    python: str
    missing: tuple[str, ...]
    checked_at: float

    def diagnostics(self, text: str) -> list[Diagnostic]:
        return missing_import_diagnostics(text, self.missing, image=self.image, python=self.python)


class ImageProbeFailed(Exception):
    pass


def check_image_imports(
    engine: DockerEngine,
    image: str,
    image_id: str,
    project: Project,
    *,
    script_text: str | None = None,
) -> ImageImportCheck | None:
    """Probe `image` for the entry script's imports, record the result and return it.

    None when there is no entry script to read; ImageProbeFailed when the container did not answer.
    """
    script = project.entry_script
    if script is None:
        return None
    text = script_text if script_text is not None else _read(script)
    if text is None:
        return None
    local = _local_modules(project, script)
    modules = sorted({site.module for site in entry_imports(text)} - local)
    found: dict[str, bool] = {}
    python = ""
    if modules:
        python, found = _probe(engine, image, modules)
    check = ImageImportCheck(
        image=image,
        image_id=image_id,
        script=str(script.resolve()),
        script_sha256=_sha256(text),
        environment_sha256=_sha256(_read(project.conda_file) or "") if project.conda_file else "",
        python=python,
        missing=tuple(name for name in modules if not found.get(name, False)),
        checked_at=time.time(),
    )
    _store(check)
    return check


def check_after_build(
    engine: DockerEngine,
    image: str,
    image_id: str,
    project: Project,
    reporter: ProgressReporter | None = None,
    *,
    script_text: str | None = None,
) -> ImageImportCheck | None:
    """`check_image_imports` for a build that just finished: a probe that fails is a note in the
    log, never a failed build."""
    try:
        check = check_image_imports(engine, image, image_id, project, script_text=script_text)
    except Exception as error:  # an extra: it must never turn a good build into a failure
        if reporter is not None:
            reporter.log(f"amldebug: could not check the entry script's imports: {error}")
        return None
    if check is not None and reporter is not None and check.missing:
        reporter.log(
            "amldebug: not importable in the image: " + ", ".join(check.missing) + " (AML120)"
        )
    return check


def recorded_diagnostics(path: Path, text: str, project: Project) -> list[Diagnostic]:
    """AML120 from the newest record for this script's very text and environment, if any."""
    record = recorded_check(path, text, project)
    return record.diagnostics(text) if record is not None else []


def recorded_check(path: Path, text: str, project: Project) -> ImageImportCheck | None:
    records = _load()
    if not records:
        return None
    script = str(path.resolve())
    script_sha = _sha256(text)
    candidates = [r for r in records if r.script == script and r.script_sha256 == script_sha]
    if not candidates:
        return None
    environment = _sha256(_read(project.conda_file) or "") if project.conda_file is not None else ""
    current = [r for r in candidates if r.environment_sha256 == environment]
    return max(current, key=lambda r: r.checked_at) if current else None


def report_lines(project: Project) -> list[str]:
    """`file:line:col: AML120 error: ...` for the CLI, from the record of the last build."""
    script = project.entry_script
    text = _read(script) if script is not None else None
    if script is None or text is None:
        return []
    return [
        f"{project.relative(script)}:{d.range.start.line + 1}:{d.range.start.character + 1}: "
        f"{d.code} {d.severity.label}: {d.message}"
        for d in recorded_diagnostics(script, text, project)
    ]


def _probe(engine: DockerEngine, image: str, modules: list[str]) -> tuple[str, dict[str, bool]]:
    container = engine.run_container(
        image,
        entrypoint=[
            "/bin/sh",
            "-c",
            'exec "$(command -v python || command -v python3)" -c "$0" "$1"',
            _PROBE,
            json.dumps(modules),
        ],
        command=[],
        network_mode="none",
        labels={"amldebug.role": "import-probe"},
    )
    try:
        container.wait(timeout=PROBE_TIMEOUT_SECONDS)
        output = container.logs(stdout=True, stderr=True).decode("utf-8", errors="replace")
    except Exception as error:  # a timeout or an engine error: no ground truth this time
        raise ImageProbeFailed(f"the import check in {image} did not answer: {error}") from None
    finally:
        with contextlib.suppress(Exception):
            container.remove(force=True)
    for line in reversed(output.splitlines()):
        if line.startswith("AMLDEBUG-IMPORTS "):
            answer = json.loads(line.split(" ", 1)[1])
            return str(answer["python"]), {str(k): bool(v) for k, v in answer["found"].items()}
    raise ImageProbeFailed(f"the import check in {image} printed no answer: {output[-500:]}")


def _local_modules(project: Project, script: Path) -> set[str]:
    """Top-level modules of the user's own code (beside the script, or at the project root)."""
    names: set[str] = set()
    for folder in {script.parent, project.root}:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.suffix == ".py" and entry.is_file():
                names.add(entry.stem)
            elif entry.is_dir() and entry.name.isidentifier():
                names.add(entry.name)
    return names


# --- the record ----------------------------------------------------------------------------------

_lock = threading.Lock()
_loaded: tuple[tuple[int, int], list[ImageImportCheck]] | None = None


def cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "amldebug" / "image-imports.json"


def _load() -> list[ImageImportCheck]:
    global _loaded
    path = cache_file()
    try:
        stat = path.stat()
    except OSError:
        return []
    key = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        if _loaded is not None and _loaded[0] == key:
            return _loaded[1]
        try:
            raw = json.loads(path.read_text("utf-8"))
            records = [_from_json(item) for item in raw.get("records", [])]
        except (OSError, ValueError, TypeError, KeyError):
            records = []
        _loaded = (key, records)
        return records


def _from_json(item: dict[str, Any]) -> ImageImportCheck:
    return ImageImportCheck(**{**item, "missing": tuple(item["missing"])})


def _store(check: ImageImportCheck) -> None:
    kept = [
        r
        for r in _load()
        if not (r.image_id == check.image_id and r.script_sha256 == check.script_sha256)
    ]
    kept = sorted([*kept, check], key=lambda r: r.checked_at)[-_MAX_RECORDS:]
    path = cache_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps({"records": [asdict(r) for r in kept]}, indent=1), "utf-8")
    os.replace(temporary, path)


def _read(path: Path | None) -> str | None:
    """A project file's text through the guarded reader: a conda file that is a FIFO or a device
    must not block the language server, which asks for it while checking the entry script."""
    if path is None:
        return None
    return read_project_file(path, root=None, max_bytes=DEFAULT_MAX_BYTES).text


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()
