"""Every deployment in a folder tree, and which of them use a given file.

Sources, strongest first: v2 deployment YAMLs anywhere in the tree (paths from their own folder),
v1 inference configurations, SDK calls with literal arguments in `.py` files and notebooks, then
the file-name conventions beside an entry script that nothing else claims. The walk is bounded
(files seen, bytes read) and skips virtual environments, `node_modules` and hidden folders.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from amldebug.deployments.model import Deployment, DeploymentKind, EnvironmentSource, Origin
from amldebug.deployments.python_sources import (
    deployments_from_notebook,
    deployments_from_python,
    mentions_deployment,
)
from amldebug.deployments.shell_sources import (
    MAX_SHELL_TEXT,
    CliDeployment,
    cli_deployments_from_shell,
    deployments_from_cli_commands,
)
from amldebug.deployments.yaml_sources import (
    MAX_DEPLOYMENT_TEXT,
    EnvironmentAsset,
    deployments_from_inference_config,
    deployments_from_yaml,
    environment_asset_from_yaml,
    yaml_kind,
)
from amldebug.project_files import read_project_file

ENTRY_SCRIPT_NAMES = ("score.py",)
# Conda files looked for beside an entry script, in this order (the first found is used).
CONVENTIONAL_CONDA_FILES = (
    "myenv.yml",
    "conda.yml",
    "conda.yaml",
    "environment.yml",
    "conda_dependencies.yml",
    "env.yml",
    "environment.yaml",
    "conda_env.yml",
    "conda_env.yaml",
    "environment/conda.yaml",
    "environment/conda.yml",
)
REQUIREMENTS_FILE = "requirements.txt"
SKIPPED_DIRECTORIES = frozenset(
    {".git", "node_modules", ".venv", "venv", "__pycache__", "site-packages", ".tox", ".mypy_cache"}
)
MAX_FILES_SEEN = 50_000
MAX_SOURCE_BYTES = 2_000_000
MAX_NOTEBOOK_BYTES = 8_000_000
_ENTRY_SCRIPT_SHAPE = re.compile(
    r"^def\s+init\s*\(.*?^def\s+run\s*\(|^def\s+run\s*\(.*?^def\s+init\s*\(", re.M | re.S
)
_TOP_LEVEL_INIT_OR_RUN = re.compile(r"^(?:async\s+)?def\s+(?:init|run)\b", re.M)
# The first parameter of a batch driver's run(): the files or DataFrame of one mini-batch.
_BATCH_PARAMETER = re.compile(
    r"(?:mini_?batch\w*|\w*_?batch|batch_\w+|file_list|files|file_paths|input_files)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DeploymentIndex:
    root: Path
    deployments: tuple[Deployment, ...] = ()
    environments: tuple[EnvironmentAsset, ...] = ()
    # The walk stopped at MAX_FILES_SEEN: deployments deeper in the tree may be missing.
    truncated: bool = False
    # The folders walked (top-down, parents first) with their file names, as walk_project_tree
    # gives them; empty when truncated. `check` goes through these instead of walking again.
    tree: tuple[tuple[Path, tuple[str, ...]], ...] = field(default=(), compare=False, repr=False)
    # Folders the walk could not list, with the reason ("Permission denied").
    unreadable: tuple[tuple[Path, str], ...] = field(default=(), compare=False, repr=False)
    _by_entry: dict[Path, tuple[Deployment, ...]] = field(default_factory=dict, compare=False)
    _by_conda: dict[Path, tuple[Deployment, ...]] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        for deployment in self.deployments:
            if deployment.entry_script is not None:
                key = _key(deployment.entry_script)
                self._by_entry[key] = (*self._by_entry.get(key, ()), deployment)
            if deployment.conda_file is not None:
                key = _key(deployment.conda_file)
                self._by_conda[key] = (*self._by_conda.get(key, ()), deployment)

    def for_entry_script(self, path: Path) -> tuple[Deployment, ...]:
        return self._by_entry.get(_key(path), ())

    def using_conda_file(self, path: Path) -> tuple[Deployment, ...]:
        return self._by_conda.get(_key(path), ())

    def covers(self, path: Path) -> bool:
        """`path` lies in the scanned tree (so an absent deployment means there is none)."""
        try:
            path.absolute().relative_to(self.root)
        except ValueError:
            return False
        return not self.truncated


def scan_deployments(root: Path | str) -> DeploymentIndex:
    """Every deployment under `root`. Never raises: unreadable files are skipped. What each file
    declares is cached by its modification time and size, so a rescan after a save reads only
    the files that changed."""
    root = Path(os.path.abspath(root))
    declared: list[Deployment] = []
    assets: list[EnvironmentAsset] = []
    entry_candidates: list[Path] = []
    commands: list[CliDeployment] = []
    truncated = False
    tree: list[tuple[Path, tuple[str, ...]]] = []
    unreadable: list[tuple[Path, str]] = []
    for count, path in enumerate(_walk_files(root, tree, unreadable)):
        if count >= MAX_FILES_SEEN:
            truncated = True
            break
        facts = _file_facts(path)
        if facts is None:
            continue
        declared.extend(facts.deployments)
        if facts.asset is not None:
            assets.append(facts.asset)
        if facts.entry_candidate:
            entry_candidates.append(path)
        commands.extend(facts.commands)
    declared.extend(deployments_from_cli_commands(commands))
    packaged = {_key(c.file) for c in commands if c.packaged and c.file is not None}
    declared = [
        replace(d, server_provided=True) if _key(d.origin.file) in packaged else d for d in declared
    ]
    linked = [_link_environment(deployment, assets) for deployment in declared]
    claimed = {_key(d.entry_script) for d in linked if d.entry_script is not None}
    conventions = [
        conventional_deployment(path) for path in entry_candidates if _key(path) not in claimed
    ]
    walked = () if truncated else tuple(tree)
    return DeploymentIndex(
        root, tuple(linked + conventions), tuple(assets), truncated, walked, tuple(unreadable)
    )


@dataclass(frozen=True)
class _FileFacts:
    deployments: tuple[Deployment, ...] = ()
    asset: EnvironmentAsset | None = None
    entry_candidate: bool = False
    # `az ml ...-deployment create|update` commands of a shell script.
    commands: tuple[CliDeployment, ...] = ()
    # A YAML that says it is an online or batch deployment (`$schema`, keys), valid or not.
    deployment_yaml: bool = False


_NOTHING = _FileFacts()
_facts_cache: dict[Path, tuple[tuple[int, int], _FileFacts]] = {}
_FACTS_CACHE_SIZE = 20_000


def _file_facts(path: Path) -> _FileFacts | None:
    name, suffix = path.name, path.suffix
    lowered = name.lower().replace("_", "").replace("-", "")
    if suffix not in (".yml", ".yaml", ".json", ".py", ".ipynb", ".sh"):
        return None
    if suffix == ".json" and not lowered.startswith("inferenceconfig"):
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _facts_cache.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    facts = _read_facts(path, suffix, lowered)
    if len(_facts_cache) >= _FACTS_CACHE_SIZE:
        _facts_cache.clear()
    _facts_cache[path] = (key, facts)
    return facts


def _read_facts(path: Path, suffix: str, lowered: str) -> _FileFacts:
    if suffix in (".yml", ".yaml", ".json"):
        text = _read(path, MAX_DEPLOYMENT_TEXT)
        if text is None:
            return _NOTHING
        if "inferenceconfig" in lowered:
            return _FileFacts(tuple(deployments_from_inference_config(path, text)))
        deployments = tuple(deployments_from_yaml(path, text))
        return _FileFacts(
            deployments,
            environment_asset_from_yaml(path, text),
            deployment_yaml=yaml_kind(text) in ("online-deployment", "batch-deployment"),
        )
    if suffix == ".py":
        text = _read(path, MAX_SOURCE_BYTES)
        if text is None:
            return _NOTHING
        found = tuple(deployments_from_python(path, text)) if mentions_deployment(text) else ()
        candidate = (has_entry_points(text) and parses(text)) or (
            path.name in ENTRY_SCRIPT_NAMES and defines_init_or_run(text)
        )
        return _FileFacts(found, None, candidate)
    if suffix == ".sh":
        text = _read(path, MAX_SHELL_TEXT)
        if text is None:
            return _NOTHING
        return _FileFacts(commands=tuple(cli_deployments_from_shell(path, text)))
    text = _read(path, MAX_NOTEBOOK_BYTES)
    if text is None or not mentions_deployment(text):
        return _NOTHING
    return _FileFacts(tuple(deployments_from_notebook(path, text)))


def conventional_deployment(entry_script: Path, text: str | None = None) -> Deployment:
    """The deployment the folder conventions give an entry script nothing else claims: the first
    conventional conda file beside it, else a `requirements.txt`, else no known environment."""
    folder = entry_script.parent
    if text is None:
        text = _read(entry_script, MAX_SOURCE_BYTES) or ""
    kind: DeploymentKind = "batch" if looks_like_batch_driver(text) else "online"
    for name in CONVENTIONAL_CONDA_FILES:
        candidate = folder / name
        if candidate.is_file() and not (candidate.parent / "MLmodel").exists():
            origin = Origin(entry_script, 0, f"convention: {name} beside {entry_script.name}")
            environment = EnvironmentSource("conda", origin, conda_file=candidate)
            return Deployment(kind, origin, entry_script, folder, environment)
    requirements = folder / REQUIREMENTS_FILE
    if requirements.is_file():
        origin = Origin(
            entry_script, 0, f"convention: {REQUIREMENTS_FILE} beside {entry_script.name}"
        )
        environment = EnvironmentSource("pip", origin, requirements_file=requirements)
        return Deployment(kind, origin, entry_script, folder, environment)
    origin = Origin(entry_script, 0, "convention: no environment file beside the script")
    return Deployment(kind, origin, entry_script, folder, None)


@functools.lru_cache(maxsize=64)
def has_entry_points(text: str) -> bool:
    """Top-level `def init` and `def run`: the regex is the cheap filter, the syntax tree the
    proof (a test file quoting a score.py in a string is not an entry script). A file that does
    not parse keeps the regex's answer, so its syntax error is still reported."""
    if not _ENTRY_SCRIPT_SHAPE.search(text):
        return False
    tree = _parse(text)
    if tree is None:
        return True
    names = {
        node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    return {"init", "run"} <= names


def defines_init_or_run(text: str) -> bool:
    """A top-level `def init` or `def run` (at column 0: cheap enough for every keystroke). A
    `score.py` with neither is some other script (a pipeline step's scoring code)."""
    return _TOP_LEVEL_INIT_OR_RUN.search(text) is not None


@functools.lru_cache(maxsize=64)
def looks_like_batch_driver(text: str) -> bool:
    """`run(mini_batch)`: how batch endpoints, parallel jobs and ParallelRunStep call a driver
    script. Pure, cached; False when the text does not parse or has no module-level run()."""
    if "def run" not in text:
        return False
    tree = _parse(text)
    if tree is None:
        return False
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "run":
            return has_batch_driver_signature(node)
    return False


def has_batch_driver_signature(run: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """run()'s parameters say batch driver: the first is named like a mini-batch (`mini_batch`,
    `batch`, `file_list`), or one is the parallel job's `mini_batch_context`. The entry-script
    rules ask this of their own cached tree; discovery of a whole tree asks `looks_like_...`."""
    names = [argument.arg for argument in (*run.args.posonlyargs, *run.args.args)]
    return bool(names) and (
        _BATCH_PARAMETER.fullmatch(names[0]) is not None
        or any("mini_batch" in name.lower() for name in names)
    )


@functools.lru_cache(maxsize=16)
def _parse(text: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes warn on stderr
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def parses(text: str) -> bool:
    return _parse(text) is not None


def _link_environment(deployment: Deployment, assets: list[EnvironmentAsset]) -> Deployment:
    """`environment: azureml:name:1` names an environment YAML of the same tree: use its file."""
    environment = deployment.environment
    if environment is None or environment.kind != "registry" or not environment.reference:
        return deployment
    reference = environment.reference.removeprefix("azureml:")
    name = re.split(r"[:@]", reference, maxsplit=1)[0]
    matches = _nearest(deployment.origin.file, [a for a in assets if a.name == name])
    if len(matches) != 1:
        return deployment
    source = matches[0].source
    how = f"{environment.origin.how}, environment '{name}' from {source.origin.file.name}"
    linked = replace(source, origin=replace(environment.origin, how=how), reference=reference)
    return replace(deployment, environment=linked)


def deployments_in_yaml(path: Path) -> tuple[tuple[Deployment, ...], bool]:
    """The deployment an online or batch deployment YAML declares (not a pipeline's parallel
    tasks), and whether it claims to be one but does not read as one: the scan's cached facts
    (read once per modification, through the guarded reader), so discovery never parses a YAML
    the index already read."""
    facts = _file_facts(path) if path.suffix in (".yml", ".yaml") else None
    if facts is None or not facts.deployment_yaml:
        return (), False
    return facts.deployments, not facts.deployments


def walk_project_tree(
    root: Path, unreadable: list[tuple[Path, str]] | None = None
) -> Iterator[tuple[Path, list[str]]]:
    """Folders top-down (parents first) with their file names, sorted, skipping version control,
    dependencies, caches, virtual environments and hidden folders: the files a user's project
    is made of. `check` and discovery walk the same tree. Folders that cannot be listed are
    appended to `unreadable` with the reason (the walk goes on without them)."""

    def note(error: OSError) -> None:
        if unreadable is not None and error.filename is not None:
            unreadable.append((Path(error.filename), error.strerror or str(error)))

    for folder, directories, files in os.walk(root, onerror=note):
        directories[:] = sorted(
            name
            for name in directories
            if name not in SKIPPED_DIRECTORIES
            and not name.startswith(".")
            and not os.path.exists(os.path.join(folder, name, "pyvenv.cfg"))
        )
        yield Path(folder), sorted(files)


def _nearest(file: Path, assets: list[EnvironmentAsset]) -> list[EnvironmentAsset]:
    """The assets whose YAML shares the deepest folder with `file`: a repository of samples
    keeps a copy of the same environment beside each sample (cli/ and sdk/)."""

    def shared_depth(asset: EnvironmentAsset) -> int:
        try:
            common = os.path.commonpath([file.parent, asset.source.origin.file.parent])
        except ValueError:
            return -1
        return len(Path(common).parts)

    if len(assets) < 2:
        return assets
    deepest = max(shared_depth(asset) for asset in assets)
    return [asset for asset in assets if shared_depth(asset) == deepest]


def _walk_files(
    root: Path, tree: list[tuple[Path, tuple[str, ...]]], unreadable: list[tuple[Path, str]]
) -> Iterator[Path]:
    """The files discovery reads under `root`; each folder walked is appended to `tree`, each
    that cannot be listed to `unreadable`."""
    if root.is_file():
        yield root
        return
    for folder, names in walk_project_tree(root, unreadable):
        tree.append((folder, tuple(names)))
        for name in names:
            if not name.startswith("."):
                yield folder / name


def _read(path: Path, limit: int) -> str | None:
    """A regular file's text, or None when it is not one, is larger than `limit`, binary or
    unreadable (the guarded reader every project-named file goes through)."""
    return read_project_file(path, root=None, max_bytes=limit).text


def _key(path: Path) -> Path:
    return Path(os.path.normpath(path.absolute()))
