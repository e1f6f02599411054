"""Project discovery: where the entry script, conda file, steps file and models of a deployment are.

One module owns this; the CLI, the language server and the container code all call
`discover_project`. An Azure ML v2 online deployment YAML in the folder wins over conventions;
explicit arguments (flags, editor settings) win over both. Beyond the one project that the debug
loop runs, the project carries the index of every deployment in the tree (`amldebug.deployments`),
which says what each file is used for, so rules run only where they mean something.
"""

from __future__ import annotations

import enum
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from amldebug.deployments import (
    Deployment,
    DeploymentIndex,
    conventional_deployment,
    defines_init_or_run,
    has_entry_points,
    parses,
    scan_deployments,
)
from amldebug.deployments.index import deployments_in_yaml
from amldebug.deployments.model import shown_path
from amldebug.deployments.yaml_sources import yaml_kind

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
# MLflow's own environment files: read by MLflow, never by an Azure ML image build.
MLFLOW_ENVIRONMENT_FILES = ("python_env.yaml", "python_env.yml")

_YAML_SUFFIXES = (".yml", ".yaml")
_ONLINE = frozenset({"online"})
_NOT_CONDA_YAML = ("environment", "job", "online-deployment", "batch-deployment")
_COMMAND_LINE_PROGRAM = re.compile(
    r"\bargparse\b|\bsys\.argv\b|__name__\s*==\s*['\"]__main__|\bcommand_component\b|\bclick\b"
)
_CELL_EXPORT = re.compile(r"\s*%%")
_CODE_LINE = re.compile(r"^[ \t]*[^\s#]", re.M)
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
    # Every deployment of the scanned tree (None: not scanned, the old single-project view).
    index: DeploymentIndex | None = field(default=None, compare=False, repr=False)
    # The conda file came from a flag or a setting: it is the deployed environment.
    explicit_conda_file: bool = False
    explicit_entry_script: bool = False

    def relative(self, path: Path) -> str:
        """`path` relative to the project root when inside it, for messages."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)

    def deployments_of_entry_script(
        self, path: Path, text: str | None = None
    ) -> tuple[Deployment, ...]:
        """The deployments that run `path` as their entry script; for a script that the scanned
        tree does not declare, the one the folder conventions give it."""
        if (
            self.explicit_conda_file
            and self.entry_script is not None
            and _same(path, self.entry_script)
        ):
            return ()  # the user paired them with a flag or a setting
        if self.index is not None:
            found = self.index.for_entry_script(path)
            if found or self.index.covers(path):
                return found or (conventional_deployment(path, text),)
        return (conventional_deployment(path, text),)

    def environment_users(self, path: Path) -> frozenset[str]:
        """The kinds of deployment ("online", "batch") that build their image from this conda
        file; empty when none does (a notebook kernel's, a training job's, an MLflow model's).
        "online" counts only deployments whose image needs the server from this file: an image
        that Azure ML adds the server to (a v1 ContainerImage, a model package) counts as
        "online-served"."""
        if self.explicit_conda_file and self.conda_file and _same(path, self.conda_file):
            return _ONLINE
        if self.index is None:
            return _ONLINE  # no tree scanned: keep the single-project view
        users = self.index.using_conda_file(path)
        if not users and not self.index.covers(path):
            users = tuple(
                d for d in _conventions_beside(path) if d.conda_file and _same(d.conda_file, path)
            )
        return frozenset(
            "online-served" if d.kind == "online" and d.server_provided else d.kind for d in users
        )


def discover_project(
    start: Path | str,
    *,
    entry_script: Path | str | None = None,
    conda_file: Path | str | None = None,
    steps_file: Path | str | None = None,
    model_paths: tuple[Path | str, ...] | list[Path | str] = (),
    base_image: str | None = None,
    index: DeploymentIndex | None = None,
    scan: bool = True,
) -> Project:
    """Find the project that `start` (a folder, or a file inside one) belongs to.

    Relative explicit paths are taken relative to the project root. `index` is the deployment
    index of the tree the caller looks at (the checked folder, the workspace folder); without
    one, the project folder is scanned (unless `scan` is False). Paths that project files name
    stay inside that tree; flags may point anywhere. Never raises for content problems: they are
    reported in `Project.problems`.
    """
    start_path = Path(start).expanduser().absolute()
    root = start_path if start_path.is_dir() else start_path.parent
    problems: list[str] = []

    deployment_file, deployment = _find_deployment(root, problems)
    if deployment is None and not start_path.is_dir() and root.parent != root:
        # A score.py in src/ with the deployment YAML one level up.
        parent_file, parent_deployment = _find_deployment(root.parent, [])
        if (
            parent_deployment is not None
            and parent_deployment.entry_script is not None
            and _same(parent_deployment.entry_script, start_path)
        ):
            root, deployment_file, deployment = root.parent, parent_file, parent_deployment

    if index is None and scan:
        index = scan_deployments(root)
    boundary = index.root if index is not None and _inside(root, index.root) else root

    def explicit(value: Path | str | None) -> Path | None:
        if value is None or str(value) == "":
            return None
        path = Path(value).expanduser()
        return path if path.is_absolute() else (root / path)

    def declared(value: Path | None, what: str) -> Path | None:
        """A path a project file names: kept only inside the tree the user opened."""
        if value is None or _inside(value, boundary):
            return value
        problems.append(
            f"{_shown(deployment_file, root)} names {what} {value}, outside {boundary}; it was "
            "ignored (pass it as an option to use it)."
        )
        return None

    entry = explicit(entry_script) or declared(
        deployment.entry_script if deployment else None, "the entry script"
    )
    entry = entry or _first_existing(root, ENTRY_SCRIPT_NAMES)
    if entry is None and start_path.is_file() and start_path.suffix == ".py":
        entry = start_path if _looks_like_entry_script(start_path) else None
    conda = explicit(conda_file) or declared(
        deployment.conda_file if deployment else None, "the conda file"
    )
    if conda is None and entry is not None and deployment is None:
        conda = _paired_conda_file(entry, index, boundary)
    if conda is None and not (root / "MLmodel").is_file():
        conda = _first_existing(root, CONDA_FILE_NAMES)
    steps = explicit(steps_file) or _first_existing(root, (STEPS_FILE_NAME,))
    declared_models = tuple(
        path
        for path in (
            declared(model.path, "the model") for model in (deployment.models if deployment else ())
        )
        if path is not None
    )
    models = (
        tuple(p for p in (explicit(m) for m in model_paths) if p is not None) or declared_models
    )
    for label, path in (("entry script", entry), ("conda file", conda), ("steps file", steps)):
        if path is not None and not path.exists():
            problems.append(f"The {label} {path} does not exist.")
    image = deployment.environment.image if deployment and deployment.environment else None
    if deployment is not None and deployment.model_reference and not models:
        problems.append(
            f"{_shown(deployment_file, root)}: model '{deployment.model_reference}' is a "
            "registered asset; pass --model with a local copy."
        )
    environment = deployment.environment if deployment else None
    if environment is not None and environment.kind == "registry" and conda is None:
        problems.append(
            f"{_shown(deployment_file, root)}: environment '{environment.reference}' is a "
            "registered asset; pass --conda-file and --base-image to debug it locally."
        )
    return Project(
        root=root,
        entry_script=entry,
        conda_file=conda,
        steps_file=steps,
        deployment_file=deployment_file,
        model_paths=models,
        base_image=base_image or image,
        environment_variables=dict(deployment.environment_variables) if deployment else {},
        problems=tuple(problems),
        index=index,
        explicit_conda_file=bool(conda_file),
        explicit_entry_script=bool(entry_script),
    )


def classify_file(
    path: Path | str, text: str | None = None, project: Project | None = None
) -> FileKind:
    """What kind of `path` is: by the project's choices, then names, then content."""
    path = Path(path)
    if (path.name in MLFLOW_ENVIRONMENT_FILES or _is_mlflow_model_file(path)) and not (
        project is not None and project.environment_users(path) and project.index is not None
    ):
        return FileKind.OTHER  # MLflow's own environment files, unless a deployment names one
    if project is not None:
        resolved = _resolve(path)
        if project.entry_script is not None and resolved == _resolve(project.entry_script):
            if project.explicit_entry_script or not _other_script(path, text, project):
                return FileKind.ENTRY_SCRIPT
            return FileKind.PYTHON
        if (
            project.conda_file is not None
            and resolved == _resolve(project.conda_file)
            and (project.explicit_conda_file or not _not_conda(text))
        ):
            return FileKind.CONDA_FILE
        if project.steps_file is not None and resolved == _resolve(project.steps_file):
            return FileKind.STEPS_FILE
        if project.deployment_file is not None and resolved == _resolve(project.deployment_file):
            return FileKind.DEPLOYMENT
        if project.index is not None and project.index.using_conda_file(path):
            return FileKind.CONDA_FILE
    name = path.name
    if name in ENTRY_SCRIPT_NAMES:
        # A score.py with neither init() nor run() that no deployment names is some other
        # script (a pipeline step's scoring code), not an entry script with both missing.
        return FileKind.PYTHON if _other_script(path, text, project) else FileKind.ENTRY_SCRIPT
    if name in CONDA_FILE_NAMES:
        return FileKind.OTHER if _not_conda(text) else FileKind.CONDA_FILE
    if name == STEPS_FILE_NAME or name.endswith(".steps"):
        return FileKind.STEPS_FILE
    if path.suffix == ".py":
        if text is not None and _entry_script_by_content(text):
            return FileKind.ENTRY_SCRIPT
        return FileKind.PYTHON
    if path.suffix in _YAML_SUFFIXES and text is not None:
        kind = yaml_kind(text)
        if kind in ("online-deployment", "batch-deployment"):
            return FileKind.DEPLOYMENT
        if _CONDA_SHAPE.search(text[:20000]):
            return FileKind.CONDA_FILE
    return FileKind.OTHER


def _other_script(path: Path, text: str | None, project: Project | None) -> bool:
    """A score.py that no deployment names and that is no entry script: a command-line program
    with neither init() nor run() (a pipeline step's scoring code), an empty placeholder, or a
    notebook cell exported with its `%%writefile` line. A new score.py with a first import
    stays an entry script: the init()/run() stubs help there."""
    if text is None or _declared(path, project):
        return False
    if _CELL_EXPORT.match(text) or not _CODE_LINE.search(text):
        return True
    return not defines_init_or_run(text) and _COMMAND_LINE_PROGRAM.search(text) is not None


def _entry_script_by_content(text: str) -> bool:
    """Real top-level init() and run(): only a file that parses has real functions. A notebook
    cell exported with its `%%writefile` line, a notes file pasting a script, or a test quoting
    one in a string is not an entry script unless its name (score.py) or a deployment says so."""
    return has_entry_points(text) and not _CELL_EXPORT.match(text) and parses(text)


def _not_conda(text: str | None) -> bool:
    """An Azure ML environment, job or deployment YAML named like a conda file."""
    return text is not None and yaml_kind(text) in _NOT_CONDA_YAML


def _declared(path: Path, project: Project | None) -> bool:
    """A deployment (not the conventions) names `path` as its entry script."""
    if project is None or project.index is None:
        return False
    return any(not d.is_convention for d in project.index.for_entry_script(path))


def _is_mlflow_model_file(path: Path) -> bool:
    """A YAML in an MLflow model folder (an `MLmodel` file beside it): MLflow's own files."""
    return path.suffix in _YAML_SUFFIXES and (path.parent / "MLmodel").is_file()


def _paired_conda_file(entry: Path, index: DeploymentIndex | None, boundary: Path) -> Path | None:
    """The conda file a deployment of the tree builds `entry` with (a v1 call, an
    inferenceconfig.json, an environment YAML), when one does."""
    if index is None:
        return None
    for deployment in index.for_entry_script(entry):
        conda = deployment.conda_file
        if conda is not None and _inside(conda, boundary):
            return conda
    return None


def _conventions_beside(conda_file: Path) -> list[Deployment]:
    """For a conda file outside any scanned tree: the deployments the conventions give the entry
    scripts of its own folder."""
    found = []
    folder = conda_file.parent
    for name in ENTRY_SCRIPT_NAMES:
        script = folder / name
        if script.is_file():
            found.append(conventional_deployment(script))
    return found


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def _same(left: Path, right: Path) -> bool:
    return os.path.normpath(left.absolute()) == os.path.normpath(right.absolute())


def _inside(path: Path, folder: Path) -> bool:
    try:
        Path(os.path.normpath(path.absolute())).relative_to(os.path.normpath(folder.absolute()))
    except ValueError:
        return False
    return True


def _shown(path: Path | None, root: Path) -> str:
    return "the deployment" if path is None else shown_path(path, root)


def _first_existing(root: Path, names: tuple[str, ...]) -> Path | None:
    for name in names:
        candidate = root / name
        if candidate.is_file():
            return candidate
    return None


def _looks_like_entry_script(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(200_000)
    except OSError:
        return False
    return bool(has_entry_points(head.decode("utf-8-sig", errors="replace")))


def _find_deployment(root: Path, problems: list[str]) -> tuple[Path | None, Deployment | None]:
    """The first YAML in `root` that reads as a deployment (by name, for stability; online ones
    before batch ones, since the debug loop serves online requests). Read through the scan's
    cached facts: the index has already parsed each of these YAMLs."""
    try:
        candidates = sorted(p for p in root.iterdir() if p.suffix in _YAML_SUFFIXES)
    except OSError:
        return None, None
    found: list[Deployment] = []
    for candidate in candidates:
        if candidate.name in CONDA_FILE_NAMES:
            continue
        deployments, unreadable = deployments_in_yaml(candidate)
        if unreadable:
            problems.append(f"{candidate.name} looks like a deployment but is not valid YAML.")
        found.extend(deployments)
    found.sort(key=lambda d: d.kind != "online")
    if not found:
        return None, None
    return found[0].origin.file, found[0]
