"""The debug loop without Docker: the real azmlinfsrv as a local process under debugpy.

Needs the inference server's own environment (its pydantic pin conflicts with amldebug's
dependencies): AMLDEBUG_PROCESS_PYTHON, default /opt/amlinf/bin/python.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from amldebug.cli.main import main
from amldebug.containers.launch_config import process_debug_configuration
from amldebug.containers.ports import free_port, is_port_free
from amldebug.containers.process_runtime import (
    ProcessServer,
    ServerBootError,
    find_server_python,
    follow_process_server_log,
    list_process_servers,
    process_server_status,
    processes_dir,
    read_process_server_log,
    start_process_server,
    stop_process_server,
)
from amldebug.containers.scoring_client import score, wait_until_ready
from amldebug.errors import AmlDebugError
from amldebug.progress import Cancelled, CancelToken, RecordingReporter
from amldebug.project import discover_project

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.support.dap_client import DapClient

WORKING = Path(__file__).resolve().parents[2] / "examples" / "working-project"
SERVER_PYTHON = os.environ.get("AMLDEBUG_PROCESS_PYTHON", "/opt/amlinf/bin/python")
RUN_LINE = next(  # `rows = json.loads(raw_data)["data"]` in the working example's score.py
    number
    for number, line in enumerate((WORKING / "score.py").read_text().splitlines(), 1)
    if "rows = json.loads(raw_data)" in line
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(SERVER_PYTHON).exists(),
        reason=f"no inference-server interpreter at {SERVER_PYTHON} "
        "(set AMLDEBUG_PROCESS_PYTHON to a Python with azureml-inference-server-http and debugpy)",
    ),
]


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """State files in a private cache folder, so parallel test runs never see each other."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("AMLDEBUG_PROCESS_PYTHON", SERVER_PYTHON)
    return tmp_path / "cache"


@pytest.fixture
def started() -> Iterator[ProcessServer]:
    server = start_process_server(
        discover_project(WORKING), name="t-main", port=free_port(), debug_port=free_port()
    )
    yield server
    stop_process_server("t-main")


def group_alive(pgid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if fields[2] == str(pgid) and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def test_start_serves_the_working_example_and_invoke_prints_its_predictions(
    started: ProcessServer, capsys: pytest.CaptureFixture[str], isolated_cache: Path
):
    assert wait_until_ready(started.url, 5).ready
    assert started.state == "ready"
    assert Path(started.state_path) == isolated_cache / "amldebug" / "processes" / "t-main.json"
    assert process_server_status("t-main").state == "ready"
    assert [s.name for s in list_process_servers()] == ["t-main"]

    code = main(["invoke", "--port", str(started.port), "--folder", str(WORKING)])
    out = capsys.readouterr().out
    assert code == 0
    assert "-> 200 OK: run() took" in out
    assert json.loads(out[out.index("{") :]) == {"predictions": [14.0, 17.75]}

    assert main(["invoke", "--port", str(started.port), "--data", '{"rows": []}']) == 1
    assert "run() raised an exception" in capsys.readouterr().out
    assert "KeyError: 'data'" in read_process_server_log("t-main")

    # Following the log from another "invocation": the access-log line of the next request.
    cancel = CancelToken()
    seen: list[str] = []

    def follow() -> None:
        for line in follow_process_server_log("t-main", cancel, tail=0):
            seen.append(line)
            if "POST /score 200" in line:
                cancel.cancel()

    follower = threading.Thread(target=follow)
    follower.start()
    score(started.score_url, (WORKING / "sample-request.json").read_text())
    follower.join(timeout=20)
    cancel.cancel()
    assert any("POST /score 200" in line for line in seen)


def test_debugger_attaches_with_the_local_process_entry_and_stops_in_local_score_py(
    started: ProcessServer,
):
    configuration = process_debug_configuration(started.debug_port)
    score_py = str(WORKING / "score.py")
    with DapClient("127.0.0.1", configuration["connect"]["port"]) as client:
        client.attach(configuration, {score_py: [RUN_LINE]})
        result: dict[str, Any] = {}
        request = threading.Thread(
            target=lambda: result.update(
                response=score(started.score_url, (WORKING / "sample-request.json").read_text())
            )
        )
        request.start()
        stopped = client.wait_event("stopped", timeout=30)
        frame = client.top_frame(stopped["body"]["threadId"])
        assert frame["source"]["path"] == score_py
        assert frame["line"] == RUN_LINE
        client.request("continue", {"threadId": stopped["body"]["threadId"]})
        request.join(timeout=30)
        client.request("disconnect", {"terminateDebuggee": False})
    assert result["response"].json() == {"predictions": [14.0, 17.75]}


def test_wait_for_debugger_returns_once_debugpy_listens_and_serves_after_attach():
    project = discover_project(WORKING)
    server = start_process_server(
        project, name="t-wait", port=free_port(), debug_port=free_port(), wait_for_debugger=True
    )
    try:
        assert server.state == "waiting-for-debugger"
        assert process_server_status("t-wait").state == "waiting-for-debugger"
        with DapClient("127.0.0.1", server.debug_port) as client:
            client.attach(process_debug_configuration(server.debug_port), {})
            assert wait_until_ready(server.url, 30).ready
            client.request("disconnect", {"terminateDebuggee": False})
    finally:
        stop_process_server("t-wait")


def test_init_failure_reports_the_log_tail_with_the_local_score_line(tmp_path: Path):
    project_dir = tmp_path / "broken"
    shutil.copytree(WORKING, project_dir)
    score_py = project_dir / "score.py"
    lines = score_py.read_text().splitlines()
    failing_line = lines.index("    global model") + 2  # 1-based line of the inserted raise
    lines.insert(failing_line - 1, '    raise RuntimeError("model store unreachable")')
    score_py.write_text("\n".join(lines) + "\n")
    port, debug_port = free_port(), free_port()
    reporter = RecordingReporter()

    with pytest.raises(ServerBootError) as raised:
        start_process_server(
            discover_project(project_dir),
            name="t-broken",
            port=port,
            debug_port=debug_port,
            reporter=reporter,
        )
    error = raised.value
    assert error.message == (
        "The inference server stopped while starting: init() failed (Worker failed to boot)."
    )
    assert error.returncode == 3
    assert f'File "{score_py}", line {failing_line}, in init' in error.log_text
    assert "RuntimeError: model store unreachable" in (error.hint or "")
    assert any("model store unreachable" in line for line in reporter.lines)
    # Nothing left behind: no state, ports free; the log stays readable.
    assert process_server_status("t-broken").state == "none"
    assert is_port_free(port) and is_port_free(debug_port)
    assert "Worker failed to boot" in read_process_server_log("t-broken")


def test_taken_port_names_the_holder_and_the_next_free_port(isolated_cache: Path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        with pytest.raises(AmlDebugError) as raised:
            start_process_server(
                discover_project(WORKING), name="t-port", port=taken, debug_port=free_port()
            )
    message, hint = raised.value.message, raised.value.hint or ""
    assert message.startswith(
        f"Port {taken} on 127.0.0.1 (the scoring port) is taken by pid {os.getpid()} ("
    )
    suggested = int(hint.rsplit("--port ", 1)[1])
    assert suggested != taken
    assert not (isolated_cache / "amldebug" / "processes" / "t-port.json").exists()


def test_a_second_server_with_the_same_name_is_refused(started: ProcessServer):
    with pytest.raises(AmlDebugError) as raised:
        start_process_server(
            discover_project(WORKING), name="t-main", port=free_port(), debug_port=free_port()
        )
    assert raised.value.message.startswith(
        f"A local inference server named 't-main' is already running (pid {started.pid}"
    )
    assert raised.value.hint == "Stop it first: amldebug stop --name t-main"


def test_stop_leaves_no_process_and_frees_both_ports():
    server = start_process_server(
        discover_project(WORKING), name="t-stop", port=free_port(), debug_port=free_port()
    )
    # Attach once so debugpy's adapter (its own session) is busy too; stop from another
    # process, as `amldebug stop` in a second terminal would.
    with DapClient("127.0.0.1", server.debug_port) as client:
        client.attach(process_debug_configuration(server.debug_port), {})
        stopper = subprocess.run(
            [
                sys.executable,
                "-c",
                "from amldebug.containers.process_runtime import stop_process_server as stop; "
                "print(stop('t-stop'))",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert stopper.stdout.strip() == "True", stopper.stderr
    assert group_alive(server.pid) == []
    assert not Path(f"/proc/{server.pid}").exists() or group_alive(server.pid) == []
    assert is_port_free(server.port) and is_port_free(server.debug_port)
    adapters = subprocess.run(
        ["pgrep", "-f", f"debugpy/adapter.*--port {server.debug_port}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert adapters.stdout.strip() == ""
    assert process_server_status("t-stop").state == "none"
    assert stop_process_server("t-stop") is False


def test_a_server_that_died_on_its_own_shows_as_exited_and_stop_cleans_up():
    server = start_process_server(
        discover_project(WORKING), name="t-died", port=free_port(), debug_port=free_port()
    )
    os.killpg(server.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while process_server_status("t-died").state != "exited" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process_server_status("t-died").state == "exited"
    assert stop_process_server("t-died") is True
    assert process_server_status("t-died").state == "none"
    assert is_port_free(server.debug_port)


def test_cancelling_a_start_leaves_nothing_running():
    cancel = CancelToken()
    reporter = RecordingReporter()
    port, debug_port = free_port(), free_port()

    class CancelOnceStarting(RecordingReporter):
        def step(self, message: str, percentage: int | None = None) -> None:
            reporter.step(message, percentage)
            if message.startswith("Waiting for the server"):
                cancel.cancel()

    with pytest.raises(Cancelled):
        start_process_server(
            discover_project(WORKING),
            name="t-cancel",
            port=port,
            debug_port=debug_port,
            reporter=CancelOnceStarting(),
            cancel=cancel,
        )
    assert reporter.steps[-1] == "Waiting for the server to answer GET /"
    assert process_server_status("t-cancel").state == "none"
    assert is_port_free(port) and is_port_free(debug_port)


def test_deployment_environment_variables_and_env_reach_the_server(tmp_path: Path):
    project_dir = tmp_path / "env-project"
    shutil.copytree(WORKING, project_dir)
    deployment = (project_dir / "deployment.yml").read_text()
    (project_dir / "deployment.yml").write_text(
        deployment + "environment_variables:\n  GREETING: from-deployment\n"
    )
    (project_dir / "score.py").write_text(
        "import os\n\n\ndef init():\n    pass\n\n\ndef run(raw_data):\n"
        "    return {k: os.environ.get(k) for k in "
        "('GREETING', 'EXTRA', 'AZUREML_MODEL_DIR', 'WORKER_TIMEOUT')}\n"
    )
    server = start_process_server(
        discover_project(project_dir),
        name="t-env",
        port=free_port(),
        debug_port=free_port(),
        env={"EXTRA": "from-option"},
    )
    try:
        assert score(server.score_url, "{}").json() == {
            "GREETING": "from-deployment",
            "EXTRA": "from-option",
            "AZUREML_MODEL_DIR": str(processes_dir() / "t-env.models" / "model" / "1"),
            "WORKER_TIMEOUT": "3600",
        }
    finally:
        stop_process_server("t-env")


def test_an_interpreter_without_the_server_is_named_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("AMLDEBUG_PROCESS_PYTHON", sys.executable)
    with pytest.raises(AmlDebugError) as raised:
        find_server_python()
    assert raised.value.message == (
        f"The interpreter {sys.executable} (AMLDEBUG_PROCESS_PYTHON) cannot run the Azure ML "
        "inference server: no module azureml_inference_server_http."
    )


def test_no_interpreter_at_all_gives_the_venv_recipe(
    monkeypatch: pytest.MonkeyPatch, isolated_cache: Path
):
    monkeypatch.delenv("AMLDEBUG_PROCESS_PYTHON")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(AmlDebugError) as raised:
        find_server_python()
    hint = raised.value.hint or ""
    venv = isolated_cache / "amldebug" / "server-venv"
    assert f"python3 -m venv {venv} && {venv}/bin/python -m pip install" in hint
    assert "azureml-inference-server-http debugpy" in hint
    assert find_server_python(SERVER_PYTHON) == SERVER_PYTHON
