"""Build the debug image: plan (dockerfile.py), stream the build log, map failures to file:line."""

from __future__ import annotations

import dataclasses
import io
import os
import platform
import re
import shutil
import ssl
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from amldebug.containers.build_inputs import MAX_BUILD_INPUT_BYTES
from amldebug.containers.docker_engine import DockerEngine
from amldebug.containers.dockerfile import (
    CONTEXT_CODE,
    BuildOptions,
    BuildPlan,
    ContextLink,
    RequirementSource,
    context_files,
    plan_debug_image,
)
from amldebug.containers.environment_image import (
    EnvironmentBuild,
    EnvironmentInstallFailed,
    ensure_environment_image,
)
from amldebug.errors import AmlDebugError, UsageError
from amldebug.progress import CancelToken, NullReporter, ProgressReporter
from amldebug.project import Project
from amldebug.project_files import read_project_file

_LOG_TAIL = 60
_STEP = re.compile(r"^Step (?P<number>\d+)/(?P<total>\d+) : (?P<instruction>.*)$")
_PIP_MISSING = (
    re.compile(r"No matching distribution found for (?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)"),
    re.compile(
        r"Could not find a version that satisfies the requirement "
        r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)"
    ),
    re.compile(r"Cannot install (?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)"),
    re.compile(r"Failed building wheel for (?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)"),
    re.compile(r"^\s+- (?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\S*\s*$"),  # conda PackagesNotFoundError
)


@dataclass(frozen=True)
class BuildLocation:
    """Where a failed build points in the user's files (line is 0-based)."""

    file: Path
    line: int
    message: str

    def render(self, project: Project) -> str:
        return f"{project.relative(self.file)}:{self.line + 1}: {self.message}"


@dataclass(frozen=True)
class BuildResult:
    image: str
    image_id: str
    seconds: float
    log_tail: tuple[str, ...]
    cached_steps: tuple[str, ...]
    rebuilt_steps: tuple[str, ...]
    notes: tuple[str, ...]
    plan: BuildPlan
    environment: EnvironmentBuild | None = None

    @property
    def package_steps_cached(self) -> bool:
        """True when nothing was installed: the environment image was kept from a build before."""
        if self.environment is not None:
            return self.environment.reused
        return not any(
            step.startswith("RUN ") and "install.sh" in step for step in self.rebuilt_steps
        )


class BuildFailed(AmlDebugError):
    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        locations: tuple[BuildLocation, ...] = (),
        log_tail: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, hint=hint)
        self.locations = locations
        self.log_tail = log_tail


@dataclass
class _BuildLog:
    lines: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    cached: set[int] = field(default_factory=set)


def resolve_ca_bundle(value: str | Path | None) -> Path | None:
    """`--ca-bundle FILE`, `auto` (the host's default bundle), or None (then PIP_CERT if set)."""
    if value is None or str(value) == "":
        from_env = os.environ.get("PIP_CERT") or os.environ.get("REQUESTS_CA_BUNDLE")
        return Path(from_env) if from_env and Path(from_env).is_file() else None
    if str(value) == "none":
        return None
    if str(value) == "auto":
        paths = ssl.get_default_verify_paths()
        for candidate in (
            os.environ.get("PIP_CERT"),
            os.environ.get("SSL_CERT_FILE"),
            paths.cafile,
        ):
            if candidate and Path(candidate).is_file():
                return Path(candidate)
        raise UsageError(
            "--ca-bundle auto found no CA bundle on this machine.",
            hint="Pass the file your proxy's CA is in: --ca-bundle /path/to/ca.pem",
        )
    path = Path(value).expanduser()
    if not path.is_file():
        raise UsageError(f"The CA bundle {path} does not exist.")
    return path


def build_options_from_environment(
    *, base_image: str, tag: str, ca_bundle: str | Path | None
) -> BuildOptions:
    return BuildOptions(
        base_image=base_image,
        tag=tag,
        ca_bundle=resolve_ca_bundle(ca_bundle),
        pip_index_url=os.environ.get("PIP_INDEX_URL") or None,
        pip_extra_index_url=os.environ.get("PIP_EXTRA_INDEX_URL") or None,
        pip_trusted_host=os.environ.get("PIP_TRUSTED_HOST") or None,
    )


_MACHINE_TO_DOCKER_ARCH = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
}


def host_uv_for(image_platform: tuple[str, str]) -> Path | None:
    """The host's uv binary when it runs in an image of `image_platform` (os, architecture): a
    Linux host of the same architecture. None otherwise (the build installs with pip)."""
    image_os, image_arch = image_platform
    host_arch = _MACHINE_TO_DOCKER_ARCH.get(platform.machine().lower())
    if sys.platform != "linux" or image_os != "linux" or host_arch != image_arch:
        return None
    try:
        import uv

        found: str | None = uv.find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
    return Path(found) if found and Path(found).is_file() else None


def build_context(plan: BuildPlan) -> bytes:
    """The build context tar in memory (for small plans and tests)."""
    buffer = io.BytesIO()
    write_build_context(plan, buffer)
    return buffer.getvalue()


def write_build_context(plan: BuildPlan, target: IO[bytes]) -> None:
    """Write the tar the engine builds from into `target`, streaming files (models can be large).

    Fixed mtimes and owners, so unchanged files hit the layer cache whatever their timestamps.
    """
    with tarfile.open(fileobj=target, mode="w") as archive:
        _add_bytes(archive, "Dockerfile", plan.dockerfile.encode("utf-8"))
        directory = tarfile.TarInfo(CONTEXT_CODE)
        directory.type = tarfile.DIRTYPE
        directory.mode = 0o755
        archive.addfile(directory)
        for name, source in context_files(plan):
            if isinstance(source, bytes):
                _add_bytes(archive, name, source)
                continue
            if isinstance(source, ContextLink):
                link = tarfile.TarInfo(name)
                link.type = tarfile.SYMTYPE
                link.linkname = source.target
                link.mode = 0o777
                archive.addfile(link)
                continue
            info = tarfile.TarInfo(name)
            info.mode = 0o644
            info.mtime = 0
            with source.open("rb") as handle:
                info.size = os.fstat(handle.fileno()).st_size
                archive.addfile(info, handle)


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    info.mtime = 0
    archive.addfile(info, io.BytesIO(data))


def build_debug_image(
    project: Project,
    options: BuildOptions,
    engine: DockerEngine,
    *,
    reporter: ProgressReporter | None = None,
    cancel: CancelToken | None = None,
    conda_text: str | None = None,
    steps_text: str | None = None,
) -> BuildResult:
    """Build `options.tag` for `project`, streaming the log; BuildFailed points at file:line."""
    reporter = reporter or NullReporter()
    cancel = cancel or CancelToken()
    started = time.monotonic()
    if warning := engine.emulation_warning_once():  # arm64 engine: amd64 under emulation
        reporter.log(f"amldebug: {warning}")
    if not engine.image_exists(options.base_image):
        reporter.step(f"Pulling the base image {options.base_image}", 2)
        _pull_base(engine, options.base_image, reporter)
    if options.base_user is None:
        options = dataclasses.replace(options, base_user=engine.image_user(options.base_image))
    if options.uv_binary is None and os.environ.get("AMLDEBUG_INSTALLER") != "pip":
        uv = host_uv_for(engine.image_platform(options.base_image))
        options = dataclasses.replace(options, uv_binary=uv)
    options = dataclasses.replace(options, base_image_id=engine.image_id(options.base_image))
    plan = plan_debug_image(project, options, conda_text=conda_text, steps_text=steps_text)
    for note in plan.notes:
        reporter.log(f"amldebug: {note}")
    log = _BuildLog()
    environment = _environment(engine, options, project, plan, log, reporter, cancel)
    reporter.step(f"Building {options.tag} from {plan.environment_image}", 60)
    try:
        with tempfile.TemporaryFile() as context:
            write_build_context(plan, context)
            context.seek(0)
            image_id = _stream_build(engine, context, options, project, plan, log, reporter, cancel)
    finally:
        environment.wait_for_cleanup()
    if not image_id:
        image_id = engine.image_id(options.tag)
    reporter.step(f"Built {options.tag}", 100)
    steps = log.steps
    return BuildResult(
        image=options.tag,
        image_id=image_id,
        seconds=time.monotonic() - started,
        log_tail=tuple(log.lines[-_LOG_TAIL:]),
        cached_steps=tuple(steps[i] for i in sorted(log.cached)),
        rebuilt_steps=tuple(
            s for i, s in enumerate(steps) if i not in log.cached and s.startswith(("RUN", "COPY"))
        ),
        notes=plan.notes,
        plan=plan,
        environment=environment,
    )


def _environment(
    engine: DockerEngine,
    options: BuildOptions,
    project: Project,
    plan: BuildPlan,
    log: _BuildLog,
    reporter: ProgressReporter,
    cancel: CancelToken,
) -> EnvironmentBuild:
    """The environment image the Dockerfile starts FROM: kept, extended, or installed whole;
    an install that fails is mapped back to the conda file like a failed build step."""
    reporter.step(f"Installing the packages on {options.base_image}", 5)

    def on_line(line: str) -> None:
        _record(log, line, reporter)

    def on_step(step: str) -> None:
        log.steps.append(step)

    try:
        environment = ensure_environment_image(
            engine,
            plan.environment,
            base_image=options.base_image,
            base_id=options.base_image_id or options.base_image,
            extend=options.extend_environment,
            on_line=on_line,
            on_step=on_step,
            cancel=cancel,
        )
    except EnvironmentInstallFailed as error:
        raise _failure(project, plan, log, error.message) from None
    if environment.reused:
        reporter.log(f"amldebug: the packages are in {environment.image} already (reused)")
    return environment


def _stream_build(
    engine: DockerEngine,
    context: IO[bytes],
    options: BuildOptions,
    project: Project,
    plan: BuildPlan,
    log: _BuildLog,
    reporter: ProgressReporter,
    cancel: CancelToken,
) -> str:
    """Feed the engine's build stream to `log` and `reporter`; the image id ("" if not said)."""
    image_id = ""
    # The folder's name, not its host path: an image may be pushed or shared (issue 9).
    stream = engine.build(context, tag=options.tag)  # the labels are the Dockerfile's last line
    try:
        for chunk in stream:
            cancel.raise_if_cancelled()
            if "stream" in chunk:
                for line in str(chunk["stream"]).splitlines():
                    _record(log, line, reporter)
            elif "error" in chunk:
                for line in str(chunk["error"]).splitlines():
                    _record(log, line, reporter)
                raise _failure(project, plan, log, str(chunk["error"]))
            elif "aux" in chunk and isinstance(chunk["aux"], dict):
                image_id = str(chunk["aux"].get("ID", image_id))
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    return image_id


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _record(log: _BuildLog, line: str, reporter: ProgressReporter) -> None:
    line = _ANSI.sub("", line).rstrip()
    if not line.strip():
        return
    log.lines.append(line)
    reporter.log(line)
    match = _STEP.match(line)
    if match:
        log.steps.append(match["instruction"])
        number, total = int(match["number"]), int(match["total"])
        reporter.step(
            f"Step {number}/{total}: {match['instruction'][:80]}", 5 + int(90 * number / total)
        )
    elif "Using cache" in line and log.steps:
        log.cached.add(len(log.steps) - 1)


def _pull_base(engine: DockerEngine, image: str, reporter: ProgressReporter) -> None:
    try:
        for chunk in engine.pull(image):
            if "error" in chunk:
                raise RuntimeError(chunk["error"])
            status = chunk.get("status")
            if status and "progress" not in chunk:
                reporter.log(f"{status} {chunk.get('id', '')}".strip())
    except Exception as error:
        reason = getattr(error, "explanation", None) or str(error)
        raise AmlDebugError(
            f"The base image {image} is not on this machine and could not be pulled "
            f"({str(reason).splitlines()[0][:200]}).",
            hint="Pull it (`docker pull` / `amldebug pull`) or pass --base-image "
            "with an image you have.",
        ) from None


def _failure(project: Project, plan: BuildPlan, log: _BuildLog, error: str) -> BuildFailed:
    tail = tuple(log.lines[-_LOG_TAIL:])
    locations = locate_build_failure(project, plan, log.lines, log.steps[-1] if log.steps else "")
    text = "\n".join(log.lines)
    hint = None
    if (
        "CERTIFICATE_VERIFY_FAILED" in text
        or "SSLError" in text
        or "certificate verify failed" in text
    ):
        hint = (
            "pip could not verify the package index's certificate: a TLS-intercepting proxy? "
            "Pass its CA with --ca-bundle FILE (or --ca-bundle auto for this machine's bundle)."
        )
    elif locations:
        hint = "Fix the entry above and build again."
    else:
        hint = "Read the build log above; `amldebug check` may point at the cause."
    step = log.steps[-1] if log.steps else ""
    if "install.sh" in step:
        what = "installing the environment's packages failed"
    elif step:
        what = f"step {len(log.steps)} failed: {step[:160]}"
    else:
        what = error.strip().splitlines()[-1][:300] if error.strip() else "unknown error"
    message = f"The image build failed: {what}."
    if locations:
        message += "\n" + "\n".join(location.render(project) for location in locations)
    return BuildFailed(message, hint=hint, locations=locations, log_tail=tail)


def locate_build_failure(
    project: Project, plan: BuildPlan, lines: list[str], failing_step: str
) -> tuple[BuildLocation, ...]:
    """The conda-file lines of packages pip/conda could not install, or the failing steps line."""
    found: list[BuildLocation] = []
    by_name: dict[str, RequirementSource] = {r.name: r for r in plan.requirements if r.name}
    seen: set[str] = set()
    # Patterns in order of precision: pip's "No matching distribution" names the package best.
    for pattern in _PIP_MISSING:
        for line in lines:
            match = pattern.search(line)
            if not match:
                continue
            name = re.sub(r"[-_.]+", "-", match["name"]).lower()
            source = by_name.get(name)
            if source is None or source.file is None or source.line is None or name in seen:
                continue
            seen.add(name)
            found.append(
                BuildLocation(source.file, source.line, line.strip().removeprefix("ERROR: "))
            )
    if found:
        return tuple(found)
    if project.steps_file is not None and failing_step and plan.steps_first_line is not None:
        steps_line = _steps_line(project.steps_file, failing_step)
        if steps_line is not None:
            last = next((x.strip() for x in reversed(lines) if x.strip()), "the step failed")
            found.append(BuildLocation(project.steps_file, steps_line, last))
    return tuple(found)


def _steps_line(steps_file: Path, instruction: str) -> int | None:
    """The 0-based line of the steps-file instruction the classic builder printed as `Step N/M`."""
    text = read_project_file(steps_file, root=None, max_bytes=MAX_BUILD_INPUT_BYTES).text
    if text is None:
        return None
    wanted = _squash(instruction)
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        start = index
        joined = lines[index]
        while joined.rstrip().endswith("\\") and index + 1 < len(lines):
            index += 1
            joined = joined.rstrip()[:-1] + " " + lines[index]
        if joined.strip() and not joined.lstrip().startswith("#") and _squash(joined) == wanted:
            return start
        index += 1
    return None


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()
