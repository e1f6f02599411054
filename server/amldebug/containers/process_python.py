"""Which Python runs the local inference server: one that can import azureml-inference-server-http
and debugpy, found (never installed) from --python, $AMLDEBUG_PROCESS_PYTHON, amldebug's own
interpreter, `azmlinfsrv` on PATH, or the venv the error's hint suggests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from amldebug.containers.process_state import server_venv_dir
from amldebug.errors import AmlDebugError

PYTHON_ENV_VARIABLE = "AMLDEBUG_PROCESS_PYTHON"
_PROBE = "import azureml_inference_server_http, debugpy"


def clean_env(base: Mapping[str, str]) -> dict[str, str]:
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
            env=clean_env(os.environ),
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
