"""Project discovery: where the entry script, conda file, steps file and models of a deployment are.

One module owns this; the CLI, the language server and the container code all call
`discover_project`. An Azure ML v2 online deployment YAML in the folder wins over conventions;
explicit arguments (flags, editor settings) win over both.
"""

from __future__ import annotations

import ast
import enum
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ENTRY_SCRIPT_NAMES = ("score.py",)
CONDA_FILE_NAMES = (
    "myenv.yml",
    "conda.yml",
    "conda.yaml",
    "environment.yml",
    "conda_dependencies.yml",
)
STEPS_FILE_NAME = "Dockerfile.steps"
# The inference server's application root inside Azure ML images.
CONTAINER_APP_ROOT = "/var/azureml-app"

_YAML_SUFFIXES = (".yml", ".yaml")
_DEPLOYMENT_MARKERS = ("code_configuration", "scale_settings", "request_settings", "instance_type")
_MAX_DEPLOYMENT_YAML_BYTES = 256 * 1024
_ENTRY_SCRIPT_SHAPE = re.compile(
    r"^def\s+init\s*\(.*?^def\s+run\s*\(|^def\s+run\s*\(.*?^def\s+init\s*\(", re.M | re.S
)
_CONDA_SHAPE = re.compile(r"^dependencies\s*:", re.M)


class FileKind(enum.Enum):
    ENTRY_SCRIPT = "entry-script"
    CONDA_FILE = "conda-file"
    STEPS_FILE = "steps-file"
    DEPLOYMENT = "deployment"
    PYTHON = "python"  # other Python files: checked for AksWebservice scale settings only
    OTHER = "other"


@dataclass(frozen=True)
class Project:
    root: Path
    entry_script: Path | None = None
    conda_file: Path | None = None
    steps_file: Path | None = None
    deployment_file: Path | None = None
    # Local folder or file per model; each is copied to azureml-models/<name>/1 in a debug image.
    model_paths: tuple[Path, ...] = ()
    base_image: str | None = None
    environment_variables: dict[str, str] = field(default_factory=dict)
    # Things discovery noticed but could not use (an unreadable deployment YAML, a missing file).
    problems: tuple[str, ...] = ()

    def relative(self, path: Path) -> str:
        """`path` relative to the project root when inside it, for messages."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)


def discover_project(
    start: Path | str,
    *,
    entry_script: Path | str | None = None,
    conda_file: Path | str | None = None,
    steps_file: Path | str | None = None,
    model_paths: tuple[Path | str, ...] | list[Path | str] = (),
    base_image: str | None = None,
) -> Project:
    """Find the project that `start` (a folder, or a file inside one) belongs to.

    Relative explicit paths are taken relative to the project root. Never raises for content
    problems: they are reported in `Project.problems`.
    """
    start_path = Path(start).expanduser().absolute()
    root = start_path if start_path.is_dir() else start_path.parent
    problems: list[str] = []

    deployment_file, deployment = _find_deployment(root, problems)
    if deployment_file is None and not start_path.is_dir() and root.parent != root:
        # A score.py in src/ with the deployment YAML one level up.
        parent_file, parent_deployment = _find_deployment(root.parent, [])
        if parent_file is not None and _deployment_names(
            parent_file, parent_deployment, start_path
        ):
            root, deployment_file, deployment = root.parent, parent_file, parent_deployment

    found = _from_deployment(deployment_file, deployment, problems) if deployment_file else {}

    def explicit(value: Path | str | None) -> Path | None:
        if value is None or str(value) == "":
            return None
        path = Path(value).expanduser()
        return path if path.is_absolute() else (root / path)

    entry = (
        explicit(entry_script)
        or found.get("entry_script")
        or _first_existing(root, ENTRY_SCRIPT_NAMES)
    )
    if entry is None and start_path.is_file() and start_path.suffix == ".py":
        entry = start_path if _looks_like_entry_script(start_path) else None
    conda = (
        explicit(conda_file) or found.get("conda_file") or _first_existing(root, CONDA_FILE_NAMES)
    )
    steps = explicit(steps_file) or _first_existing(root, (STEPS_FILE_NAME,))
    models = tuple(p for p in (explicit(m) for m in model_paths) if p is not None) or tuple(
        found.get("model_paths", ())
    )
    for label, path in (("entry script", entry), ("conda file", conda), ("steps file", steps)):
        if path is not None and not path.exists():
            problems.append(f"The {label} {path} does not exist.")

    return Project(
        root=root,
        entry_script=entry,
        conda_file=conda,
        steps_file=steps,
        deployment_file=deployment_file,
        model_paths=models,
        base_image=base_image or found.get("base_image"),
        environment_variables=found.get("environment_variables", {}),
        problems=tuple(problems),
    )


def classify_file(
    path: Path | str, text: str | None = None, project: Project | None = None
) -> FileKind:
    """What kind of `path` is: by the project's choices, then names, then content."""
    path = Path(path)
    if project is not None:
        resolved = _resolve(path)
        if project.entry_script is not None and resolved == _resolve(project.entry_script):
            return FileKind.ENTRY_SCRIPT
        if project.conda_file is not None and resolved == _resolve(project.conda_file):
            return FileKind.CONDA_FILE
        if project.steps_file is not None and resolved == _resolve(project.steps_file):
            return FileKind.STEPS_FILE
        if project.deployment_file is not None and resolved == _resolve(project.deployment_file):
            return FileKind.DEPLOYMENT
    name = path.name
    if name in ENTRY_SCRIPT_NAMES:
        return FileKind.ENTRY_SCRIPT
    if name in CONDA_FILE_NAMES:
        return FileKind.CONDA_FILE
    if name == STEPS_FILE_NAME or name.endswith(".steps"):
        return FileKind.STEPS_FILE
    if path.suffix == ".py":
        if text is not None and _has_entry_points(text):
            return FileKind.ENTRY_SCRIPT
        return FileKind.PYTHON
    if path.suffix in _YAML_SUFFIXES and text is not None:
        head = text[:20000]
        if any(re.search(rf"^{marker}\s*:", head, re.M) for marker in _DEPLOYMENT_MARKERS):
            return FileKind.DEPLOYMENT
        if _CONDA_SHAPE.search(head):
            return FileKind.CONDA_FILE
    return FileKind.OTHER


@functools.lru_cache(maxsize=16)
def _has_entry_points(text: str) -> bool:
    """Top-level `def init` and `def run`: the regex is the cheap filter, the syntax tree the
    proof (a test file quoting a score.py in a string is not an entry script). A file that does
    not parse keeps the regex's answer, so its syntax error is still reported."""
    if not _ENTRY_SCRIPT_SHAPE.search(text):
        return False
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True
    names = {
        node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    return {"init", "run"} <= names


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def _first_existing(root: Path, names: tuple[str, ...]) -> Path | None:
    for name in names:
        candidate = root / name
        if candidate.is_file():
            return candidate
    return None


def _looks_like_entry_script(path: Path) -> bool:
    try:
        return bool(_has_entry_points(path.read_text(encoding="utf-8", errors="replace")[:200000]))
    except OSError:
        return False


def _find_deployment(root: Path, problems: list[str]) -> tuple[Path | None, dict[str, Any]]:
    """The first YAML in `root` that reads as an online deployment (by name, for stability)."""
    try:
        candidates = sorted(p for p in root.iterdir() if p.suffix in _YAML_SUFFIXES and p.is_file())
    except OSError:
        return None, {}
    for candidate in candidates:
        if candidate.name in CONDA_FILE_NAMES:
            continue
        try:
            if candidate.stat().st_size > _MAX_DEPLOYMENT_YAML_BYTES:
                continue
            text = candidate.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if not any(re.search(rf"^{m}\s*:", text, re.M) for m in _DEPLOYMENT_MARKERS):
            continue
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            problems.append(
                f"{candidate.name} looks like a deployment but is not valid YAML: {error}"
            )
            continue
        if isinstance(data, dict):
            return candidate, data
    return None, {}


def _deployment_names(deployment_file: Path, deployment: dict[str, Any], script: Path) -> bool:
    found = _from_deployment(deployment_file, deployment, [])
    entry = found.get("entry_script")
    return entry is not None and _resolve(entry) == _resolve(script)


def _from_deployment(
    deployment_file: Path, data: dict[str, Any], problems: list[str]
) -> dict[str, Any]:
    """Read the parts of a v2 online deployment YAML that a local debug run needs."""
    base = deployment_file.parent
    found: dict[str, Any] = {}

    code_configuration = data.get("code_configuration")
    if isinstance(code_configuration, dict):
        code = code_configuration.get("code")
        code_dir = (
            base / code if isinstance(code, str) and not code.startswith("azureml:") else base
        )
        script = code_configuration.get("scoring_script")
        if isinstance(script, str) and script:
            found["entry_script"] = code_dir / script
        elif script is not None:
            problems.append(
                f"{deployment_file.name}: code_configuration.scoring_script is not a file name."
            )

    environment = data.get("environment")
    if isinstance(environment, dict):
        conda = environment.get("conda_file")
        if isinstance(conda, str) and conda:
            found["conda_file"] = base / conda
        image = environment.get("image")
        if isinstance(image, str) and image:
            found["base_image"] = image
    elif isinstance(environment, str) and environment:
        problems.append(
            f"{deployment_file.name}: environment '{environment}' is a registered asset; "
            "pass --conda-file and --base-image to debug it locally."
        )

    model = data.get("model")
    if isinstance(model, dict):
        model_path = model.get("path")
        if isinstance(model_path, str) and model_path:
            found["model_paths"] = (base / model_path,)
    elif isinstance(model, str) and model:
        problems.append(
            f"{deployment_file.name}: model '{model}' is a registered asset; "
            "pass --model with a local copy."
        )

    variables = data.get("environment_variables")
    if isinstance(variables, dict):
        found["environment_variables"] = {
            str(k): "" if v is None else str(v) for k, v in variables.items()
        }
    return found
