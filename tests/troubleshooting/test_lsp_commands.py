"""`amldebug.explain` and `amldebug.replicas` over the real language server (stdio)."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest
import pytest_lsp
from conftest import INIT_RAISES_SCORE, LOGS
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client

from amldebug.errors import UsageError
from amldebug.lsp.contract.troubleshooting import ExplainParams, ReplicasParams
from amldebug.lsp.contract.wire import encode
from amldebug.lsp.troubleshooting_commands import explain_log_text, replicas_command


def make_client() -> LanguageClient:
    client = make_test_lsp_client()

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        return None  # the server registers for settings changes, as with VS Code

    return client


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "amldebug", "lsp"], client_factory=make_client
    )
)
async def client(lsp_client: LanguageClient, tmp_path: Path):
    (tmp_path / "score.py").write_text(INIT_RAISES_SCORE)
    params = types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=tmp_path.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="project")],
    )
    await lsp_client.initialize_session(params)
    lsp_client.project_root = tmp_path  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def execute(client: LanguageClient, command: str, options: dict) -> dict:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=[options])
    )


@pytest.mark.asyncio
async def test_explain_over_lsp_maps_to_the_workspace(client: LanguageClient):
    root = client.project_root  # type: ignore[attr-defined]
    result = await execute(
        client, "amldebug.explain", {"text": (LOGS / "azmlinfsrv-init-raises.log").read_text()}
    )
    assert result["ok"] is True
    (finding,) = result["findings"]
    assert finding["id"] == "init-failed" and finding["line"] == 42
    assert finding["local_path"] == str(root / "score.py") and finding["local_line"] == 10


@pytest.mark.asyncio
async def test_explain_unknown_text_and_missing_text(client: LanguageClient):
    assert await execute(client, "amldebug.explain", {"text": "all fine"}) == {
        "ok": True,
        "findings": [],
    }
    missing = await execute(client, "amldebug.explain", {})
    assert missing["ok"] is False and "`text`" in missing["error"]


@pytest.mark.asyncio
async def test_replicas_over_lsp(client: LanguageClient):
    result = await execute(
        client,
        "amldebug.replicas",
        {"targetRps": 20, "requestTime": 10, "maxConcurrent": 1, "targetUtilization": 70},
    )
    assert result["ok"] is True and result["replicas"] == 286
    assert "ceil(20 x 10 / 0.7 / 1) = ceil(285.71) = 286" in result["text"]
    bad = await execute(
        client, "amldebug.replicas", {"targetRps": 20, "requestTime": 10, "targetUtilization": 0}
    )
    assert bad["ok"] is False and bad["error"] == "target utilization 0 is outside 1-100 %"


def test_command_functions_without_a_server(tmp_path: Path):
    (tmp_path / "score.py").write_text(INIT_RAISES_SCORE)
    result = explain_log_text(
        ExplainParams(text=(LOGS / "azmlinfsrv-init-raises.log").read_text(), folder=str(tmp_path))
    )
    assert encode(result)["findings"][0]["local_line"] == 10
    estimate = replicas_command(
        None, ReplicasParams(replicas=3, request_time=0.5, max_concurrent=2)
    )
    assert estimate.rps == 8.4
    with pytest.raises(UsageError):
        replicas_command(None, ReplicasParams(target_rps="x", request_time=1))


@pytest.mark.asyncio
async def test_a_long_explain_runs_off_the_event_loop_and_is_cancellable(client: LanguageClient):
    """Issue 9, item 4: other requests are answered while a big log is explained, and
    `$/cancelRequest` ends the explain request."""
    frame = '  File "/var/azureml-app/score.py", line 3, in run\n'
    slow = {"text": ("Traceback (most recent call last):\n" + frame) * 45_000}
    explaining = asyncio.ensure_future(
        client.protocol.send_request_async(
            types.WORKSPACE_EXECUTE_COMMAND,
            types.ExecuteCommandParams(command="amldebug.explain", arguments=[slow]),
            msg_id="slow-explain",
        )
    )
    await asyncio.sleep(0.5)
    started = time.monotonic()
    answer = await execute(client, "amldebug.replicas", {"targetRps": 20, "requestTime": 10})
    assert answer["ok"] is True
    assert time.monotonic() - started < 2.0
    assert not explaining.done()
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="slow-explain"))
    cancelled_at = time.monotonic()
    answer = await asyncio.wait_for(explaining, 30)
    assert answer == {"ok": False, "cancelled": True, "error": "Cancelled."}
    assert time.monotonic() - cancelled_at < 2.0
