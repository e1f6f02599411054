"""`invoke` and `status` through the application layer: refusals in each caller's words, and
no engine as a state."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from amldebug.debug_loop.options import request_for, request_from_lsp
from amldebug.debug_loop.server_verbs import invoke
from amldebug.errors import UsageError


def test_no_body_names_the_options_the_way_the_caller_does(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^No request body: pass --data \(JSON text\) or --file"):
        invoke(request_for("invoke", folder=str(tmp_path)))
    with pytest.raises(UsageError, match=r"^No request body: pass `data` \(JSON text\) or `file`"):
        invoke(request_from_lsp("invoke", {"folder": str(tmp_path)}))


def test_a_body_and_a_file_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^Pass `data` or `file`, not both\.$"):
        invoke(request_from_lsp("invoke", {"data": "{}", "file": "x.json"}))


def test_status_without_an_engine_is_none_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from amldebug.debug_loop.server_verbs import status

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no local servers either
    outcome = status(request_from_lsp("status", {"name": "applayer-none"}))
    assert (outcome.server.state, outcome.server.runtime) == ("none", "docker")
    assert outcome.message and "Docker engine is not running" in outcome.message


def test_a_pipe_named_sample_request_json_is_refused_not_waited_on(tmp_path: Path) -> None:
    # Opening a FIFO for reading blocks until a writer comes: the editor's worker would hang.
    os.mkfifo(tmp_path / "sample-request.json")
    with pytest.raises(UsageError, match=r"is not a regular file"):
        invoke(request_from_lsp("invoke", {"folder": str(tmp_path)}))


def test_the_editor_sends_no_file_from_outside_the_project(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "secret.json").write_text('{"token": "x"}')
    with pytest.raises(UsageError, match=r"outside the project folder"):
        invoke(request_from_lsp("invoke", {"folder": str(project), "file": "../secret.json"}))
