"""Why a debug container stopped: its log's last traceback mapped to the project's files, and the
ContainerCrashed error that carries it to the CLI and the editor."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from amldebug.errors import AmlDebugError
from amldebug.project import CONTAINER_APP_ROOT, Project
from amldebug.troubleshooting.catalogue import CATALOGUE
from amldebug.troubleshooting.paths import map_traceback

if TYPE_CHECKING:  # the local-process runtime maps its crashes here without Docker's SDK
    from amldebug.containers.docker_engine import DockerEngine

_LOG_TAIL_ON_FAILURE = 80
# The catalogue's entry for a container killed for memory: its advice becomes the hint.
_OUT_OF_MEMORY = next(entry for entry in CATALOGUE if entry.id == "oom-killed")


class ContainerCrashed(AmlDebugError):
    """The server in the container exited before it answered (init() raised, most often)."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        traceback: str = "",
        file: Path | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.traceback = traceback
        self.file = file
        self.line = line


def container_log_text(engine: DockerEngine, name: str, tail: int | str = "all") -> str:
    """The container's output as text ("" when it is gone)."""
    try:
        data = engine.logs(name, tail=tail)
    except AmlDebugError:
        return ""
    return data.decode("utf-8", errors="replace") if isinstance(data, bytes) else str(data)


def crashed_error(engine: DockerEngine, name: str, project: Project | None) -> ContainerCrashed:
    """What to tell the user about a container that exited: the traceback, mapped to local files."""
    container = engine.find_container(name)
    state = container.attrs.get("State", {}) if container is not None else {}
    exit_code = state.get("ExitCode")
    text = container_log_text(engine, name)
    traceback_text, file, line = map_failure(text, project)
    reason = (
        "init() failed"
        if "Worker failed to boot" in text or "init" in traceback_text
        else "it exited"
    )
    # 137 is SIGKILL: say who sends it rather than leave a bare number (issue 9).
    if state.get("OOMKilled"):
        reason = "killed (SIGKILL) for running out of memory: it reached its memory limit"
    elif exit_code == 137:
        reason = "killed (SIGKILL): out of memory, or `docker kill`"
    message = (
        f"The server in '{name}' stopped before it was ready ({reason}, exit code {exit_code})."
    )
    if traceback_text:
        message += "\n" + traceback_text
    else:
        message += "\n" + "\n".join(text.splitlines()[-_LOG_TAIL_ON_FAILURE:])
    where = f"{project.relative(file) if project else file}:{line}" if file and line else None
    if where:
        message += f"\n{where}"
    hint = (
        "Fix the line above, then `amldebug up` again (the container was removed)."
        if where
        else "Read the log above (the container was removed)."
    )
    if state.get("OOMKilled"):  # the catalogue's advice for it
        hint = f"{_OUT_OF_MEMORY.title}.\n{_OUT_OF_MEMORY.fix}"
    return ContainerCrashed(
        message,
        hint=hint,
        traceback=traceback_text,
        file=file,
        line=line,
    )


def crashed_from_log(
    message: str, hint: str | None, log_text: str, project: Project | None
) -> ContainerCrashed:
    """A server that died while starting, from its message and log (the local-process runtime's
    ServerBootError): the traceback and the entry script's line, as for a container."""
    traceback, file, line = map_failure(log_text, project)
    where = f"\n{project.relative(file) if project else file}:{line}" if file and line else ""
    return ContainerCrashed(
        f"{message}\n{traceback}{where}" if traceback else message,
        hint=hint,
        traceback=traceback,
        file=file,
        line=line,
    )


def map_failure(text: str, project: Project | None) -> tuple[str, Path | None, int | None]:
    """The last traceback with container paths replaced by local ones, and its entry-script line."""
    mapped = map_traceback(text, project)
    if mapped is None:
        return "", None, None
    block = text.splitlines()[mapped.start_line - 1 : mapped.end_line]
    rendered = "\n".join(block)
    if project is not None:
        rendered = rendered.replace(CONTAINER_APP_ROOT + "/", str(project.root) + os.sep)
    file: Path | None = None
    line: int | None = None
    if mapped.last_entry_script_frame is not None:
        frame_path, line = mapped.last_entry_script_frame
        file = Path(frame_path)
    elif mapped.last_app_frame is not None:
        file = mapped.last_app_frame.local_path or Path(mapped.last_app_frame.path)
        line = mapped.last_app_frame.line
    return rendered, file, line
