"""Stopping a local inference server: its whole process group, then debugpy's adapter, which
runs in a session of its own and may still hold the debugger port."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time

from amldebug.containers import ports
from amldebug.containers.process_state import (
    DEFAULT_NAME,
    ProcessServer,
    check_name,
    group_members,
    is_running,
    read_state,
    remove_state,
)

# Children started by this interpreter, so stop() can reap them (no zombies in a long-lived
# language server).
started_children: dict[int, subprocess.Popen[bytes]] = {}


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def stop_started(server: ProcessServer, process: subprocess.Popen[bytes] | None = None) -> None:
    terminate(server, timeout=5.0)
    if process is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
        started_children.pop(process.pid, None)
    remove_state(server.name)


def terminate(server: ProcessServer, timeout: float) -> None:
    """End the server's process group (INT: gunicorn's quick shutdown; a debug server has no
    requests worth draining), KILL what is left after `timeout`, then make sure debugpy's
    adapter, which runs in its own session and outlives the server while an editor is attached,
    lets go of the debugger port."""
    if is_running(server):
        _signal_group(server.pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    child = started_children.get(server.pid)
    while time.monotonic() < deadline:
        if child is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=0.05)
        if not group_members(server.pid):
            break
        time.sleep(0.05)
    else:
        _signal_group(server.pid, signal.SIGKILL)
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)
        started_children.pop(server.pid, None)
    # The adapter may take a moment to appear in /proc or to exit after TERM on a loaded machine:
    # poll until the port is really free, escalating to KILL.
    deadline = time.monotonic() + 6.0
    terminated_at: float | None = None
    while time.monotonic() < deadline:
        if ports.is_port_free(server.debug_port, server.bind):
            return
        holder = ports.find_port_holder(server.debug_port, server.bind)
        if holder is not None and holder.pid is not None:
            if not _is_debugpy_adapter(holder.command, server.debug_port):
                return  # someone else took the port meanwhile: not ours to end
            if terminated_at is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(holder.pid, signal.SIGTERM)
                terminated_at = time.monotonic()
            elif time.monotonic() - terminated_at > 2.0:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(holder.pid, signal.SIGKILL)
        time.sleep(0.05)


def _is_debugpy_adapter(command: str | None, debug_port: int) -> bool:
    if not command:
        return False
    return "debugpy" in command and "adapter" in command and f"--port {debug_port}" in command


def stop_process_server(name: str = DEFAULT_NAME, *, timeout: float = 10.0) -> bool:
    """Stop the named local server and everything it started. False when none was known."""
    check_name(name)
    server = read_state(name)
    if server is None:
        return False
    terminate(server, timeout)
    remove_state(name)
    return True
