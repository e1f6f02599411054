"""The environment image: the base image with the project's packages installed, kept between builds.

Why this shape (issue 12, "download once"). The engine may be Docker 20.10 without BuildKit: a
Dockerfile then cannot mount a package cache, and whatever a RUN downloads is either committed with
its layer or lost. So amldebug keeps what the downloads became, not the downloads:

- `amldebug-env:<key>` is the base image plus ENV_PREFIX, made by running install.sh in a container
  of its own and committing it. The key digests the base image's id, the install scripts, the
  conda file and the requirement list: an unchanged environment is found again and used whole.
- When the requirement list grows (a package added to the conda file), the new environment starts
  from a kept one built on the same base image with the same install settings, whose requirements
  are all still asked for. extend.sh installs what is missing (only the new package is downloaded)
  and the commit holds only the new files: one thin layer over the kept ones. The result holds what
  a whole install would (the same requirements and the closure of their dependencies); versions
  already installed that still satisfy stay, as a lock file would keep them. A requirement removed
  or changed, a conda environment or a chain MAX_CHAIN deep: installed whole, from the base image.
- The debug image is built FROM the environment image, so the environment is never copied from a
  package stage into the final one (that copy and its commit were a third of a cold build).
- Nothing build-time reaches an image: the CA bundle and uv are put into the install container
  and removed by the script before the commit (never in a layer, unlike COPY then rm); pip and uv
  run without caches. Bounded: at most KEEP environment images stay tagged (older ones are
  untagged; their layers go when no debug image uses them).

Rejected: a host cache folder (`docker build` cannot mount it without BuildKit); a cache sent in
the build context or copied from a cache image (its whole size on every build, and the whole
environment still re-installed, re-committed and re-copied); a docker volume of uv's cache with
`docker run` + commit (saves the downloads but still installs and commits the whole environment).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import queue
import tarfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amldebug.containers.docker_engine import DockerEngine
from amldebug.containers.install_script import BUILD_ENV_DIR, CANNOT_EXTEND
from amldebug.errors import AmlDebugError
from amldebug.progress import CancelToken

ENV_REPOSITORY = "amldebug-env"
KEEP = 8
MAX_CHAIN = 8
# The scripts, as build.py names the step when it maps a failure back to the conda file.
INSTALL_STEP = f"RUN sh {BUILD_ENV_DIR}/install.sh"
EXTEND_STEP = f"RUN sh {BUILD_ENV_DIR}/extend.sh"

LABEL_KEY = "amldebug.env.key"
LABEL_BASE = "amldebug.env.base-id"
LABEL_SETTINGS = "amldebug.env.settings"
LABEL_REQUIREMENTS = "amldebug.env.requirements"
LABEL_DEPTH = "amldebug.env.depth"
# Changes when what an environment image holds or how it is made changes: older ones are not used.
FORMAT = "2"
# Files put into the install container that are not part of what the environment is made of.
_NOT_IN_KEY = frozenset({"ca-bundle.pem", "uv"})


@dataclass(frozen=True)
class EnvironmentPlan:
    """What install.sh / extend.sh need, by file name in BUILD_ENV_DIR (pure data)."""

    files: dict[str, Path | bytes] = field(default_factory=dict)
    requirements: tuple[str, ...] = ()

    @property
    def settings(self) -> str:
        """Digest of what shapes the environment besides the requirement list and the conda file:
        the scripts (installer, index settings, python pin) and whether uv is used."""
        digest = hashlib.sha256(FORMAT.encode() + b"\0")
        for name in ("install.sh", "extend.sh"):
            content = self.files.get(name, b"")
            digest.update(name.encode() + b"\0" + (content if isinstance(content, bytes) else b""))
        digest.update(b"uv" if "uv" in self.files else b"pip")
        return digest.hexdigest()[:16]

    def key(self, base_id: str) -> str:
        digest = hashlib.sha256(f"{FORMAT}\0{base_id}\0".encode())
        for name in sorted(self.files):
            content = self.files[name]
            digest.update(name.encode() + b"\0")
            if name not in _NOT_IN_KEY and isinstance(content, bytes):
                digest.update(content + b"\0")
        return digest.hexdigest()[:24]


@dataclass(frozen=True)
class KeptEnvironment:
    reference: str
    base_id: str
    settings: str
    requirements: tuple[str, ...]
    depth: int
    created: str


@dataclass(frozen=True)
class EnvironmentBuild:
    image: str
    reused: bool  # found whole: nothing was installed
    extended_from: str | None  # the kept environment the new packages were added to
    seconds: float
    # Removal of the install containers, under way: wait_for_cleanup() before returning.
    cleanups: tuple[threading.Thread, ...] = field(default=(), compare=False, repr=False)

    def wait_for_cleanup(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        for cleanup in self.cleanups:
            cleanup.join(max(0.0, deadline - time.monotonic()))


class EnvironmentInstallFailed(AmlDebugError):
    def __init__(self, exit_code: int) -> None:
        super().__init__(f"installing the environment's packages failed (exit code {exit_code})")
        self.exit_code = exit_code


def environment_tag(plan: EnvironmentPlan, base_id: str) -> str:
    return f"{ENV_REPOSITORY}:{plan.key(base_id)}"


def starting_point(
    kept: list[KeptEnvironment], *, base_id: str, settings: str, requirements: tuple[str, ...]
) -> KeptEnvironment | None:
    """The kept environment to extend: same base image and settings, every requirement of it still
    asked for, chain not too deep; the one that already has the most, then the newest."""
    wanted = set(requirements)
    fits = [
        k
        for k in kept
        if k.base_id == base_id
        and k.settings == settings
        and set(k.requirements) <= wanted
        and k.depth < MAX_CHAIN
    ]
    return max(fits, key=lambda k: (len(k.requirements), k.created), default=None)


def kept_environments(engine: DockerEngine) -> list[KeptEnvironment]:
    found = []
    for image in engine.images_of_repository(ENV_REPOSITORY):
        labels = image.labels or {}
        if LABEL_KEY not in labels or not image.tags:
            continue
        try:
            requirements = tuple(str(r) for r in json.loads(labels.get(LABEL_REQUIREMENTS, "[]")))
            depth = int(labels.get(LABEL_DEPTH, "0"))
        except (ValueError, TypeError):
            continue
        found.append(
            KeptEnvironment(
                reference=image.tags[0],
                base_id=labels.get(LABEL_BASE, ""),
                settings=labels.get(LABEL_SETTINGS, ""),
                requirements=requirements,
                depth=depth,
                created=str(image.attrs.get("Created", "")),
            )
        )
    return found


def ensure_environment_image(
    engine: DockerEngine,
    plan: EnvironmentPlan,
    *,
    base_image: str,
    base_id: str,
    extend: bool = True,
    on_line: Callable[[str], None],
    on_step: Callable[[str], None] = lambda step: None,
    cancel: CancelToken | None = None,
) -> EnvironmentBuild:
    """The environment image for `plan`: kept, extended from a kept one, or installed whole."""
    cancel = cancel or CancelToken()
    started = time.monotonic()
    tag = environment_tag(plan, base_id)
    if engine.image_exists(tag):
        return EnvironmentBuild(tag, True, None, time.monotonic() - started)
    labels = {
        LABEL_KEY: plan.key(base_id),
        LABEL_BASE: base_id,
        LABEL_SETTINGS: plan.settings,
        LABEL_REQUIREMENTS: json.dumps(list(plan.requirements)),
    }
    start = None
    if extend and "extend.sh" in plan.files:
        start = starting_point(
            kept_environments(engine),
            base_id=base_id,
            settings=plan.settings,
            requirements=plan.requirements,
        )
    cleanups: list[threading.Thread] = []
    if start is not None:
        added = sorted(set(plan.requirements) - set(start.requirements))
        on_line(
            f"amldebug: extending the environment kept in {start.reference}"
            + (f" with {', '.join(added)}" if added else "")
        )
        on_step(EXTEND_STEP)
        depth = {**labels, LABEL_DEPTH: str(start.depth + 1)}
        code = _install(engine, start.reference, "extend.sh", plan, tag, depth, on_line, cancel,
                        cleanups)  # fmt: skip
        if code == 0:
            _prune(engine, keep=tag)
            seconds = time.monotonic() - started
            return EnvironmentBuild(tag, False, start.reference, seconds, tuple(cleanups))
        on_line(
            f"amldebug: the kept environment could not be extended (exit code {code}); "
            "installing it whole"
            if code != CANNOT_EXTEND
            else "amldebug: installing the environment whole"
        )
    on_step(INSTALL_STEP)
    whole = {**labels, LABEL_DEPTH: "0"}
    code = _install(engine, base_image, "install.sh", plan, tag, whole, on_line, cancel, cleanups)
    if code != 0:
        for cleanup in cleanups:
            cleanup.join(60)
        raise EnvironmentInstallFailed(code)
    _prune(engine, keep=tag)
    return EnvironmentBuild(tag, False, None, time.monotonic() - started, tuple(cleanups))


def _install(
    engine: DockerEngine,
    image: str,
    script: str,
    plan: EnvironmentPlan,
    tag: str,
    labels: dict[str, str],
    on_line: Callable[[str], None],
    cancel: CancelToken,
    cleanups: list[threading.Thread],
) -> int:
    """Run `script` as root in a container of `image`; commit it as `tag` when it succeeds.

    The committed image keeps the ENTRYPOINT of `image` (the base image's), so the debug image's
    Dockerfile need not set one: an `ENTRYPOINT` over a committed image defeats the classic
    builder's layer cache (every later step would be rebuilt on each build)."""
    entrypoint = engine.image_entrypoint(image)
    command = [f"{BUILD_ENV_DIR}/{script}"]
    container = engine.create_container(
        image,
        name=f"amldebug-env-{uuid.uuid4().hex[:12]}",
        **({"entrypoint": ["/bin/sh"], "command": command} if entrypoint else {}),
        **({} if entrypoint else {"command": ["/bin/sh", *command]}),
        user="root",
        labels=labels,
    )
    changes = [f"ENTRYPOINT {json.dumps(entrypoint)}"] if entrypoint else None
    try:
        container.put_archive("/", _inputs_tar(plan))
        container.start()
        code = _follow(container, on_line, cancel)
        if code == 0:
            repository, _, version = tag.partition(":")
            container.commit(repository=repository, tag=version, changes=changes)
    except BaseException:  # cancelled, interrupted: stop the install before anything else
        _remove(container)
        raise
    # Deleting the container's files takes seconds after a whole install: done beside the debug
    # image's build, which waits for it at its end (EnvironmentBuild.wait_for_cleanup).
    cleanup = threading.Thread(target=_remove, args=(container,), daemon=True)
    cleanup.start()
    cleanups.append(cleanup)
    return code


def _remove(container: Any) -> None:
    with contextlib.suppress(Exception):
        container.remove(force=True)


def _inputs_tar(plan: EnvironmentPlan) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        folder = tarfile.TarInfo(BUILD_ENV_DIR.lstrip("/"))
        folder.type = tarfile.DIRTYPE
        folder.mode = 0o700
        archive.addfile(folder)
        for name, content in sorted(plan.files.items()):
            info = tarfile.TarInfo(f"{BUILD_ENV_DIR.lstrip('/')}/{name}")
            info.mode = 0o755 if name == "uv" else 0o600
            if isinstance(content, bytes):
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
            else:
                with content.open("rb") as handle:
                    info.size = content.stat().st_size
                    archive.addfile(info, handle)
    return buffer.getvalue()


def _follow(container: Any, on_line: Callable[[str], None], cancel: CancelToken) -> int:
    """Stream the container's output to `on_line` until it exits; its exit code."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        pending = b""
        try:
            for chunk in container.logs(stream=True, follow=True):
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for line in complete:
                    lines.put(line.decode("utf-8", errors="replace").rstrip("\r"))
            if pending:
                lines.put(pending.decode("utf-8", errors="replace"))
        finally:
            lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    while True:
        if cancel.cancelled:
            with contextlib.suppress(Exception):
                container.kill()
            cancel.raise_if_cancelled()
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        if line is None:
            break
        on_line(line)
    return int(container.wait().get("StatusCode", 1))


def _prune(engine: DockerEngine, *, keep: str) -> None:
    """Untag the oldest environment images beyond KEEP (a debug image built on one keeps its
    layers; the engine frees them when nothing uses them)."""
    kept = sorted(kept_environments(engine), key=lambda k: k.created, reverse=True)
    for old in kept[KEEP:]:
        if old.reference != keep:
            with contextlib.suppress(Exception):
                engine.remove_image(old.reference)
