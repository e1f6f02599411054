"""The debug image, as data: a Dockerfile and the files of its build context, from a Project.

Pure: nothing here talks to Docker or writes files (it reads the project's files to plan the
context). `containers/build.py` turns the plan into a tar stream and builds it.

The packages are not installed by this Dockerfile: they are in the environment image (the base
image plus the installed environment, built and kept by environment_image.py from
`BuildPlan.environment`), and the debug image is built FROM it. Models, the entry wrapper and the
code come after, so editing score.py reuses every layer; no CA bundle or installer is ever in the
build context.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from amldebug.analysis.conda_model import CondaDependency, parse_conda_environment
from amldebug.containers.build_context import select_code_files
from amldebug.containers.build_inputs import read_build_input
from amldebug.containers.defaults import DEFAULT_BASE_IMAGE, DEFAULT_TAG
from amldebug.containers.environment_image import EnvironmentPlan, environment_tag
from amldebug.containers.install_script import (
    DEBUGGER_PACKAGE,
    ENV_PREFIX,
    INFERENCE_SERVER_PACKAGE,
    conda_python_version,
    extend_script,
    install_script,
    pip_environment,
)
from amldebug.containers.model_files import project_model_layout
from amldebug.containers.model_layout import AZUREML_MODELS_ROOT, MODELS_STORE
from amldebug.project import CONTAINER_APP_ROOT, Project

# Inside the image. Models are stored outside /var/azureml-app (a project mounted there cannot hide
# them) and reached through a symlink at Azure ML's own path (model_layout.py).
WRAPPER_DIR = "/opt/amldebug"
WRAPPER_PATH = f"{WRAPPER_DIR}/amldebug_entry.py"
LAUNCHER_PATH = f"{WRAPPER_DIR}/amldebug_launch.py"
MODELS_ROOT = MODELS_STORE
# Long enough to sit at a breakpoint: the server kills a worker that is silent for this long.
DEBUG_WORKER_TIMEOUT = "3600"
INFERENCE_PORT = 5001
DEBUG_PORT = 5678

# Labels on images and containers, so `amldebug ps` lists only ours.
LABEL_BUILT = "amldebug.built"
LABEL_PROJECT = "amldebug.project"
LABEL_ENTRY = "amldebug.entry-script"
# AZUREML_MODEL_DIR relative to the models root, so `run` can point beside a mount.
LABEL_MODEL_DIR = "amldebug.model-dir"

# Context paths (inside the tar that is sent to the engine).
CONTEXT_WRAPPER = ".amldebug/amldebug_entry.py"
CONTEXT_LAUNCHER = ".amldebug/amldebug_launch.py"
CONTEXT_CODE = "code"
CONTEXT_MODELS = "models"

WRAPPER_SOURCE = Path(__file__).parent / "assets" / "amldebug_entry.py"
LAUNCHER_SOURCE = Path(__file__).parent / "assets" / "amldebug_launch.py"
ENV_REPOSITORY_NOTE = (
    "FROM: the base image with the packages installed, kept by amldebug (environment_image.py)."
)

# Folders never worth sending to the engine as part of the code.
_SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".vscode",
        ".idea",
        ".amldebug",
    }
)

# Conda packages that are not Python distributions (or are the interpreter itself).
_CONDA_ONLY = re.compile(
    r"^(python|_libgcc_mutex|_openmp_mutex|libgcc-ng|libstdcxx-ng|libgomp|libffi|openssl|"
    r"ca-certificates|certifi-conda|cudatoolkit|cudnn|nccl|mkl|mkl-service|mkl_fft|mkl_random|"
    r"intel-openmp|blas|libblas|libcblas|liblapack|openblas|nodejs|git|gcc|gxx|make|cmake|"
    r"zlib|xz|sqlite|readline|tk|ncurses|bzip2|ld_impl_linux-64|tzdata|r-.*|lib.*)$"
)
# Conda names whose pip distribution is called something else.
_CONDA_TO_PIP = {
    "pytorch": "torch",
    "py-xgboost": "xgboost",
    "pytables": "tables",
    "msgpack-python": "msgpack",
    "matplotlib-base": "matplotlib",
    "pyqt": "PyQt5",
    "tensorflow-base": "tensorflow",
    "py-opencv": "opencv-python",
    "opencv": "opencv-python",
    "pywin32": "pywin32",
}
_CONDA_VERSION = re.compile(
    r"^(?P<op>==|>=|<=|!=|=|>|<|~=)?\s*(?P<version>[^\s=]+)(?:=(?P<build>\S+))?$"
)


@dataclass(frozen=True)
class RequirementSource:
    """Where one pip requirement came from, to point a failed install back at the file."""

    requirement: str
    name: str  # canonical distribution name, "" for options
    file: Path | None
    line: int | None  # 0-based


@dataclass(frozen=True)
class Untranslated:
    entry: str
    reason: str
    file: Path | None
    line: int | None  # 0-based


@dataclass(frozen=True)
class PipTranslation:
    requirements: tuple[RequirementSource, ...]
    untranslated: tuple[Untranslated, ...]


@dataclass(frozen=True)
class BuildOptions:
    base_image: str = DEFAULT_BASE_IMAGE
    tag: str = DEFAULT_TAG
    ca_bundle: Path | None = None
    pip_index_url: str | None = None
    pip_extra_index_url: str | None = None
    pip_trusted_host: str | None = None
    # Install with conda when the base image has it; False forces a venv with pip.
    prefer_conda: bool = True
    # The base image's USER (build.py reads it from the engine); None when unknown. The server
    # runs as this user, as Azure ML runs its inference images as a non-root user.
    base_user: str | None = None
    # A uv binary that runs in the base image (build.py offers the host's when the platforms
    # match); the environment is installed with it, and with pip when it cannot.
    uv_binary: Path | None = None
    # The base image's id (build.py asks the engine): the environment image is keyed on it.
    base_image_id: str | None = None
    # Build a changed environment on a kept one when only requirements were added
    # (environment_image.py); False installs it whole (the benchmark's cold builds).
    extend_environment: bool = True


@dataclass(frozen=True)
class ContextLink:
    """A symlink in the build context (COPY keeps it a symlink)."""

    target: str


@dataclass(frozen=True)
class BuildPlan:
    dockerfile: str
    # Context path -> local file, or bytes generated here. Folders are expanded by the builder.
    files: dict[str, Path | bytes | ContextLink] = field(default_factory=dict)
    requirements: tuple[RequirementSource, ...] = ()
    untranslated: tuple[Untranslated, ...] = ()
    model_dir: str | None = None  # AZUREML_MODEL_DIR in the image
    entry_script: str = "score.py"  # relative to /var/azureml-app
    steps_first_line: int | None = None  # 1-based Dockerfile line where the steps file starts
    notes: tuple[str, ...] = ()
    # The packages: installed into the environment image the Dockerfile starts FROM.
    environment: EnvironmentPlan = field(default_factory=EnvironmentPlan)
    environment_image: str = ""


def translate_conda_to_pip(text: str, conda_file: Path | None = None) -> PipTranslation:
    """Pip requirements for a conda environment file's entries, and the entries that have none."""
    environment = parse_conda_environment(text)
    requirements: list[RequirementSource] = []
    untranslated: list[Untranslated] = []
    for problem in environment.problems:
        untranslated.append(
            Untranslated(
                problem.message, "the file could not be read", conda_file, problem.range.start.line
            )
        )
    for dependency in environment.dependencies:
        line = dependency.range.start.line
        if dependency.section == "pip":
            translated = _pip_entry(dependency)
            if translated is None:
                untranslated.append(
                    Untranslated(
                        dependency.raw.strip(),
                        "a requirements file reference cannot be resolved inside the image",
                        conda_file,
                        line,
                    )
                )
            else:
                requirements.append(
                    RequirementSource(translated, dependency.name, conda_file, line)
                )
            continue
        result = _conda_entry(dependency)
        if isinstance(result, str):
            untranslated.append(Untranslated(dependency.raw.strip(), result, conda_file, line))
        else:
            requirements.append(RequirementSource(result[0], result[1], conda_file, line))
    return PipTranslation(tuple(requirements), tuple(untranslated))


def _pip_entry(dependency: CondaDependency) -> str | None:
    raw = dependency.raw.strip()
    if raw.startswith(("-r", "--requirement", "-c", "--constraint")) or raw.startswith((".", "/")):
        return None
    return raw


def _conda_entry(dependency: CondaDependency) -> tuple[str, str] | str:
    """(pip requirement, canonical name), or why there is none."""
    name = dependency.name
    if not name:
        return "not a package name"
    if name == "pip":
        version = _pip_version(dependency.spec)
        return (f"pip{version}" if version else "pip", "pip")
    if _CONDA_ONLY.match(name):
        if name == "python":
            return "the venv uses the base image's Python; the build log says whether it matches"
        return "a conda-only (non-Python) package with no pip equivalent"
    pip_name = _CONDA_TO_PIP.get(name, name)
    version = _pip_version(dependency.spec)
    if version is None:
        return f"the version spec '{dependency.spec}' has no pip equivalent"
    return (f"{pip_name}{version}", re.sub(r"[-_.]+", "-", pip_name).lower())


def _pip_version(spec: str) -> str | None:
    """Conda's `=1.2` means 1.2.*, `1.2` alone means ==1.2, a trailing `=build` is dropped."""
    spec = spec.strip()
    if not spec:
        return ""
    if "," in spec or "|" in spec:
        parts = [_pip_version(part) for part in spec.split(",")] if "|" not in spec else [None]
        if any(part is None or part == "" for part in parts):
            return None
        return ",".join(str(part) for part in parts)
    match = _CONDA_VERSION.match(spec)
    if not match:
        return None
    op, version = match["op"], match["version"]
    if op is None:
        return f"=={version}"
    if op == "=":
        if version.endswith("*"):
            return f"=={version}" if version.endswith(".*") else f"=={version.rstrip('*')}*"
        return f"=={version}.*"
    return f"{op}{version}"


def plan_debug_image(
    project: Project,
    options: BuildOptions,
    *,
    conda_text: str | None = None,
    steps_text: str | None = None,
) -> BuildPlan:
    """The Dockerfile and context files for the debug image of `project`.

    `conda_text` / `steps_text` default to the files on disk (the editor passes unsaved text).
    """
    files: dict[str, Path | bytes | ContextLink] = {}
    notes: list[str] = []
    conda_file = project.conda_file if project.conda_file and project.conda_file.exists() else None
    if conda_text is None and conda_file is not None:
        conda_text = read_build_input(conda_file)
    steps_file = project.steps_file if project.steps_file and project.steps_file.exists() else None
    if steps_text is None and steps_file is not None:
        steps_text = read_build_input(steps_file)

    translation = (
        translate_conda_to_pip(conda_text or "", conda_file)
        if conda_text
        else PipTranslation((), ())
    )
    declared = {r.name for r in translation.requirements}
    extras: list[RequirementSource] = []
    for package in (INFERENCE_SERVER_PACKAGE, DEBUGGER_PACKAGE):
        if package not in declared:
            extras.append(RequirementSource(package, package, None, None))
            notes.append(f"added {package} (the environment does not declare it)")
    requirements = (*translation.requirements, *extras)
    environment = _environment_plan(options, requirements, conda_text)
    environment_image = environment_tag(environment, options.base_image_id or options.base_image)
    files[CONTEXT_WRAPPER] = WRAPPER_SOURCE
    files[CONTEXT_LAUNCHER] = LAUNCHER_SOURCE

    entry_script = _entry_relative(project)
    model_lines, model_dir, relative_model_dir = _models(project, files)
    notes += _add_code(project, files, ca_bundle=options.ca_bundle)

    lines = [
        "# Generated by amldebug: the debug image for an Azure ML entry script.",
        f"# {ENV_REPOSITORY_NOTE}",
        # Whose USER is root (the install's) and ENTRYPOINT the base image's.
        f"FROM {environment_image}",
        f"ENV PATH={ENV_PREFIX}/bin:$PATH \\",
        f"    AML_APP_ROOT={CONTAINER_APP_ROOT} \\",
        f"    AZUREML_ENTRY_SCRIPT={WRAPPER_PATH} \\",
        f"    AMLDEBUG_USER_SCRIPT={entry_script} \\",
        f"    AMLDEBUG_DEBUG_PORT={DEBUG_PORT} \\",
        "    WORKER_COUNT=1 \\",
        f"    WORKER_TIMEOUT={DEBUG_WORKER_TIMEOUT}" + (" \\" if model_dir else ""),
    ]
    if model_dir:
        lines.append(f"    AZUREML_MODEL_DIR={model_dir}")
    lines += model_lines
    lines.append(f"COPY {CONTEXT_WRAPPER} {CONTEXT_LAUNCHER} {WRAPPER_DIR}/")
    lines.append(f"COPY {CONTEXT_CODE}/ {CONTAINER_APP_ROOT}/")
    lines.append(f"WORKDIR {CONTAINER_APP_ROOT}")
    lines.append(f"EXPOSE {INFERENCE_PORT} {DEBUG_PORT}")
    user_line, user_note = _user(options.base_user)
    if user_line:
        # Before the steps file: its RUN lines run as the cloud would run them (a step that
        # needs root says `USER root`, as it must for Azure ML).
        lines.append(user_line)
    if user_note:
        notes.append(user_note)
    steps_first_line = None
    if steps_text and steps_text.strip():
        lines.append(f"# From {steps_file.name if steps_file else 'Dockerfile.steps'}:")
        steps_first_line = len(lines) + 1
        lines += steps_text.rstrip("\n").split("\n")
    lines.append(
        f'CMD ["python", "{LAUNCHER_PATH}", "--entry_script", "{WRAPPER_PATH}", '
        f'"--port", "{INFERENCE_PORT}"]'
    )
    # One LABEL, last: each instruction of the classic builder is a container and a commit.
    label = f"LABEL {LABEL_BUILT}=1 {LABEL_ENTRY}={_quote_label(entry_script)}"
    if relative_model_dir is not None:
        label += f" {LABEL_MODEL_DIR}={_quote_label(relative_model_dir)}"
    lines.append(label + f" {LABEL_PROJECT}={_quote_label(project.root.name)}")
    notes.extend(build_notes(translation.untranslated))
    return BuildPlan(
        dockerfile="\n".join(lines) + "\n",
        files=files,
        requirements=requirements,
        untranslated=translation.untranslated,
        model_dir=model_dir,
        entry_script=entry_script,
        steps_first_line=steps_first_line,
        notes=tuple(notes),
        environment=environment,
        environment_image=environment_image,
    )


def _environment_plan(
    options: BuildOptions, requirements: tuple[RequirementSource, ...], conda_text: str | None
) -> EnvironmentPlan:
    """The inputs of the environment image's install: scripts, requirements, conda file, and the
    CA bundle and uv (put into the install container only, never into an image)."""
    pip_env = pip_environment(
        ca_bundle=options.ca_bundle is not None,
        index_url=options.pip_index_url,
        extra_index_url=options.pip_extra_index_url,
        trusted_host=options.pip_trusted_host,
    )
    uv = options.uv_binary is not None
    files: dict[str, Path | bytes] = {
        "install.sh": install_script(
            use_conda=bool(conda_text) and options.prefer_conda,
            pip_env=pip_env,
            python_version=conda_python_version(conda_text or ""),
            uv=uv,
        ).encode("utf-8"),
        "extend.sh": extend_script(pip_env=pip_env, uv=uv).encode("utf-8"),
        "requirements.txt": "".join(f"{r.requirement}\n" for r in requirements).encode("utf-8"),
    }
    if conda_text:
        files["environment.yml"] = conda_text.encode("utf-8")
    if options.ca_bundle is not None:
        files["ca-bundle.pem"] = options.ca_bundle
    if options.uv_binary is not None:
        files["uv"] = options.uv_binary
    return EnvironmentPlan(files, tuple(r.requirement for r in requirements))


def _entry_relative(project: Project) -> str:
    if project.entry_script is None:
        return "score.py"
    try:
        return project.entry_script.resolve().relative_to(project.root.resolve()).as_posix()
    except ValueError:
        return project.entry_script.name


def _models(
    project: Project, files: dict[str, Path | bytes | ContextLink]
) -> tuple[list[str], str | None, str | None]:
    """The COPY line for the models laid out as Azure ML lays them out, AZUREML_MODEL_DIR, and
    AZUREML_MODEL_DIR relative to the models root (None without models)."""
    layout, local = project_model_layout(project)
    if layout.relative_model_dir is None:
        return [], None, None
    for placed in layout.placed:
        files[f"{CONTEXT_MODELS}/{placed.relative_target}"] = local[placed.relative_target]
    if not (project.root / "azureml-models").exists():
        # /var/azureml-app/azureml-models -> the store, so Azure ML's own path works too.
        files[f"{CONTEXT_CODE}/azureml-models"] = ContextLink(MODELS_ROOT)
    return (
        [f"COPY {CONTEXT_MODELS}/ {MODELS_ROOT}/"],
        layout.model_dir(AZUREML_MODELS_ROOT),
        layout.relative_model_dir,
    )


def _user(base_user: str | None) -> tuple[str | None, str | None]:
    """The USER line that gives the server back to the base image's own user, and a note when
    there is none (the server then runs as root, unlike in Azure ML)."""
    if base_user is None:
        return None, None
    if base_user.split(":")[0] in ("", "root", "0"):
        return None, (
            "the base image has no non-root user (its USER is "
            + (f"'{base_user}'" if base_user else "unset")
            + "): the server runs as root here, but Azure ML runs its inference images as a "
            "non-root user, so writes to root-owned paths that work here can fail there"
        )
    return f"USER {base_user}", None


def _add_code(
    project: Project, files: dict[str, Path | bytes | ContextLink], *, ca_bundle: Path | None
) -> list[str]:
    """The project folder under `code/`, without VCS folders, caches and models (copied apart),
    nor what .amlignore/.gitignore leave out (build_context.py); returns notes for the build."""
    root = project.root
    skipped = {p.resolve() for p in project.model_paths if p.exists()}
    files[CONTEXT_CODE] = b""  # the folder exists even when empty
    selection = select_code_files(root, sorted(_walk(root, skipped)), ca_bundle=ca_bundle)
    for path in selection.files:
        files[f"{CONTEXT_CODE}/{path.relative_to(root).as_posix()}"] = path
    return selection.notes


def _walk(folder: Path, skipped: set[Path]) -> list[Path]:
    found: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return found
    for entry in entries:
        if entry.resolve() in skipped or entry.is_symlink():
            continue
        if entry.is_dir():
            if entry.name not in _SKIPPED_DIRS:
                found += _walk(entry, skipped)
        elif entry.is_file() and not entry.name.endswith((".pyc", ".pyo")):
            found.append(entry)
    return found


def context_files(plan: BuildPlan) -> list[tuple[str, Path | bytes | ContextLink]]:
    """Every file of the context, folders expanded, in a stable order (stable tars cache well)."""
    expanded: list[tuple[str, Path | bytes | ContextLink]] = []
    for name, source in plan.files.items():
        if isinstance(source, Path) and source.is_dir():
            for path in sorted(_walk(source, set())):
                expanded.append((f"{name}/{path.relative_to(source).as_posix()}", path))
        elif isinstance(source, bytes) and name == CONTEXT_CODE:
            continue
        else:
            expanded.append((name, source))
    return sorted(expanded, key=lambda item: item[0])


def _quote_label(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_notes(untranslated: Iterable[Untranslated], project: Project | None = None) -> list[str]:
    """What to say about conda entries the debug image does not install, in words that say what it
    means. The `python=` pin is no package to install: the image runs the base image's Python and
    the build log says whether its version matches, so it gets no note here (issue 10, item 6)."""
    notes = []
    for item in untranslated:
        if item.entry.split("=")[0].split("<")[0].split(">")[0].strip() == "python":
            continue
        where = ""
        if item.file is not None:
            shown = project.relative(item.file) if project is not None else item.file.name
            where = f"{shown}:{item.line + 1}: " if item.line is not None else f"{shown}: "
        notes.append(f"{where}'{item.entry}' is left out of the debug image: {item.reason}.")
    return notes
