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

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from amldebug.containers import ports
from amldebug.containers.model_files import link_model_tree
from amldebug.containers.scoring_client import server_url, wait_until_ready
from amldebug.errors import AmlDebugError
from amldebug.progress import CancelToken, NullReporter, ProgressReporter
from amldebug.project import Project

WRAPPER_SCRIPT = Path(__file__).parent / "assets" / "amldebug_entry.py"
PYTHON_ENV_VARIABLE = "AMLDEBUG_PROCESS_PYTHON"
DEFAULT_NAME = "debug"
WORKER_TIMEOUT_SECONDS = 3600
_STATE_VERSION = 1
_LOG_TAIL_LINES = 40
_WAITING_FOR_DEBUGGER = "amldebug: waiting for a debugger to attach"
_NAME_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")

# azmlinfsrv always binds 0.0.0.0; debugpy runs any code sent to it and the server runs the
# user's code, so the process runtime binds where the user asked (loopback by default). The host
# constant is read when run() is called, so setting it on the module is enough.
_LAUNCHER = (
    "import sys; from azureml_inference_server_http import amlserver; "
    "amlserver.DEFAULT_HOST = sys.argv.pop(1); sys.argv[0] = 'azmlinfsrv'; amlserver.run()"
)
_PROBE = "import azureml_inference_server_http, debugpy"


class ServerBootError(AmlDebugError):
    """The inference server exited while starting, usually because init() raised.

    `log_text` is the whole start-up log, for mapping the traceback to local files;
    `returncode` the server's exit status (3: a worker failed to boot)."""

    def __init__(self, message: str, *, hint: str | None, log_text: str, returncode: int | None):
        super().__init__(message, hint=hint)
        self.log_text = log_text
        self.returncode = returncode


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


# ---------------------------------------------------------------------------------------------
# The interpreter


def _clean_env(base: Mapping[str, str]) -> dict[str, str]:
    # Our own interpreter's paths must not leak into the server's: its environment pins other
    # versions (pydantic) than amldebug's.
    return {k: v for k, v in base.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}


_probe_cache: dict[str, tuple[bool, str]] = {}


def _probe_python(python: str) -> tuple[bool, str]:
    """(usable, what is missing) for an interpreter."""
    if python in _probe_cache:
        return _probe_cache[python]
    try:
        completed = subprocess.run(
            [python, "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=60,
            env=_clean_env(os.environ),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        result = (False, f"cannot run it ({error})")
    else:
        if completed.returncode == 0:
            result = (True, "")
        else:
            missing = re.findall(r"No module named '([^']+)'", completed.stderr)
            result = (
                False,
                f"no module {missing[-1]}"
                if missing
                else (completed.stderr.strip().splitlines() or ["it failed"])[-1],
            )
    _probe_cache[python] = result
    return result


def _script_interpreter(script: str) -> str | None:
    try:
        with open(script, "rb") as handle:
            first = handle.readline(512).decode(errors="replace")
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    parts = first[2:].split()
    if not parts:
        return None
    if Path(parts[0]).name == "env" and len(parts) > 1:
        return shutil.which(parts[1])
    return parts[0]


def _install_hint() -> str:
    venv = server_venv_dir()
    shown = str(venv).replace(str(Path.home()), "~", 1)
    return (
        "Create one (once), then run again:\n"
        f"  python3 -m venv {shown} && {shown}/bin/python -m pip install "
        "azureml-inference-server-http debugpy\n"
        f"amldebug looks there, or set {PYTHON_ENV_VARIABLE} (or --python) to an interpreter "
        "that has both packages."
    )


def find_server_python(explicit: str | None = None) -> str:
    """An interpreter that can import the inference server and debugpy.

    Tried in order: `explicit`, then $AMLDEBUG_PROCESS_PYTHON (each must work when given: no
    silent fallback), the current interpreter, the interpreter of `azmlinfsrv` on PATH, and the
    venv the error hint suggests. Never installs anything.
    """
    for source, value in (
        ("--python", explicit),
        (PYTHON_ENV_VARIABLE, os.environ.get(PYTHON_ENV_VARIABLE)),
    ):
        if not value:
            continue
        resolved = shutil.which(value) or value
        usable, missing = _probe_python(resolved)
        if usable:
            return resolved
        raise AmlDebugError(
            f"The interpreter {resolved} ({source}) cannot run the Azure ML inference server: "
            f"{missing}.",
            hint=f"Install what is missing: {resolved} -m pip install "
            "azureml-inference-server-http debugpy",
        )
    candidates: list[str] = [sys.executable]
    on_path = shutil.which("azmlinfsrv")
    if on_path:
        interpreter = _script_interpreter(on_path)
        if interpreter:
            candidates.append(interpreter)
    candidates.append(str(server_venv_dir() / "bin" / "python"))
    tried: list[str] = []
    for candidate in dict.fromkeys(candidates):
        if not Path(candidate).exists():
            continue
        usable, missing = _probe_python(candidate)
        if usable:
            return candidate
        tried.append(f"{candidate}: {missing}")
        if "debugpy" in missing:
            raise AmlDebugError(
                "No Python interpreter here can run the Azure ML inference server with debugpy.",
                hint=f"{candidate} has the inference server but not debugpy: "
                f"{candidate} -m pip install debugpy",
            )
    tried_text = ("Tried " + "; ".join(tried) + ".\n") if tried else ""
    raise AmlDebugError(
        "No Python interpreter here can run the Azure ML inference server with debugpy "
        "(azureml-inference-server-http is not installed).",
        hint=tried_text + _install_hint(),
    )


# ---------------------------------------------------------------------------------------------
# State files


def _check_name(name: str) -> None:
    if not _NAME_SHAPE.match(name):
        raise AmlDebugError(
            f"'{name}' is not a usable server name.",
            hint="Use letters, digits, '.', '_' or '-' (at most 63).",
        )


def _state_path(name: str) -> Path:
    return processes_dir() / f"{name}.json"


def _log_path(name: str) -> Path:
    return processes_dir() / f"{name}.log"


def _write_state(server: ProcessServer) -> None:
    path = Path(server.state_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"version": _STATE_VERSION, **server.to_json()}
    descriptor, temporary = tempfile.mkstemp(prefix=f".{server.name}.", dir=path.parent)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
    os.replace(temporary, path)


def _read_state(name: str) -> ProcessServer | None:
    try:
        data = json.loads(_state_path(name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.pop("version", None) != _STATE_VERSION:
        return None
    known = set(ProcessServer.__dataclass_fields__)
    try:
        return ProcessServer(**{k: v for k, v in data.items() if k in known})
    except TypeError:
        return None


def _remove_state(name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        _state_path(name).unlink()
    shutil.rmtree(processes_dir() / f"{name}.models", ignore_errors=True)


def _start_ticks(pid: int) -> int | None:
    """The process start time in clock ticks since boot (field 22 of /proc/<pid>/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    try:
        return int(stat[stat.rindex(")") + 2 :].split()[19])
    except (ValueError, IndexError):
        return None


def _is_running(server: ProcessServer) -> bool:
    ticks = _start_ticks(server.pid)
    if ticks is None:
        return False
    if server.start_ticks is not None and ticks != server.start_ticks:
        return False  # the pid now belongs to another process
    try:
        state = Path(f"/proc/{server.pid}/stat").read_text()
        return state[state.rindex(")") + 2] != "Z"
    except (OSError, ValueError, IndexError):
        return False


def _group_members(pgid: int) -> list[int]:
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


# Children started by this interpreter, so stop() can reap them (no zombies in a long-lived
# language server).
_children: dict[int, subprocess.Popen[bytes]] = {}


# ---------------------------------------------------------------------------------------------
# Start


def _model_dir(project: Project, name: str) -> Path | None:
    """AZUREML_MODEL_DIR for a local server: symlinks laid out as Azure ML lays the models out."""
    return link_model_tree(project, processes_dir() / f"{name}.models")


def _tail(text: str, lines: int = _LOG_TAIL_LINES) -> str:
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


class _LogPump:
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
    _check_name(name)
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

    previous = _read_state(name)
    if previous is not None:
        if _is_running(previous):
            if not replace:
                raise AmlDebugError(
                    f"A local inference server named '{name}' is already running "
                    f"(pid {previous.pid}, {previous.url}).",
                    hint=f"Stop it first: amldebug stop --name {name}",
                )
            reporter.step(f"Stopping the previous '{name}' server (pid {previous.pid})")
            stop_process_server(name)
        else:
            _remove_state(name)

    reporter.step("Finding a Python with the Azure ML inference server")
    interpreter = find_server_python(python)
    ports.ensure_ports_free(
        [(port, "--port", "the scoring port"), (debug_port, "--debug-port", "the debugger port")],
        bind,
    )

    model_dir = _model_dir(project, name)
    server_env = _clean_env(os.environ)
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
    log_path = _log_path(name)
    log_path.parent.mkdir(parents=True, exist_ok=True)
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
    with open(log_path, "wb") as log_file:
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
    _children[process.pid] = process
    server = ProcessServer(
        name=name,
        pid=process.pid,
        port=port,
        debug_port=debug_port,
        bind=bind,
        url=server_url(bind, port, "/"),
        score_url=server_url(bind, port, "/score"),
        log_path=str(log_path),
        state_path=str(_state_path(name)),
        python=interpreter,
        project_root=str(project.root),
        entry_script=str(entry_script),
        model_dir=str(model_dir) if model_dir else None,
        started_at=time.time(),
        wait_for_debugger=wait_for_debugger,
        state="starting",
        start_ticks=_start_ticks(process.pid),
    )
    _write_state(server)

    pump = _LogPump(log_path, reporter)
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
        _stop_started(server, process)
        raise
    if outcome == "exited":
        returncode = process.wait()
        _children.pop(process.pid, None)
        _remove_state(name)
        log_text = _read_text(log_path)
        raise _boot_error(log_text, returncode, log_path)
    if outcome == "timeout":
        _stop_started(server, process)
        log_text = _read_text(log_path)
        raise ServerBootError(
            f"The inference server did not become ready within {timeout:g} s.",
            hint=f"Last lines of {log_path}:\n{_tail(log_text)}\n"
            "If init() is slow (a large model), raise --timeout.",
            log_text=log_text,
            returncode=None,
        )
    ready = _replace(server, state=final_state)
    _write_state(ready)
    reporter.step(
        f"Ready: {ready.score_url}"
        if final_state == "ready"
        else f"debugpy waits for an editor on port {debug_port}"
    )
    return ready


def _replace(server: ProcessServer, **changes: Any) -> ProcessServer:
    data = server.to_json()
    data.update(changes)
    return ProcessServer(**data)


def _boot_error(log_text: str, returncode: int | None, log_path: Path) -> ServerBootError:
    if returncode == 3 or "Worker failed to boot" in log_text:
        what = "The inference server stopped while starting: init() failed (Worker failed to boot)."
    else:
        what = f"The inference server exited while starting (exit code {returncode})."
    return ServerBootError(
        what,
        hint=f"Last lines of {log_path}:\n{_tail(log_text)}",
        log_text=log_text,
        returncode=returncode,
    )


def _wait_for_debugger_listening(
    server: ProcessServer,
    process: subprocess.Popen[bytes],
    timeout: float,
    cancel: CancelToken | None,
    pump: _LogPump,
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
        if _WAITING_FOR_DEBUGGER in _read_text(log_path) and ports.listening_sockets(
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


# ---------------------------------------------------------------------------------------------
# Stop, status, logs


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _stop_started(server: ProcessServer, process: subprocess.Popen[bytes] | None = None) -> None:
    _terminate(server, timeout=5.0)
    if process is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
        _children.pop(process.pid, None)
    _remove_state(server.name)


def _terminate(server: ProcessServer, timeout: float) -> None:
    """End the server's process group (INT: gunicorn's quick shutdown; a debug server has no
    requests worth draining), KILL what is left after `timeout`, then make sure debugpy's
    adapter, which runs in its own session and outlives the server while an editor is attached,
    lets go of the debugger port."""
    if _is_running(server):
        _signal_group(server.pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    child = _children.get(server.pid)
    while time.monotonic() < deadline:
        if child is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=0.05)
        if not _group_members(server.pid):
            break
        time.sleep(0.05)
    else:
        _signal_group(server.pid, signal.SIGKILL)
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)
        _children.pop(server.pid, None)
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
    _check_name(name)
    server = _read_state(name)
    if server is None:
        return False
    _terminate(server, timeout)
    _remove_state(name)
    return True


def list_process_servers() -> list[ProcessServer]:
    """Every local server with a state file (running or not), sorted by name."""
    try:
        paths = sorted(processes_dir().glob("*.json"))
    except OSError:
        return []
    found = []
    for path in paths:
        server = _read_state(path.stem)
        if server is not None:
            found.append(server)
    return found


def process_server_status(name: str = DEFAULT_NAME) -> ProcessServerStatus:
    """What the named server is doing now (a quick GET / tells "ready" from "starting")."""
    _check_name(name)
    server = _read_state(name)
    if server is None:
        return ProcessServerStatus(name, "none")
    if not _is_running(server):
        return ProcessServerStatus(name, "exited", server)
    readiness = wait_until_ready(server.url, 0.5)
    if readiness.ready:
        return ProcessServerStatus(name, "ready", server)
    if server.wait_for_debugger and _WAITING_FOR_DEBUGGER in _read_text(Path(server.log_path)):
        return ProcessServerStatus(name, "waiting-for-debugger", server)
    return ProcessServerStatus(name, "starting", server, {"lastError": readiness.last_error})


def read_process_server_log(name: str = DEFAULT_NAME, tail: int | None = None) -> str:
    """The named server's output (the last `tail` lines when given). The log outlives the
    server, so a crash can be read after it."""
    _check_name(name)
    path = _log_path(name)
    if not path.exists():
        raise AmlDebugError(
            f"No log for a local inference server named '{name}'.",
            hint="Start one with `amldebug up --runtime process`.",
        )
    text = _read_text(path)
    return _tail(text, tail) + "\n" if tail is not None else text


def follow_process_server_log(
    name: str = DEFAULT_NAME, cancel: CancelToken | None = None, *, tail: int = 10
) -> Iterator[str]:
    """Lines of the named server's log as they are written, starting `tail` lines back, until
    the server stops or `cancel` is cancelled."""
    text = read_process_server_log(name)
    yield from text.rstrip("\n").splitlines()[-tail:] if tail else []
    path = _log_path(name)
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
        server = _read_state(name)
        if server is None or not _is_running(server):
            if partial:
                yield partial
            return
        if cancel is not None:
            cancel.wait(0.2)
        else:
            time.sleep(0.2)
