"""Starts the Azure ML inference server in a debug image, with its libraries imported once.

gunicorn (inside azmlinfsrv) imports the app in each worker after the fork, so every worker
restart (`amldebug reload` kills the worker) pays for flask and the telemetry exporter again.
Imported here, in the master, they are inherited by each new worker, which then only loads the
user's entry script. The user's code is never imported here, so a reload always runs the edited
file. Arguments are azmlinfsrv's.

debugpy's debugger half (pydevd, about a quarter of a second to import) is preloaded too when the
worker will listen for a debugger: importing it starts no thread and opens no socket, so the
fork stays safe, and each reload's worker goes straight to `debugpy.listen`.
"""

import contextlib
import importlib
import os
import socket
import sys


def _listen_early():
    """Open the server's port now, before the libraries load, and hand it to gunicorn the way
    systemd hands over a socket (LISTEN_FDS, fd 3): a `GET /` sent while the server starts waits
    in the port's backlog and is answered the moment the worker is ready, instead of being
    refused until gunicorn binds (after the preloads) and retried on a back-off. Left to gunicorn
    when anything is unusual (no --port, a separate health port, fd 3 taken, the bind fails)."""
    if "--port" not in sys.argv or "LISTEN_FDS" in os.environ:
        return
    if os.environ.get("SEPERATE_HEALTH_ENDPOINT") == "true":  # the server's own spelling
        return
    try:
        port = int(sys.argv[sys.argv.index("--port") + 1])
        os.fstat(3)
        return  # fd 3 is in use
    except (IndexError, ValueError):
        return
    except OSError:
        pass  # fd 3 is free
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("0.0.0.0", port))  # the server's DEFAULT_HOST
        listener.listen(2048)  # gunicorn's default backlog
        if listener.fileno() != 3:  # the lowest free descriptor: 3 most often
            os.dup2(listener.fileno(), 3, inheritable=False)
            listener.close()
        else:
            listener.detach()  # fd 3 stays open, for gunicorn
    except OSError:
        listener.close()
        return
    os.environ["LISTEN_FDS"] = "1"
    os.environ["LISTEN_PID"] = str(os.getpid())


_listen_early()

# Third-party libraries the server's app imports; none starts threads or reads the user's files.
_PRELOAD = (
    "flask",
    "werkzeug",
    "inference_schema.schema_util",
    "azure.monitor.opentelemetry.exporter",
    "azureml_inference_server_http.api.aml_response",
    # The server's settings model (its config module reads the environment, so it stays in the
    # worker; the libraries under it are a tenth of a second of each worker boot).
    "pydantic",
    "pydantic_settings",
)

_DEBUGGER_PRELOAD = (
    ("debugpy", "debugpy.server.api")
    if os.environ.get("AMLDEBUG_DEBUG_PORT", "") not in ("", "0")
    else ()
)

for _name in (*_PRELOAD, *_DEBUGGER_PRELOAD):
    # An older server without one of them: the worker imports what it needs itself.
    with contextlib.suppress(Exception):
        importlib.import_module(_name)

from azureml_inference_server_http.amlserver import run  # noqa: E402

sys.argv[0] = "azmlinfsrv"
run()
