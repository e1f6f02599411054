"""A network of its own for each debug container, so no other container can reach debugpy.

debugpy listens on 0.0.0.0:5678 inside the container and runs any code sent to it, as root, next
to the project mounted read-write. On Docker's default bridge every other container on the host
can connect to it. Each debug container gets a user-defined bridge `amldebug-<name>` with
inter-container traffic disabled: the engine drops traffic between bridges, and within this one
(so a container attached to it later cannot connect either), while the host still reaches the
ports published on 127.0.0.1 (the editor's attach and `invoke`). The network is labelled ours and
goes with its container (DockerEngine.remove_container: stop, a failed start, a replaced
container); one left behind by a container removed with `docker rm` goes at the next run.
"""

from __future__ import annotations

import contextlib
import re
import time
from datetime import datetime, timezone
from typing import Any

import docker.errors

from amldebug.containers.container_labels import LABEL_RUNTIME
from amldebug.containers.docker_engine import DockerEngine
from amldebug.errors import AmlDebugError

LABEL_NETWORK_OF = "amldebug.network-of"  # the debug container the network isolates
NO_INTER_CONTAINER_TRAFFIC = {"com.docker.network.bridge.enable_icc": "false"}
# A network of ours with no container older than this is an orphan (its container was removed
# behind our back); younger ones may belong to a run that has not started its container yet.
_ORPHAN_AGE_SECONDS = 30.0


def debug_network_name(container_name: str) -> str:
    return f"amldebug-{container_name}"


def ensure_debug_network(engine: DockerEngine, container_name: str) -> str:
    """The isolated network for `container_name` (created, or ours reused); returns its name."""
    _remove_orphans(engine)
    name = debug_network_name(container_name)
    existing = _inspect(engine, name)
    if existing is not None:
        return _reuse(existing, name, container_name)
    try:
        engine.client.api.create_network(
            name,
            driver="bridge",
            options=NO_INTER_CONTAINER_TRAFFIC,
            labels={LABEL_RUNTIME: "docker", LABEL_NETWORK_OF: container_name},
            check_duplicate=True,
        )
    except docker.errors.APIError as error:
        raced = _inspect(engine, name)
        if raced is not None:  # another run of the same name created it meanwhile
            return _reuse(raced, name, container_name)
        explanation = str(getattr(error, "explanation", None) or error)
        hint = None
        if "address pool" in explanation or "non-overlapping" in explanation:
            hint = (
                "The engine has no free subnet for another network: remove unused ones with "
                "`docker network prune`."
            )
        raise AmlDebugError(
            f"Could not create the debug container's own network {name}: {explanation}", hint=hint
        ) from None
    return name


def remove_debug_network(engine: DockerEngine, container_name: str) -> bool:
    """Remove the container's network when it is ours and no container is attached to it."""
    name = debug_network_name(container_name)
    network = _inspect(engine, name)
    if network is None or not _is_ours(network, container_name) or network.get("Containers"):
        return False
    with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
        engine.client.api.remove_network(network["Id"])
        return True
    return False


def _reuse(network: dict[str, Any], name: str, container_name: str) -> str:
    if not _is_ours(network, container_name):
        raise AmlDebugError(
            f"A network named {name} exists and was not created by amldebug for "
            f"'{container_name}'.",
            hint=f"Pass --name another-name, or remove it with `docker network rm {name}`.",
        )
    return name


def _is_ours(network: dict[str, Any], container_name: str) -> bool:
    labels = network.get("Labels") or {}
    options = network.get("Options") or {}
    return labels.get(LABEL_NETWORK_OF) == container_name and all(
        options.get(key) == value for key, value in NO_INTER_CONTAINER_TRAFFIC.items()
    )


def _inspect(engine: DockerEngine, name: str) -> dict[str, Any] | None:
    try:
        network: dict[str, Any] = engine.client.api.inspect_network(name)
    except docker.errors.NotFound:
        return None
    # Inspecting by name also matches an id prefix: only the exact name counts.
    return network if network.get("Name") == name else None


def _remove_orphans(engine: DockerEngine) -> None:
    """Networks of ours whose container is gone (removed with `docker rm`, or by a test)."""
    try:
        listed = engine.client.api.networks(filters={"label": LABEL_NETWORK_OF})
    except docker.errors.APIError:
        return
    now = time.time()
    for entry in listed:
        owner = (entry.get("Labels") or {}).get(LABEL_NETWORK_OF)
        if not owner or now - _created(entry) < _ORPHAN_AGE_SECONDS:
            continue
        network = _inspect(engine, str(entry.get("Name")))
        if network is None or network.get("Containers") or engine.find_container(owner):
            continue
        with contextlib.suppress(docker.errors.APIError):
            engine.client.api.remove_network(network["Id"])


def _created(entry: dict[str, Any]) -> float:
    """The engine's `Created` ("2026-12-02T07:40:00.123456789Z", or with an offset) as a
    timestamp; now when it cannot be read (so the network is not taken for an orphan)."""
    text = re.sub(r"(\.\d{6})\d+", r"\1", str(entry.get("Created") or ""))
    try:
        created = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return time.time()
    return (created if created.tzinfo else created.replace(tzinfo=timezone.utc)).timestamp()
