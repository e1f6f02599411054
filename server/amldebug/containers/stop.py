"""`stop`: remove a debug container and, with `--image`, its image — only what amldebug made.

A name is easy to get wrong (`--name db`), so a container without our label, or an image we did not
build, is left alone unless `force`; an image another container still uses is kept (removing it
would only untag it). The engine may still only untag (the image has another tag, or images built
on it, such as a commit, need its layers): the result says which, from the engine's own answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import docker.errors

from amldebug.containers.container_labels import LABEL_RUNTIME
from amldebug.containers.docker_engine import DockerEngine
from amldebug.containers.dockerfile import LABEL_BUILT
from amldebug.errors import AmlDebugError


@dataclass(frozen=True)
class StopResult:
    stopped: bool
    removed_image: str | None = None  # only when the engine deleted the image itself
    kept_image: str | None = None  # why the image was kept (or only untagged), as a sentence


def stop_container(
    engine: DockerEngine, name: str, *, remove_image: bool = False, force: bool = False
) -> StopResult:
    """Stop and remove `name` (and its image with `remove_image`), when amldebug made them.

    Raises AmlDebugError, changing nothing, for a missing container or one amldebug did not start
    (or, with `remove_image`, an image it did not build) unless `force`.
    """
    container = engine.find_container(name)
    if container is None:
        raise AmlDebugError(
            f"There is no container named '{name}'.", hint="List ours with `amldebug ps`."
        )
    if not force and LABEL_RUNTIME not in (container.labels or {}):
        raise AmlDebugError(
            f"The container '{name}' was not started by amldebug; nothing was stopped.",
            hint="Check the name with `amldebug ps`, or pass --force to remove it anyway.",
        )
    image = _image_reference(container)
    if remove_image and image and not force and not _built_by_us(engine, image):
        raise AmlDebugError(
            f"The image {image} was not built by amldebug; nothing was stopped or removed.",
            hint="Stop without --image, or pass --force to remove the image too.",
        )
    image_id = str(container.attrs.get("Image") or "")
    stopped = engine.remove_container(name)  # and its own network (debug_network.py)
    if not remove_image or not image:
        return StopResult(stopped)
    users = _containers_using(engine, image_id)
    if users:
        return StopResult(
            stopped, kept_image=f"Kept the image {image}: still used by {', '.join(users)}."
        )
    why = _why_only_untagged(engine, image, image_id)
    try:
        records = engine.client.api.remove_image(image, force=True) or []
    except docker.errors.ImageNotFound:  # gone meanwhile
        return StopResult(stopped, removed_image=image)
    if any("Deleted" in record for record in records):
        return StopResult(stopped, removed_image=image)
    return StopResult(stopped, kept_image=f"Untagged {image}; the image itself stays: {why}.")


def _image_reference(container: Any) -> str | None:
    configured = container.attrs.get("Config", {}).get("Image")
    if configured:
        return str(configured)
    return (container.image.tags or [None])[0] if container.image is not None else None


def _built_by_us(engine: DockerEngine, image: str) -> bool:
    try:
        return LABEL_BUILT in engine.image_labels(image)
    except AmlDebugError:  # already gone: nothing of anyone's to remove
        return True


def _why_only_untagged(engine: DockerEngine, image: str, image_id: str) -> str:
    """Why removing `image` would only untag it, asked before removing (the engine says only
    that it untagged)."""
    client = engine.client.api
    try:
        other_tags = [t for t in client.inspect_image(image_id).get("RepoTags") or [] if t != image]
    except docker.errors.APIError:
        other_tags = []
    if other_tags:
        return f"it is also tagged {', '.join(sorted(other_tags))}"
    children = [entry for entry in client.images(all=True) if entry.get("ParentId") == image_id]
    if children:
        names = [(c.get("RepoTags") or [c["Id"][7:19]])[0] for c in children]
        users = [u for c in children for u in _containers_using(engine, c["Id"])]
        used = f" (used by {', '.join(users)})" if users else ""
        return f"images built on it need its layers: {', '.join(names)}{used}"
    return "the engine kept it"


def _containers_using(engine: DockerEngine, image_id: str) -> list[str]:
    if not image_id:
        return []
    names: list[str] = []
    for entry in engine.client.api.containers(all=True):
        if entry.get("ImageID") == image_id:
            names.extend(n.lstrip("/") for n in entry.get("Names") or [])
    return names
