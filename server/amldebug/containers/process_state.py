"""The local inference servers amldebug started, as small JSON files: one per name in
`$XDG_CACHE_HOME/amldebug/processes/<name>.json`, the server's output in `<name>.log` beside it, so
`stop`, `logs` and `status` work from another CLI invocation or the language server. Also whether
a recorded pid is still that server (a pid can be reused)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from amldebug.errors import AmlDebugError

DEFAULT_NAME = "debug"
_STATE_VERSION = 1
_NAME_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


@dataclass(frozen=True)
class ProcessServer:
    """A running (or last known) local inference server started by amldebug."""

    name: str
    pid: int
    port: int
    debug_port: int
    bind: str
    url: str  # http://127.0.0.1:8000/
    score_url: str  # http://127.0.0.1:8000/score
    log_path: str
    state_path: str
    python: str
    project_root: str
    entry_script: str
    model_dir: str | None
    started_at: float
    wait_for_debugger: bool = False
    # "ready", or "waiting-for-debugger" when started with wait_for_debugger.
    state: str = "ready"
    start_ticks: int | None = None  # /proc start time: tells our pid from a reused one
    runtime: str = "process"
    # The variables given with --env (not the project's own): a restart passes them again.
    env: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ProcessServerStatus:
    name: str
    # "none" (never started or stopped), "starting", "ready", "waiting-for-debugger", "exited"
    state: str
    server: ProcessServer | None = None
    details: dict[str, Any] = field(default_factory=dict)


def cache_dir() -> Path:
    """amldebug's cache folder: $XDG_CACHE_HOME/amldebug, else ~/.cache/amldebug."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "amldebug"


def processes_dir() -> Path:
    return cache_dir() / "processes"


def server_venv_dir() -> Path:
    """Where the hint tells people to create an interpreter for the server (searched too)."""
    return cache_dir() / "server-venv"


def check_name(name: str) -> None:
    if not _NAME_SHAPE.match(name):
        raise AmlDebugError(
            f"'{name}' is not a usable server name.",
            hint="Use letters, digits, '.', '_' or '-' (at most 63).",
        )


def state_path(name: str) -> Path:
    return processes_dir() / f"{name}.json"


def log_path(name: str) -> Path:
    return processes_dir() / f"{name}.log"


def write_state(server: ProcessServer) -> None:
    path = Path(server.state_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"version": _STATE_VERSION, **server.to_json()}
    descriptor, temporary = tempfile.mkstemp(prefix=f".{server.name}.", dir=path.parent)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
    os.replace(temporary, path)


def read_state(name: str) -> ProcessServer | None:
    try:
        data = json.loads(state_path(name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.pop("version", None) != _STATE_VERSION:
        return None
    known = set(ProcessServer.__dataclass_fields__)
    try:
        return ProcessServer(**{k: v for k, v in data.items() if k in known})
    except TypeError:
        return None


def remove_state(name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        state_path(name).unlink()
    shutil.rmtree(processes_dir() / f"{name}.models", ignore_errors=True)


def with_changes(server: ProcessServer, **changes: Any) -> ProcessServer:
    data = server.to_json()
    data.update(changes)
    return ProcessServer(**data)


def start_ticks(pid: int) -> int | None:
    """The process start time in clock ticks since boot (field 22 of /proc/<pid>/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    try:
        return int(stat[stat.rindex(")") + 2 :].split()[19])
    except (ValueError, IndexError):
        return None


def is_running(server: ProcessServer) -> bool:
    ticks = start_ticks(server.pid)
    if ticks is None:
        return False
    if server.start_ticks is not None and ticks != server.start_ticks:
        return False  # the pid now belongs to another process
    try:
        state = Path(f"/proc/{server.pid}/stat").read_text()
        return state[state.rindex(")") + 2] != "Z"
    except (OSError, ValueError, IndexError):
        return False


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            members.append(int(entry.name))
    return members
