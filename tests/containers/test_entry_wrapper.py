"""The entry wrapper's debugger start, run as the server runs it (a Python process importing it)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from amldebug.containers.dockerfile import WRAPPER_SOURCE

SCORE = "def init():\n    pass\n\n\ndef run(data):\n    return data\n"
# Imports the wrapper as the server does, then says whether debugpy listens in this process.
PROBE = (
    "import importlib.util, sys\n"
    "spec = importlib.util.spec_from_file_location('driver', sys.argv[1])\n"
    "module = importlib.util.module_from_spec(spec)\n"
    "spec.loader.exec_module(module)\n"
    "import debugpy\n"
    "print('connected-api', hasattr(debugpy, 'is_client_connected'))\n"
)


def _run_wrapper(tmp_path: Path, port: int, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "score.py").write_text(SCORE)
    environment = {
        **os.environ,
        "AML_APP_ROOT": str(tmp_path),
        "AMLDEBUG_USER_SCRIPT": "score.py",
        "AMLDEBUG_DEBUG_HOST": "127.0.0.1",
        "AMLDEBUG_DEBUG_PORT": str(port),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "TMPDIR": str(tmp_path),
        **env,
    }
    # A wrapper that blocked in listen() would hang here: the timeout turns that into a failure.
    return subprocess.run(
        [sys.executable, "-c", PROBE, str(WRAPPER_SOURCE)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_debugpy_listens_with_its_adapter_in_the_worker(tmp_path: Path) -> None:
    done = _run_wrapper(tmp_path, _free_port())
    assert done.returncode == 0, done.stderr
    assert "amldebug: debugpy listening on 127.0.0.1:" in done.stderr
    assert "could not listen" not in done.stderr


def test_a_taken_debug_port_serves_without_a_debugger_instead_of_hanging(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        done = _run_wrapper(tmp_path, int(holder.getsockname()[1]))
    assert done.returncode == 0, done.stderr
    assert "could not listen" in done.stderr and "runs without a debugger" in done.stderr
    assert "connected-api True" in done.stdout  # the user's script was loaded all the same


def test_a_second_worker_finds_the_port_claimed_by_the_first(tmp_path: Path) -> None:
    port = _free_port()
    lock = tmp_path / f"amldebug-debug-port-{port}.lock"
    # The first worker holds the lock file for its whole life; a second one must not wait.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            "handle = open(sys.argv[1], 'a')\n"
            "fcntl.flock(handle, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n",
            str(lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        done = _run_wrapper(tmp_path, port)
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 0, done.stderr
    assert "another worker holds the debug port" in done.stderr


SERVER_PYTHON = os.environ.get("AMLDEBUG_PROCESS_PYTHON", "/opt/amlinf/bin/python")


# Holds the launcher at its first preload (flask) until the test says go: the port must already
# take connections then, before gunicorn runs.
HOLD_AT_FLASK = """
import os, sys, time
class _Hold:
    def find_spec(self, name, path=None, target=None):
        if name == "flask":
            sys.meta_path.remove(self)
            while not os.path.exists(os.environ["AMLDEBUG_TEST_GO"]):
                time.sleep(0.01)
        return None
sys.meta_path.insert(0, _Hold())
"""


def test_the_launcher_opens_the_port_first_and_gunicorn_serves_from_it(tmp_path: Path) -> None:
    """A `GET /` sent while the launcher still loads the libraries (before gunicorn runs) waits
    in the port's backlog and is answered on that same connection once the worker is ready."""
    import pytest

    from amldebug.containers.dockerfile import LAUNCHER_SOURCE

    if not Path(SERVER_PYTHON).exists():
        pytest.skip(f"no Python with the inference server at {SERVER_PYTHON}")
    (tmp_path / "score.py").write_text(SCORE)
    (tmp_path / "hold").mkdir()
    (tmp_path / "hold" / "sitecustomize.py").write_text(HOLD_AT_FLASK)
    go = tmp_path / "go"
    port = _free_port()
    environment = {
        **os.environ,
        "PYTHONPATH": str(tmp_path / "hold"),
        "AMLDEBUG_TEST_GO": str(go),
        "AML_APP_ROOT": str(tmp_path),
        "AZUREML_ENTRY_SCRIPT": str(WRAPPER_SOURCE),
        "AMLDEBUG_USER_SCRIPT": "score.py",
        "AMLDEBUG_DEBUG_PORT": "0",
        "WORKER_COUNT": "1",
    }
    command = [SERVER_PYTHON, str(LAUNCHER_SOURCE), "--entry_script", str(WRAPPER_SOURCE)]
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        connection = None
        for _ in range(3000):  # while the launcher starts (held at flask, it never binds late)
            if server.poll() is not None:
                break
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=60)
                break
            except ConnectionRefusedError:
                time.sleep(0.01)
        assert connection is not None, "the server exited before it took a connection"
        with connection:
            connection.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
            go.write_text("")  # the launcher was held before flask: the port was open already
            answer = b""
            while chunk := connection.recv(4096):
                answer += chunk
        assert answer.startswith(b"HTTP/1.0 200") and answer.endswith(b"Healthy"), answer
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    # gunicorn took the launcher's socket instead of binding the port again.
    assert f"Listening at: http://0.0.0.0:{port}" in output
    assert "Connection in use" not in output
