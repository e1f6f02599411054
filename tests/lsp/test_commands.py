"""The helpers command handlers use: `$/progress`, `amldebug/log`, cancellation, error results.

The server is the real one started over stdio with two demo commands added
(command_demo_server.py); the debug-loop and troubleshooting commands use the same helpers.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsp_session import (
    CONDA,
    codes,
    make_recording_client,
    open_document,
    start_session,
    wait_for_publish,
)
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

# pytest-lsp expects server-created tokens; VS Code also sends client-created ones (workDoneToken).
pytestmark = pytest.mark.filterwarnings("ignore:Unknown progress token")

DEMO_SERVER = str(Path(__file__).with_name("command_demo_server.py"))


def make_client() -> LanguageClient:
    client = make_recording_client()
    client.custom = []  # type: ignore[attr-defined]

    @client.feature("amldebug/log")
    def log(params: Any) -> None:
        client.custom.append(("log", params))  # type: ignore[attr-defined]

    @client.feature("amldebug/containerState")
    def container_state(params: Any) -> None:
        client.custom.append(("state", params))  # type: ignore[attr-defined]

    return client


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[sys.executable, DEMO_SERVER], client_factory=make_client
    )
)
async def demo(lsp_client: LanguageClient, tmp_path: Path):
    (tmp_path / "conda.yml").write_text(CONDA)
    await start_session(lsp_client, tmp_path, {"trusted": True})
    yield
    await lsp_client.shutdown_session()


async def test_command_reports_progress_and_streams_log_lines(demo: LanguageClient):
    result = await demo.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="demo.count", arguments=[{"to": 3}], work_done_token="build-1"
        )
    )

    assert result == {"ok": True, "trusted": True, "command": "demo.count"}
    await asyncio.sleep(0.2)  # notifications sent before the response may still be in flight
    kinds = [report.kind for report in demo.progress_reports["build-1"]]  # type: ignore[attr-defined]
    assert kinds[0] == "begin" and kinds[-1] == "end"
    assert [r.message for r in demo.progress_reports["build-1"] if r.kind == "report"] == [  # type: ignore[attr-defined]
        "number 0",
        "number 1",
        "number 2",
    ]
    logs = [params for kind, params in demo.custom if kind == "log"]  # type: ignore[attr-defined]
    assert [(p.channel, p.line) for p in logs] == [
        ("build", "line 0"),
        ("build", "line 1"),
        ("build", "line 2"),
    ]
    states = [params for kind, params in demo.custom if kind == "state"]  # type: ignore[attr-defined]
    assert states[-1].state == "ready" and states[-1].debugPort == 5678


async def test_cancel_request_makes_the_command_answer_cancelled(demo: LanguageClient):
    pending = asyncio.ensure_future(
        demo.protocol.send_request_async(
            types.WORKSPACE_EXECUTE_COMMAND,
            types.ExecuteCommandParams(
                command="demo.count", arguments=[{"to": 1000, "pause": 0.05}]
            ),
            msg_id="long-command",
        )
    )
    await asyncio.sleep(0.3)
    demo.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="long-command"))

    result = await asyncio.wait_for(pending, 10)

    assert result["ok"] is False
    assert result["cancelled"] is True


async def test_user_facing_error_comes_back_as_a_result(demo: LanguageClient):
    result = await demo.workspace_execute_command_async(
        types.ExecuteCommandParams(command="demo.fail", arguments=[{}])
    )

    assert result == {
        "ok": False,
        "error": "Docker is not running.",
        "hint": "Start it with `sudo service docker start`.",
    }


async def test_build_failure_diagnostics_join_the_analysis_and_clear(
    demo: LanguageClient, tmp_path: Path
):
    conda = tmp_path / "conda.yml"
    uri = open_document(demo, conda, CONDA + "      - nosuchpackage\n", language="yaml")
    analysed = await wait_for_publish(demo, uri)

    after = len(demo.published)  # type: ignore[attr-defined]
    await demo.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="demo.buildFailed", arguments=[{"path": str(conda), "line": 6}]
        )
    )
    with_build = await wait_for_publish(demo, uri, after=after)
    assert codes(with_build) == [*codes(analysed), "BUILD"]
    build = with_build.diagnostics[-1]
    assert build.range.start == types.Position(line=6, character=8)
    assert "nosuchpackage" in build.message
    assert with_build.version == 1

    after = len(demo.published)  # type: ignore[attr-defined]
    await demo.workspace_execute_command_async(
        types.ExecuteCommandParams(command="demo.buildFailed", arguments=[{"clear": True}])
    )
    cleared = await wait_for_publish(demo, uri, after=after)
    assert codes(cleared) == codes(analysed)


async def test_cancel_from_the_progress_notification_stops_the_command(demo: LanguageClient):
    pending = asyncio.ensure_future(
        demo.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="demo.count",
                arguments=[{"to": 1000, "pause": 0.05}],
                work_done_token="cancellable-build",
            )
        )
    )
    await asyncio.sleep(0.3)
    demo.window_work_done_progress_cancel(
        types.WorkDoneProgressCancelParams(token="cancellable-build")
    )

    result = await asyncio.wait_for(pending, 10)

    assert result == {"ok": False, "cancelled": True, "error": "Cancelled."}
    await asyncio.sleep(0.2)
    end = demo.progress_reports["cancellable-build"][-1]  # type: ignore[attr-defined]
    assert end.kind == "end" and end.message == "Cancelled"
