"""`invoke` and `status` through the application layer: refusals in each caller's words, and
no engine as a state."""

from __future__ import annotations

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
