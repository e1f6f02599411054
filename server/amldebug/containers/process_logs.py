"""A local inference server's log: read it, follow it, and pass new lines on while starting."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from amldebug.containers.process_state import (
    DEFAULT_NAME,
    check_name,
    is_running,
    log_path,
    read_state,
)
from amldebug.errors import AmlDebugError
from amldebug.progress import CancelToken, ProgressReporter

_LOG_TAIL_LINES = 40


def last_lines(text: str, lines: int = _LOG_TAIL_LINES) -> str:
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


class LogPump:
    """Sends new lines of the server log to the reporter while we wait."""

    def __init__(self, path: Path, reporter: ProgressReporter):
        self.path = path
        self.reporter = reporter
        self.offset = 0
        self.partial = ""

    def pump(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except OSError:
            return
        if not chunk:
            return
        self.offset += len(chunk)
        text = self.partial + chunk.decode("utf-8", errors="replace")
        *lines, self.partial = text.split("\n")
        for line in lines:
            self.reporter.log(line)


def read_process_server_log(name: str = DEFAULT_NAME, tail: int | None = None) -> str:
    """The named server's output (the last `tail` lines when given). The log outlives the
    server, so a crash can be read after it."""
    check_name(name)
    path = log_path(name)
    if not path.exists():
        raise AmlDebugError(
            f"No log for a local inference server named '{name}'.",
            hint="Start one with `amldebug up --runtime process`.",
        )
    text = read_text(path)
    return last_lines(text, tail) + "\n" if tail is not None else text


def follow_process_server_log(
    name: str = DEFAULT_NAME, cancel: CancelToken | None = None, *, tail: int = 10
) -> Iterator[str]:
    """Lines of the named server's log as they are written, starting `tail` lines back, until
    the server stops or `cancel` is cancelled."""
    text = read_process_server_log(name)
    yield from text.rstrip("\n").splitlines()[-tail:] if tail else []
    path = log_path(name)
    try:
        offset = path.stat().st_size
    except OSError:
        return
    partial = ""
    while cancel is None or not cancel.cancelled:
        try:
            with open(path, "rb") as handle:
                handle.seek(offset)
                chunk = handle.read()
        except OSError:
            return
        if chunk:
            offset += len(chunk)
            *lines, partial = (partial + chunk.decode("utf-8", errors="replace")).split("\n")
            yield from lines
            continue
        server = read_state(name)
        if server is None or not is_running(server):
            if partial:
                yield partial
            return
        if cancel is not None:
            cancel.wait(0.2)
        else:
            time.sleep(0.2)
