"""`reload` and `model-path` on a local-process server, and a clean start-up log (issue 9, item 15).

`AMLDEBUG_PROCESS_PYTHON=... amldebug up . --runtime process --name p && amldebug reload --name p`
used to stop the server and then fail to find an interpreter (the variable was set for `up` only),
leaving nothing running; `model-path` said "no container"; azmlinfsrv logged a NotADirectoryError
traceback at every start (AZUREML_MODEL_DIR pointed at the project's model folder).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from amldebug.cli.main import main
from amldebug.containers.ports import free_port
from amldebug.containers.process_runtime import (
    process_server_status,
    processes_dir,
    read_process_server_log,
    restart_process_server,
    stop_process_server,
)
from amldebug.containers.scoring_client import score
from amldebug.errors import AmlDebugError

WORKING = Path(__file__).resolve().parents[2] / "examples" / "working-project"
SERVER_PYTHON = os.environ.get("AMLDEBUG_PROCESS_PYTHON", "/opt/amlinf/bin/python")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(SERVER_PYTHON).exists(),
        reason=f"no inference-server interpreter at {SERVER_PYTHON}",
    ),
]


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("AMLDEBUG_PROCESS_PYTHON", SERVER_PYTHON)
    folder = tmp_path / "wp"
    shutil.copytree(WORKING, folder)
    yield folder
    stop_process_server("runtimes-p")


def up(folder: Path, *extra: str) -> tuple[int, int]:
    port, debug_port = free_port(), free_port()
    argv = ["up", str(folder), "--runtime", "process", "--name", "runtimes-p"]
    argv += ["--port", str(port), "--debug-port", str(debug_port), *extra]
    assert main(argv) == 0
    return port, debug_port


def server_environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def test_reload_restarts_with_the_same_interpreter_env_and_ports_without_the_variable(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    port, debug_port = up(project_dir, "--env", "RUNTIMES_MARK=kept")
    first = process_server_status("runtimes-p").server
    assert first is not None
    # The variable was set for `up` only, as in a shell's `VAR=... amldebug up && amldebug reload`.
    monkeypatch.delenv("AMLDEBUG_PROCESS_PYTHON")
    score_py = project_dir / "score.py"
    score_py.write_text(score_py.read_text().replace('{"predictions": ', '{"reloaded": '))
    capsys.readouterr()

    assert main(["reload", "--name", "runtimes-p"]) == 0, capsys.readouterr().err

    status = process_server_status("runtimes-p")
    assert status.state == "ready"
    assert status.server is not None and status.server.pid != first.pid
    assert (status.server.port, status.server.debug_port) == (port, debug_port)
    assert status.server.python == first.python
    assert server_environment(status.server.pid)["RUNTIMES_MARK"] == "kept"
    reply = score(status.server.score_url, json.dumps({"data": [[1, 2, 3]]}))
    assert "reloaded" in reply.json()


def test_a_restart_that_cannot_start_leaves_the_running_server_alone(project_dir: Path):
    up(project_dir)
    state = processes_dir() / "runtimes-p.json"
    recorded = json.loads(state.read_text())
    before = recorded["pid"]
    recorded["python"] = str(project_dir / "no-such-python")
    state.write_text(json.dumps(recorded))

    with pytest.raises(AmlDebugError, match="cannot run the Azure ML inference server"):
        restart_process_server("runtimes-p")

    status = process_server_status("runtimes-p")
    assert status.state == "ready" and status.server is not None and status.server.pid == before


def test_model_path_lists_the_local_servers_model_folder(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
):
    up(project_dir)
    capsys.readouterr()

    assert main(["model-path", "--name", "runtimes-p"]) == 0
    out = capsys.readouterr().out
    model_dir = processes_dir() / "runtimes-p.models" / "model" / "1"
    assert f"AZUREML_MODEL_DIR={model_dir}" in out
    assert f"model{os.sep}model.json" in out

    assert main(["model-path", "--name", "runtimes-p", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["exists"] is True and data["tree"] == ["model/model.json"]


def test_a_start_logs_no_traceback(project_dir: Path):
    up(project_dir)
    log = read_process_server_log("runtimes-p")
    assert "Traceback" not in log
    assert "NotADirectoryError" not in log and "Error while fetching model IDs" not in log
