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
import sys

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
