"""The debug image, as data: a Dockerfile and the files of its build context, from a Project.

Pure: nothing here talks to Docker or writes files (it reads the project's files to plan the
context). `containers/build.py` turns the plan into a tar stream and builds it.

Layer order is what makes the loop fast: the environment file(s) and the package install come
first, in a stage of their own; models, the entry wrapper and the code come after, so editing
score.py reuses every package layer from the cache. Packages are installed in a first build stage
and copied into the final one, so a CA bundle given for a TLS-intercepting proxy is used during the
install and never reaches the final image (the classic builder has no secret mounts).
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
from amldebug.containers.model_files import project_model_layout
from amldebug.containers.model_layout import AZUREML_MODELS_ROOT, MODELS_STORE
from amldebug.project import CONTAINER_APP_ROOT, Project

INFERENCE_SERVER_PACKAGE = "azureml-inference-server-http"
DEBUGGER_PACKAGE = "debugpy"

# Inside the image. Models are stored outside /var/azureml-app (a project mounted there cannot hide
# them) and reached through a symlink at Azure ML's own path (model_layout.py).
ENV_PREFIX = "/opt/amldebug/env"
WRAPPER_DIR = "/opt/amldebug"
WRAPPER_PATH = f"{WRAPPER_DIR}/amldebug_entry.py"
LAUNCHER_PATH = f"{WRAPPER_DIR}/amldebug_launch.py"
MODELS_ROOT = MODELS_STORE
CA_BUNDLE_IN_BUILD = "/tmp/amldebug-ca.pem"
UV_IN_BUILD = "/tmp/amldebug-uv"
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
CONTEXT_CA = ".amldebug/ca-bundle.pem"
CONTEXT_UV = ".amldebug/uv"
CONTEXT_REQUIREMENTS = ".amldebug/env/requirements.txt"
CONTEXT_CONDA = ".amldebug/env/environment.yml"
CONTEXT_INSTALL = ".amldebug/env/install.sh"
BUILD_ENV_DIR = "/tmp/amldebug-env"
CONTEXT_WRAPPER = ".amldebug/amldebug_entry.py"
CONTEXT_LAUNCHER = ".amldebug/amldebug_launch.py"
CONTEXT_CODE = "code"
CONTEXT_MODELS = "models"

WRAPPER_SOURCE = Path(__file__).parent / "assets" / "amldebug_entry.py"
LAUNCHER_SOURCE = Path(__file__).parent / "assets" / "amldebug_launch.py"

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
    # match); the package stage installs with it, and with pip when it cannot.
    uv_binary: Path | None = None


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
    files[CONTEXT_REQUIREMENTS] = _requirements_text(requirements).encode("utf-8")
    if conda_text:
        files[CONTEXT_CONDA] = conda_text.encode("utf-8")
    if options.ca_bundle is not None:
        files[CONTEXT_CA] = options.ca_bundle
    files[CONTEXT_WRAPPER] = WRAPPER_SOURCE
    files[CONTEXT_LAUNCHER] = LAUNCHER_SOURCE

    entry_script = _entry_relative(project)
    model_lines, model_dir, relative_model_dir = _models(project, files)
    notes += _add_code(project, files, ca_bundle=options.ca_bundle)

    pip_env = _pip_environment(options)
    lines = [
        "# Generated by amldebug: the debug image for an Azure ML entry script.",
        "# Stage 1 installs packages; only its result is copied, so build-time files stay out.",
        f"FROM {options.base_image} AS packages",
        "USER root",
    ]
    if options.uv_binary is not None:
        # Its own layer, before anything project-specific: cached across projects.
        files[CONTEXT_UV] = options.uv_binary
        lines.append(f"COPY {CONTEXT_UV} {UV_IN_BUILD}")
    if options.ca_bundle is not None:
        lines.append(f"COPY {CONTEXT_CA} {CA_BUNDLE_IN_BUILD}")
    files[CONTEXT_INSTALL] = _install_script(
        use_conda=bool(conda_text) and options.prefer_conda,
        pip_env=pip_env,
        python_version=conda_python_version(conda_text or ""),
        uv=options.uv_binary is not None,
    ).encode("utf-8")
    # One COPY for the environment files and the install script: one cache key for them all.
    lines.append(f"COPY .amldebug/env/ {BUILD_ENV_DIR}/")
    # The CA bundle and the environment files are removed in the RUN that used them, whatever
    # the outcome (and the whole stage stays out of the final image anyway).
    lines.append(
        f"RUN sh {BUILD_ENV_DIR}/install.sh; status=$?; "
        f"rm -rf {BUILD_ENV_DIR} {CA_BUNDLE_IN_BUILD} {UV_IN_BUILD}; exit $status"
    )
    lines += [
        "",
        f"FROM {options.base_image}",
        "USER root",
        f"COPY --from=packages {ENV_PREFIX} {ENV_PREFIX}",
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
    lines.append(f"COPY {CONTEXT_WRAPPER} {WRAPPER_PATH}")
    lines.append(f"COPY {CONTEXT_LAUNCHER} {LAUNCHER_PATH}")
    label = f"LABEL {LABEL_BUILT}=1 {LABEL_ENTRY}={_quote_label(entry_script)}"
    if relative_model_dir is not None:
        label += f" {LABEL_MODEL_DIR}={_quote_label(relative_model_dir)}"
    lines.append(label)
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
    )


def _requirements_text(requirements: tuple[RequirementSource, ...]) -> str:
    return "".join(f"{r.requirement}\n" for r in requirements)


def _pip_environment(options: BuildOptions) -> list[str]:
    settings = []
    if options.ca_bundle is not None:
        for variable in ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CONDA_SSL_VERIFY"):
            settings.append(f"{variable}={CA_BUNDLE_IN_BUILD}")
    # uv reads SSL_CERT_FILE (above) and its own names for the index settings.
    for variables, value in (
        (("PIP_INDEX_URL", "UV_INDEX_URL"), options.pip_index_url),
        (("PIP_EXTRA_INDEX_URL", "UV_EXTRA_INDEX_URL"), options.pip_extra_index_url),
        (("PIP_TRUSTED_HOST", "UV_INSECURE_HOST"), options.pip_trusted_host),
    ):
        if value:
            settings += [f"{variable}={_shell_quote(value)}" for variable in variables]
    return settings


def conda_python_version(conda_text: str) -> str | None:
    """The major.minor Python a conda file asks for (`python=3.11`, `python==3.9.7`), if any."""
    for dependency in parse_conda_environment(conda_text).conda_entries():
        if dependency.name == "python":
            match = re.search(r"(\d+)\.(\d+)", dependency.spec)
            return f"{match[1]}.{match[2]}" if match else None
    return None


def python_version_check(wanted: str | None) -> list[str]:
    """Shell lines that compare the base image's Python ($PY) with the conda file's pin: a venv
    cannot change the interpreter, so a mismatch is said plainly in the build log."""
    if wanted is None:
        return []
    return [
        'HAVE=$("$PY" -c \'import sys; print("%d.%d" % sys.version_info[:2])\')',
        f'if [ "$HAVE" = "{wanted}" ]; then',
        f"  echo \"amldebug: the base image's Python $HAVE matches python={wanted} "
        'in the conda file"',
        "else",
        f'  echo "amldebug: WARNING: the base image has Python $HAVE but the conda file asks for '
        f'python={wanted}; packages are installed for $HAVE (pick a base image with {wanted})" >&2',
        "fi",
    ]


def _install_script(
    *, use_conda: bool, pip_env: list[str], python_version: str | None = None, uv: bool = False
) -> str:
    """The package install, as a shell script run once in the package stage: conda when the base
    image has it (and there is a conda file), else a venv with uv (pip when uv cannot)."""
    pip = f"{ENV_PREFIX}/bin/python -m pip install --no-cache-dir --disable-pip-version-check"
    requirements = f"{BUILD_ENV_DIR}/requirements.txt"
    pip_venv = [f'"$PY" -m venv {ENV_PREFIX}', f"{pip} -r {requirements}"]
    if uv:
        # uv makes the venv in a blink (no ensurepip) and downloads in parallel; pip joins the
        # packages so the image still has it. No cache: it would be committed with the layer.
        # pip's messages are the ones build.py maps back to the conda file, so a uv failure is
        # retried with pip rather than reported.
        pip_venv = [
            f'if {UV_IN_BUILD} venv --quiet --python "$PY" {ENV_PREFIX} && '
            f"{UV_IN_BUILD} pip install --quiet --python {ENV_PREFIX}/bin/python "
            f"--compile-bytecode --link-mode copy --no-cache -r {requirements} pip; then",
            '  echo "amldebug: installed with uv"',
            "else",
            '  echo "amldebug: uv could not install the environment; pip tries" >&2',
            f"  rm -rf {ENV_PREFIX}",
            *(f"  {line}" for line in pip_venv),
            "fi",
        ]
    lines = [
        "#!/bin/sh",
        "# Generated by amldebug: installs the environment into " + ENV_PREFIX + ".",
        "set -e",
        *(f"export {setting}" for setting in pip_env),
    ]
    venv = [
        "PY=$(command -v python3 || command -v python || true)",
        'if [ -z "$PY" ]; then echo "amldebug: the base image has no python3" >&2; exit 1; fi',
        *python_version_check(python_version),
        *pip_venv,
    ]
    if use_conda:
        lines += [
            "if command -v conda >/dev/null 2>&1; then",
            f"  conda env create --quiet -p {ENV_PREFIX} -f {BUILD_ENV_DIR}/environment.yml",
            f"  {pip} {INFERENCE_SERVER_PACKAGE} {DEBUGGER_PACKAGE}",
            "  conda clean -afy",
            "else",
            *(f"  {line}" for line in venv),
            "fi",
        ]
    else:
        lines += venv
    return "\n".join(lines) + "\n"


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


def _shell_quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


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
