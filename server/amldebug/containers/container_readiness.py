"""Waiting for a debug container: until `GET /` answers, or until its log says the debugger is
awaited, watching all the while that the container still lives (a dead one is ContainerCrashed)."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

from amldebug.containers import scoring_client
from amldebug.containers.container_failure import container_log_text, crashed_error
from amldebug.containers.docker_engine import DockerEngine
from amldebug.errors import AmlDebugError
from amldebug.progress import CancelToken
from amldebug.project import Project

_no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_ok(url: str) -> bool:
    """Whether a quick GET answers below 500 (proxies bypassed: the server is on this host)."""
    try:
        with _no_proxy.open(url, timeout=2) as response:
            return 200 <= response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except (OSError, ValueError):
        return False


def wait_until_ready(
    engine: DockerEngine,
    name: str,
    url: str,
    timeout: float,
    cancel: CancelToken,
    project: Project | None,
) -> None:
    """Poll `GET /` while watching that the container lives; a dead one is ContainerCrashed."""

    def alive() -> bool:
        container = engine.find_container(name)
        if container is None:
            return False
        container.reload()
        return container.status not in ("exited", "dead")

    readiness = scoring_client.wait_until_ready(url, timeout, cancel, alive)
    if readiness.ready:
        return
    if readiness.state == "exited":
        if engine.find_container(name) is None:
            raise AmlDebugError(f"The container '{name}' disappeared while starting.")
        raise crashed_error(engine, name, project)
    tail = container_log_text(engine, name, 40)
    raise AmlDebugError(
        f"The server in '{name}' did not answer {url}/ within {timeout:.0f} s "
        f"({readiness.last_error}).\n{tail}",
        hint="Read the log above; raise --timeout if init() is slow.",
    )


def wait_for_log(
    engine: DockerEngine,
    name: str,
    text: str,
    timeout: float,
    cancel: CancelToken,
    project: Project | None,
) -> None:
    """Wait until `text` appears in the container's log (a dead container is ContainerCrashed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cancel.raise_if_cancelled()
        container = engine.container(name)
        container.reload()
        if container.status in ("exited", "dead"):
            raise crashed_error(engine, name, project)
        if text in container_log_text(engine, name, 50):
            return
        cancel.wait(0.2)
    raise AmlDebugError(f"The container '{name}' did not reach '{text}' within {timeout:.0f} s.")
