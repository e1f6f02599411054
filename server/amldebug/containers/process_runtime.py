"""The debug loop without Docker: the real Azure ML inference server as a local process.

`azmlinfsrv` runs the project's files in place under amldebug's entry wrapper
(`assets/amldebug_entry.py`), which starts debugpy and then loads the user's score.py from its
real path, so breakpoints set in the editor bind without path mappings. One worker, a long worker
timeout (a worker paused at a breakpoint must not be killed), and by default loopback only.

The server is started in its own session (process group) and described by a small JSON file in
`$XDG_CACHE_HOME/amldebug/processes/<name>.json`, its output in `<name>.log` next to it, so
`stop`, `logs` and `status` work from another CLI invocation or the language server.

Public API (the CLI's `--runtime process` and the language server call these):
  find_server_python(explicit=None) -> str
  start_process_server(project, *, name, port, debug_port, bind, wait_for_debugger, env, python,
                       timeout, reporter, cancel, replace) -> ProcessServer
  stop_process_server(name="debug", *, timeout=10.0) -> bool
  process_server_status(name="debug") -> ProcessServerStatus
  list_process_servers() -> list[ProcessServer]
  read_process_server_log(name="debug", tail=None) -> str
  follow_process_server_log(name="debug", cancel=None, *, tail=10) -> Iterator[str]
  ServerBootError: the server exited while starting (init() raised); carries `log_text`.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from amldebug.containers import ports
from amldebug.containers.model_dir_listing import ModelPath, list_model_dir
from amldebug.containers.model_files import link_model_tree
from amldebug.containers.process_logs import (
    LogPump,
    follow_process_server_log,
    last_lines,
    read_process_server_log,
    read_text,
)
from amldebug.containers.process_python import PYTHON_ENV_VARIABLE, clean_env, find_server_python
from amldebug.containers.process_state import (
    DEFAULT_NAME,
    ProcessServer,
    ProcessServerStatus,
    cache_dir,
    check_name,
    is_running,
    log_path,
    processes_dir,
    read_state,
    remove_state,
    server_venv_dir,
    start_ticks,
    state_path,
    with_changes,
    write_state,
)
from amldebug.containers.process_stop import started_children, stop_process_server, stop_started
from amldebug.containers.scoring_client import server_url, wait_until_ready
from amldebug.errors import AmlDebugError
from amldebug.progress import CancelToken, NullReporter, ProgressReporter
from amldebug.project import Project, discover_project

__all__ = [
    "DEFAULT_NAME",
    "PYTHON_ENV_VARIABLE",
    "WORKER_TIMEOUT_SECONDS",
    "WRAPPER_SCRIPT",
    "ProcessServer",
    "ProcessServerStatus",
    "ServerBootError",
    "cache_dir",
    "find_server_python",
    "follow_process_server_log",
    "list_process_servers",
    "process_model_path",
    "process_server_status",
    "processes_dir",
    "read_process_server_log",
    "restart_process_server",
    "server_venv_dir",
    "start_process_server",
    "stop_process_server",
]

WRAPPER_SCRIPT = Path(__file__).parent / "assets" / "amldebug_entry.py"
WORKER_TIMEOUT_SECONDS = 3600
_WAITING_FOR_DEBUGGER = "amldebug: waiting for a debugger to attach"

# azmlinfsrv always binds 0.0.0.0; debugpy runs any code sent to it and the server runs the
# user's code, so the process runtime binds where the user asked (loopback by default). The host
# constant is read when run() is called, so setting it on the module is enough.
_LAUNCHER = (
    "import sys; from azureml_inference_server_http import amlserver; "
    "amlserver.DEFAULT_HOST = sys.argv.pop(1); sys.argv[0] = 'azmlinfsrv'; amlserver.run()"
)


class ServerBootError(AmlDebugError):
    """The inference server exited while starting, usually because init() raised.

    `log_text` is the whole start-up log, for mapping the traceback to local files;
    `returncode` the server's exit status (3: a worker failed to boot)."""

    def __init__(self, message: str, *, hint: str | None, log_text: str, returncode: int | None):
        super().__init__(message, hint=hint)
        self.log_text = log_text
        self.returncode = returncode


def _model_dir(project: Project, name: str) -> Path | None:
    """AZUREML_MODEL_DIR for a local server: symlinks laid out as Azure ML lays the models out."""
    return link_model_tree(project, processes_dir() / f"{name}.models")


def start_process_server(
    project: Project,
    *,
    name: str = DEFAULT_NAME,
    port: int = 8000,
    debug_port: int = 5678,
    bind: str = "127.0.0.1",
    wait_for_debugger: bool = False,
    env: Mapping[str, str] | None = None,
    python: str | None = None,
    timeout: float = 60.0,
    reporter: ProgressReporter | None = None,
    cancel: CancelToken | None = None,
    replace: bool = False,
) -> ProcessServer:
    """Start azmlinfsrv on the project's entry script under debugpy and wait until it is ready.

    Ready means `GET /` answers "Healthy"; with `wait_for_debugger`, init() waits for an
    editor to attach, so it returns as soon as debugpy listens (state "waiting-for-debugger").
    Raises AmlDebugError for a taken port (naming who holds it and a free one), a server with the
    same name still running (unless `replace`), no usable interpreter, or no entry script;
    ServerBootError when the server exits while starting; Cancelled when cancelled. Nothing is
    left running when it raises.
    """
    reporter = reporter or NullReporter()
    check_name(name)
    entry_script = project.entry_script
    if entry_script is None or not entry_script.is_file():
        where = f" ({entry_script} does not exist)" if entry_script else ""
        raise AmlDebugError(
            f"No entry script found in {project.root}{where}.",
            hint="Pass --entry-script (e.g. score.py) or name it in the deployment YAML.",
        )
    if not WRAPPER_SCRIPT.is_file():
        raise AmlDebugError(
            f"amldebug's entry wrapper is missing ({WRAPPER_SCRIPT}); reinstall amldebug."
        )

    # The interpreter and the ports are checked before a previous server is stopped: a restart
    # that cannot start must leave the running server alone.
    reporter.step("Finding a Python with the Azure ML inference server")
    interpreter = find_server_python(python)
    previous = read_state(name)
    if previous is not None:
        if is_running(previous):
            if not replace:
                raise AmlDebugError(
                    f"A local inference server named '{name}' is already running "
                    f"(pid {previous.pid}, {previous.url}).",
                    hint=f"Stop it first: amldebug stop --name {name}",
                )
            _ports_free_besides(previous, port, debug_port, bind)
            reporter.step(f"Stopping the previous '{name}' server (pid {previous.pid})")
            stop_process_server(name)
        else:
            remove_state(name)
    ports.ensure_ports_free(_wanted_ports(port, debug_port), bind)

    model_dir = _model_dir(project, name)
    server_env = clean_env(os.environ)
    server_env.update({"WORKER_TIMEOUT": str(WORKER_TIMEOUT_SECONDS)})
    if model_dir is not None:
        server_env["AZUREML_MODEL_DIR"] = str(model_dir)
    server_env.update(project.environment_variables)
    server_env.update(env or {})
    server_env.update(
        {
            "AML_APP_ROOT": str(project.root),
            "AZUREML_ENTRY_SCRIPT": str(WRAPPER_SCRIPT),
            "AMLDEBUG_USER_SCRIPT": str(entry_script.absolute()),
            "AMLDEBUG_DEBUG_HOST": bind,
            "AMLDEBUG_DEBUG_PORT": str(debug_port),
            "AMLDEBUG_WAIT_FOR_DEBUGGER": "1" if wait_for_debugger else "0",
            # One worker: debugpy listens in one process, and breakpoints need a single target.
            "WORKER_COUNT": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    output_path = log_path(name)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    gunicorn_host = f"[{bind}]" if ":" in bind else bind
    command = [
        interpreter,
        "-c",
        _LAUNCHER,
        gunicorn_host,
        "--entry_script",
        str(WRAPPER_SCRIPT),
        "--port",
        str(port),
        "--worker_count",
        "1",
    ]
    reporter.step(
        f"Starting the inference server on {server_url(bind, port)} (debugger on port {debug_port})"
    )
    with open(output_path, "wb") as log_file:
        try:
            process = subprocess.Popen(
                command,
                cwd=str(project.root),
                env=server_env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as error:
            raise AmlDebugError(f"Cannot start {interpreter}: {error.strerror or error}") from error
    started_children[process.pid] = process
    server = ProcessServer(
        name=name,
        pid=process.pid,
        port=port,
        debug_port=debug_port,
        bind=bind,
        url=server_url(bind, port, "/"),
        score_url=server_url(bind, port, "/score"),
        log_path=str(output_path),
        state_path=str(state_path(name)),
        python=interpreter,
        project_root=str(project.root),
        entry_script=str(entry_script.absolute()),
        model_dir=str(model_dir) if model_dir else None,
        started_at=time.time(),
        wait_for_debugger=wait_for_debugger,
        state="starting",
        env=dict(env or {}),
        start_ticks=start_ticks(process.pid),
    )
    write_state(server)

    pump = LogPump(output_path, reporter)
    try:
        if wait_for_debugger:
            reporter.step(f"Waiting for debugpy to listen on port {debug_port}")
            outcome = _wait_for_debugger_listening(server, process, timeout, cancel, pump)
            final_state = "waiting-for-debugger"
        else:
            reporter.step("Waiting for the server to answer GET /")
            readiness = wait_until_ready(
                server.url,
                timeout,
                cancel,
                is_alive=lambda: process.poll() is None,
                on_poll=pump.pump,
            )
            outcome = readiness.state
            final_state = "ready"
        pump.pump()
    except BaseException:
        stop_started(server, process)
        raise
    if outcome == "exited":
        returncode = process.wait()
        started_children.pop(process.pid, None)
        remove_state(name)
        log_text = read_text(output_path)
        raise _boot_error(log_text, returncode, output_path)
    if outcome == "timeout":
        stop_started(server, process)
        log_text = read_text(output_path)
        raise ServerBootError(
            f"The inference server did not become ready within {timeout:g} s.",
            hint=f"Last lines of {output_path}:\n{last_lines(log_text)}\n"
            "If init() is slow (a large model), raise --timeout.",
            log_text=log_text,
            returncode=None,
        )
    ready = with_changes(server, state=final_state)
    write_state(ready)
    reporter.step(
        f"Ready: {ready.score_url}"
        if final_state == "ready"
        else f"debugpy waits for an editor on port {debug_port}"
    )
    return ready


def _ports_free_besides(previous: ProcessServer, port: int, debug_port: int, bind: str) -> None:
    """Refuse before stopping `previous` when a port it does not hold itself is taken."""
    held = {previous.port, previous.debug_port} if previous.bind == bind else set()
    wanted = _wanted_ports(port, debug_port)
    ports.ensure_ports_free([entry for entry in wanted if entry[0] not in held], bind)


def _wanted_ports(port: int, debug_port: int) -> list[tuple[int, str, str]]:
    return [(port, "--port", "the scoring port"), (debug_port, "--debug-port", "the debugger port")]


def restart_process_server(
    name: str = DEFAULT_NAME,
    *,
    timeout: float = 60.0,
    reporter: ProgressReporter | None = None,
    cancel: CancelToken | None = None,
) -> ProcessServer:
    """`reload` for the local runtime: a new server process (which imports the edited entry
    script) started as the running one was: same interpreter, entry script, ports, address,
    environment and wait-for-debugger. The running server is stopped only once the new one can
    start (its interpreter still works); ServerBootError as for a start."""
    check_name(name)
    server = read_state(name)
    if server is None:
        raise AmlDebugError(
            f"There is no local inference server named '{name}'.",
            hint="Start one with `amldebug up --runtime process`.",
        )
    project = discover_project(server.project_root, entry_script=server.entry_script)
    return start_process_server(
        project,
        name=name,
        port=server.port,
        debug_port=server.debug_port,
        bind=server.bind,
        wait_for_debugger=server.wait_for_debugger,
        env=server.env,
        python=server.python,
        timeout=timeout,
        reporter=reporter,
        cancel=cancel,
        replace=True,
    )


def _boot_error(log_text: str, returncode: int | None, log_path: Path) -> ServerBootError:
    if returncode == 3 or "Worker failed to boot" in log_text:
        what = "The inference server stopped while starting: init() failed (Worker failed to boot)."
    else:
        what = f"The inference server exited while starting (exit code {returncode})."
    return ServerBootError(
        what,
        hint=f"Last lines of {log_path}:\n{last_lines(log_text)}",
        log_text=log_text,
        returncode=returncode,
    )


def _wait_for_debugger_listening(
    server: ProcessServer,
    process: subprocess.Popen[bytes],
    timeout: float,
    cancel: CancelToken | None,
    pump: LogPump,
) -> str:
    """Wait (without connecting to it: a probe would count as the editor) until debugpy listens."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    log_path = Path(server.log_path)
    while True:
        if cancel is not None:
            cancel.raise_if_cancelled()
        pump.pump()
        if process.poll() is not None:
            return "exited"
        if _WAITING_FOR_DEBUGGER in read_text(log_path) and ports.listening_sockets(
            server.debug_port
        ):
            return "ready"
        if time.monotonic() > deadline:
            return "timeout"
        if cancel is not None:
            cancel.wait(delay)
        else:
            time.sleep(delay)
        delay = min(0.25, delay * 1.5)


def list_process_servers() -> list[ProcessServer]:
    """Every local server with a state file (running or not), sorted by name."""
    try:
        paths = sorted(processes_dir().glob("*.json"))
    except OSError:
        return []
    found = []
    for path in paths:
        server = read_state(path.stem)
        if server is not None:
            found.append(server)
    return found


def process_server_status(name: str = DEFAULT_NAME) -> ProcessServerStatus:
    """What the named server is doing now (a quick GET / tells "ready" from "starting")."""
    check_name(name)
    server = read_state(name)
    if server is None:
        return ProcessServerStatus(name, "none")
    if not is_running(server):
        return ProcessServerStatus(name, "exited", server)
    readiness = wait_until_ready(server.url, 0.5)
    if readiness.ready:
        return ProcessServerStatus(name, "ready", server)
    if server.wait_for_debugger and _WAITING_FOR_DEBUGGER in read_text(Path(server.log_path)):
        return ProcessServerStatus(name, "waiting-for-debugger", server)
    return ProcessServerStatus(name, "starting", server, {"lastError": readiness.last_error})


def process_model_path(name: str = DEFAULT_NAME) -> ModelPath:
    """`model-path` for a local server: the AZUREML_MODEL_DIR it was started with, listed."""
    check_name(name)
    server = read_state(name)
    if server is None:
        raise AmlDebugError(
            f"There is no local inference server named '{name}'.",
            hint="Start one with `amldebug up --runtime process`.",
        )
    return list_model_dir(server.model_dir)
