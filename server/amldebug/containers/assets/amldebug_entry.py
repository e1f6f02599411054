"""Entry script that amldebug gives the Azure ML inference server instead of the user's score.py.

It starts debugpy listening (so an editor can attach) and then loads the user's entry script from
its real path, so breakpoints set on the local score.py bind to the file the server runs. The
user's module is exposed as `driver_module`, the hook the inference server already honours for
Azure ML's generated driver scripts: it calls the user's run() directly, with its own signature and
decorators (@rawhttp, @input_schema), and our init() forwards to the user's.

Environment (set by `amldebug run`; nothing here edits the user's files):
  AMLDEBUG_USER_SCRIPT        the user's entry script, absolute or relative to AML_APP_ROOT
  AMLDEBUG_DEBUG_HOST/PORT    where debugpy listens (0.0.0.0:5678 inside a container)
  AMLDEBUG_WAIT_FOR_DEBUGGER  "1" to block init() until an editor attaches
  AMLDEBUG_DEBUG_ADAPTER      "process" for debugpy's adapter in a process of its own (the default
                              runs it in the worker: see _listen)
"""

import importlib.util
import os
import socket
import sys
import tempfile

_app_root = os.environ.get("AML_APP_ROOT", "/var/azureml-app")
_script = os.environ.get("AMLDEBUG_USER_SCRIPT", "score.py")
_script_path = _script if os.path.isabs(_script) else os.path.join(_app_root, _script)


def _start_debugger() -> None:
    if os.environ.get("AMLDEBUG_DEBUG_PORT", "") in ("", "0"):
        return
    try:
        import debugpy
    except ImportError:
        print(
            "amldebug: debugpy is not installed in this environment; running without a debugger.",
            file=sys.stderr,
        )
        return
    host = os.environ.get("AMLDEBUG_DEBUG_HOST", "0.0.0.0")
    port = int(os.environ["AMLDEBUG_DEBUG_PORT"])
    try:
        _listen(debugpy, host, port)
    except (OSError, RuntimeError) as error:
        # A second worker (WORKER_COUNT > 1) finds the port taken: serve anyway, without a debugger.
        print(
            f"amldebug: debugpy could not listen on {host}:{port} ({error}); "
            "this worker runs without a debugger.",
            file=sys.stderr,
        )
        return
    print(
        f"amldebug: debugpy listening on {host}:{port} (pid {os.getpid()})",
        file=sys.stderr,
        flush=True,
    )
    if os.environ.get("AMLDEBUG_WAIT_FOR_DEBUGGER") == "1":
        print(
            "amldebug: waiting for a debugger to attach before init()", file=sys.stderr, flush=True
        )
        debugpy.wait_for_client()


def _listen(debugpy, host, port):
    """debugpy listening on host:port, with its adapter inside this process when it can.

    debugpy's default spawns an adapter process (a second Python) and waits for it to connect back:
    0.4-1 s of each worker start and reload on a busy machine. The in-process adapter (pydevd
    speaking DAP itself, `in_process_debug_adapter`, debugpy >= 1.6.4) takes milliseconds and an
    editor attaches to it the same way; it does not follow subprocesses the user's code starts.
    Its listening socket is bound on a thread, and a bind that fails there would block listen()
    forever, so the port is claimed first: a lock file that one worker holds for its whole life
    (released by the kernel when it dies, e.g. on reload) and a trial bind that reports a port
    taken by anyone else.
    """
    _quiet_environment_report()
    if os.environ.get("AMLDEBUG_DEBUG_ADAPTER") == "process":
        debugpy.listen((host, port))
        return
    _claim_debug_port(host, port)
    try:
        debugpy.listen((host, port), in_process_debug_adapter=True)
    except TypeError:  # a debugpy older than the in-process adapter
        debugpy.listen((host, port))


_port_lock = None  # the open lock file: kept for the life of the worker


def _claim_debug_port(host, port):
    global _port_lock
    try:
        import fcntl
    except ImportError:  # Windows (the local process runtime): the trial bind alone
        pass
    else:
        try:
            path = os.path.join(tempfile.gettempdir(), f"amldebug-debug-port-{port}.lock")
            handle = open(path, "a")  # noqa: SIM115 (held open on purpose)
        except OSError:  # no writable temp folder: the trial bind alone
            handle = None
        if handle is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                raise OSError(f"another worker holds the debug port {port}") from None
            _port_lock = handle
    trial = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if os.name != "nt":  # as pydevd binds it, so a reload's TIME_WAIT does not count
            trial.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        trial.bind((host, port))
    finally:
        trial.close()


def _quiet_environment_report():
    """Skip debugpy's description of the environment when no debugpy log would show it: it reads
    the metadata of every installed package (0.1-0.6 s) for an info line nobody sees."""
    try:
        from debugpy.common import log
    except ImportError:
        return
    stderr_levels = getattr(getattr(log, "stderr", None), "levels", {"info"})
    quiet = getattr(log, "log_dir", "") is None and "info" not in stderr_levels
    if quiet and hasattr(log, "describe_environment"):
        log.describe_environment = lambda header: None


def _load_user_script():
    # The user's directory first on sys.path, as when the server imports score.py itself.
    script_dir = os.path.dirname(os.path.abspath(_script_path))
    if script_dir not in sys.path:
        sys.path.insert(0, script_dir)
    spec = importlib.util.spec_from_file_location("entry_module", _script_path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the entry script {_script_path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["entry_module"] = module
    spec.loader.exec_module(module)
    return module


_start_debugger()
driver_module = _load_user_script()
run = getattr(driver_module, "run", None)
if run is None:
    del run  # let the server report the missing run() in its own words


def init():
    user_init = getattr(driver_module, "init", None)
    if user_init is None:
        raise AttributeError(
            f"The entry script {_script_path} does not have an init() function defined."
        )
    return user_init()
