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
"""

import importlib.util
import os
import sys

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
        debugpy.listen((host, port))
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
