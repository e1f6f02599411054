"""Images of the debug loop besides building: `commit` a container's state as a numbered image,
and `pull` an image (logging in first when given credentials) to run it."""

from __future__ import annotations

from amldebug.containers.container_state import image_name
from amldebug.containers.docker_engine import DockerEngine, split_reference
from amldebug.containers.dockerfile import LABEL_BUILT
from amldebug.errors import AmlDebugError, UsageError
from amldebug.progress import CancelToken, NullReporter, ProgressReporter

_PULL_HINT = "Check the name and your access (log in with --username and --password-stdin)."


# Commit --------------------------------------------------------------------------------------


def next_free_tag(existing: list[str], repository: str = "debug") -> str:
    """`debug:N`, N one more than the highest numbered tag of `repository` (debug:1 -> debug:2)."""
    numbers = [
        int(tag.rsplit(":", 1)[1])
        for tag in existing
        if tag.rsplit(":", 1)[0] == repository and tag.rsplit(":", 1)[1].isdigit()
    ]
    return f"{repository}:{max(numbers, default=0) + 1}"


def commit_container(engine: DockerEngine, name: str, tag: str | None = None) -> str:
    """Save the container as an image: `tag`, or the next number of default_commit_repository."""
    container = engine.container(name)
    if tag is None:
        running = image_name(container) or ""
        built_by_us = bool(running) and LABEL_BUILT in _labels_or_none(engine, running)
        tag = next_free_tag(engine.image_tags(), default_commit_repository(running, built_by_us))
    repository, tag_part = split_reference(tag)
    engine.commit(name, repository, tag_part, message="amldebug commit")
    return f"{repository}:{tag_part}"


def default_commit_repository(running_image: str, built_by_us: bool) -> str:
    """Where `commit` numbers a snapshot: the running image's repository when amldebug built it
    with a numbered tag (`up --tag proj:1` -> proj:2, debug:2 -> debug:3), else `debug`. A
    numbered tag of someone else's image (`python:3`) is never continued: `python:4` would shadow
    a real upstream tag for every later build on this machine."""
    repository, _, tag = running_image.rpartition(":")
    if built_by_us and repository and "/" not in tag and tag.isdigit():
        return repository
    return "debug"


def _labels_or_none(engine: DockerEngine, reference: str) -> dict[str, str]:
    try:
        return engine.image_labels(reference)
    except AmlDebugError:  # the image was removed while the container runs
        return {}


# Pull ----------------------------------------------------------------------------------------


def registry_of(image: str) -> str | None:
    """The registry host of an image reference, or None for Docker Hub."""
    first = image.split("/", 1)[0]
    if "/" in image and ("." in first or ":" in first or first == "localhost"):
        return first
    return None


def pull_image(
    engine: DockerEngine,
    image: str,
    *,
    tag: str | None = "debug:1",
    username: str | None = None,
    password: str | None = None,
    reporter: ProgressReporter | None = None,
    cancel: CancelToken | None = None,
) -> str:
    """Log in (when credentials are given), pull, and tag as `tag`. Returns the local name."""
    reporter = reporter or NullReporter()
    cancel = cancel or CancelToken()
    auth = None
    if username:
        if password is None:
            raise UsageError("--username needs a password: pass it on stdin with --password-stdin.")
        registry = registry_of(image) or "https://index.docker.io/v1/"
        reporter.step(f"Logging in to {registry} as {username}", 5)
        engine.login(registry, username, password)
        auth = {"username": username, "password": password}
    reporter.step(f"Pulling {image}", 10)
    try:
        for chunk in engine.pull(image, auth):
            cancel.raise_if_cancelled()
            if "error" in chunk:
                raise AmlDebugError(f"Pulling {image} failed: {chunk['error']}", hint=_PULL_HINT)
            status = chunk.get("status")
            if status and "progressDetail" not in chunk:
                reporter.log(f"{chunk.get('id', '')} {status}".strip())
    except AmlDebugError:
        raise
    except Exception as error:
        explanation = getattr(error, "explanation", None) or str(error)
        raise AmlDebugError(f"Pulling {image} failed: {explanation}", hint=_PULL_HINT) from None
    if tag:
        engine.tag(image, tag)
        reporter.step(f"Tagged {image} as {tag}", 100)
        return tag
    return image
