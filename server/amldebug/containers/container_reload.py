"""`reload` for a debug container: a fresh inference-server worker re-imports the edited entry
script, without rebuilding or restarting the container."""

from __future__ import annotations

import time
from dataclasses import dataclass

from amldebug.containers.container_readiness import wait_until_ready
from amldebug.containers.container_state import exec_python, published_port
from amldebug.containers.docker_engine import DockerEngine
from amldebug.containers.dockerfile import INFERENCE_PORT
from amldebug.errors import AmlDebugError
from amldebug.progress import CancelToken
from amldebug.project import Project

# Runs inside the container: kill the gunicorn worker(s) and their children (debugpy's adapter,
# which holds the debug port) but not the master, which boots a fresh worker that re-imports the
# entry script and listens for the debugger again. A HUP would start the new worker while the old
# one still held the debug port.
_RELOAD_SCRIPT = r"""
import os, signal
me = {os.getpid(), os.getppid()}
procs = {}
for entry in os.listdir('/proc'):
    if not entry.isdigit() or int(entry) in me:
        continue
    try:
        with open('/proc/%s/stat' % entry) as handle:
            ppid = int(handle.read().rsplit(')', 1)[1].split()[1])
        with open('/proc/%s/cmdline' % entry, 'rb') as handle:
            argv = handle.read().split(b'\0')[:2]
    except (OSError, IndexError, ValueError):
        continue
    server = any(a.endswith((b'azmlinfsrv', b'gunicorn', b'amldebug_launch.py')) for a in argv)
    procs[int(entry)] = (ppid, server)
servers = {p for p, (pp, s) in procs.items() if s}
masters = {p for p in servers if procs[p][0] not in servers}
workers = [p for p in servers if procs[p][0] in masters]
def children(pid):
    found = [p for p, (pp, s) in procs.items() if pp == pid]
    return found + [c for p in found for c in children(p)]
for worker in workers:
    for pid in children(worker) + [worker]:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
print(' '.join(str(w) for w in workers))
"""


@dataclass(frozen=True)
class ReloadResult:
    name: str
    seconds: float
    restarted_workers: tuple[int, ...]


def reload_container(
    engine: DockerEngine,
    name: str,
    *,
    project: Project | None = None,
    timeout: float = 60.0,
    cancel: CancelToken | None = None,
) -> ReloadResult:
    """Serve the edited entry script without rebuilding: a fresh worker, then wait until ready."""
    cancel = cancel or CancelToken()
    started = time.monotonic()
    container = engine.container(name)
    if container.status != "running":
        raise AmlDebugError(
            f"The container '{name}' is {container.status}, not running.",
            hint="Start it again with `amldebug run` (or `amldebug up`).",
        )
    port = published_port(container, INFERENCE_PORT)
    code, output = exec_python(engine, name, _RELOAD_SCRIPT)
    if code != 0:
        raise AmlDebugError(f"Could not restart the worker in '{name}': {output.strip()[-400:]}")
    workers = tuple(int(x) for x in output.split() if x.isdigit())
    if not workers:
        raise AmlDebugError(
            f"No inference server worker runs in '{name}'.",
            hint="Read `amldebug logs`; `amldebug up` starts a fresh container.",
        )
    if port is not None:
        wait_until_ready(engine, name, f"http://127.0.0.1:{port}", timeout, cancel, project)
    return ReloadResult(name, time.monotonic() - started, workers)
