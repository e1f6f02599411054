"""`--python`: the interpreter of the local-process runtime, as the README documents it (it was
rejected as an unknown argument). From the command line and from the editor alike."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from amldebug.cli.main import main
from amldebug.containers.ports import free_port
from amldebug.containers.process_runtime import process_server_status, stop_process_server
from amldebug.debug_loop.options import request_from_lsp
from amldebug.debug_loop.runtime import settings_for

WORKING = Path(__file__).resolve().parents[2] / "examples" / "working-project"
SERVER_PYTHON = os.environ.get("AMLDEBUG_PROCESS_PYTHON", "/opt/amlinf/bin/python")
NAME = "lead-python-option"


def test_the_editor_key_reaches_the_run_settings() -> None:
    request = request_from_lsp("up", {"python": "/opt/venv/bin/python", "runtime": "process"})
    assert settings_for(request, image="").python == "/opt/venv/bin/python"


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    # No variable to fall back on: only --python can name the interpreter.
    monkeypatch.delenv("AMLDEBUG_PROCESS_PYTHON", raising=False)
    folder = tmp_path / "wp"
    shutil.copytree(WORKING, folder)
    yield folder
    stop_process_server(NAME)


def _up(folder: Path, python: str) -> int:
    return main(
        [
            "up", str(folder), "--runtime", "process", "--name", NAME, "--python", python,
            "--port", str(free_port()), "--debug-port", str(free_port()), "--no-launch-config",
        ]
    )  # fmt: skip


def test_an_interpreter_without_the_server_is_named_in_the_error(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _up(project_dir, "/usr/bin/false") != 0
    err = capsys.readouterr().err
    assert "/usr/bin/false" in err and "unrecognized arguments" not in err


@pytest.mark.slow
@pytest.mark.skipif(not Path(SERVER_PYTHON).exists(), reason=f"no interpreter at {SERVER_PYTHON}")
def test_up_runs_the_local_server_with_the_interpreter_given(project_dir: Path) -> None:
    assert _up(project_dir, SERVER_PYTHON) == 0
    status = process_server_status(NAME)
    assert status.state == "ready"
    assert status.server is not None and status.server.python == SERVER_PYTHON
