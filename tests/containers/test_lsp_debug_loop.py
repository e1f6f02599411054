"""The debug-loop commands over LSP: the real `amldebug lsp` over stdio, driving a real engine.

Refusal in an untrusted workspace needs no engine; the rest needs `.ci/setup-docker.sh`.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client
from tests.support.docker_engine import BASE_IMAGE, engine_or_skip

from amldebug.errors import AmlDebugError

pytestmark = pytest.mark.filterwarnings("ignore:Unknown progress token")

REPO = Path(__file__).resolve().parents[2]
WORKING = REPO / "examples" / "working-project"


def make_client() -> LanguageClient:
    client = make_test_lsp_client()
    client.custom = []  # type: ignore[attr-defined]

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        return None

    @client.feature("amldebug/log")
    def log(params: Any) -> None:
        client.custom.append(("log", params))  # type: ignore[attr-defined]

    @client.feature("amldebug/containerState")
    def container_state(params: Any) -> None:
        client.custom.append(("state", params))  # type: ignore[attr-defined]

    return client


CONFIG = ClientServerConfig(
    server_command=[sys.executable, "-m", "amldebug", "lsp"], client_factory=make_client
)


async def start(client: LanguageClient, root: Path, trusted: bool) -> None:
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options={"trusted": trusted},
        )
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(WORKING, target)
    return target


@pytest_lsp.fixture(config=CONFIG)
async def untrusted(lsp_client: LanguageClient, project: Path):
    await start(lsp_client, project, trusted=False)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def trusted(lsp_client: LanguageClient, project: Path):
    await start(lsp_client, project, trusted=True)
    yield
    await lsp_client.shutdown_session()


async def execute(
    client: LanguageClient, command: str, options: dict[str, Any], token: str | None = None
) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=[options], work_done_token=token)
    )


async def test_untrusted_workspace_refuses_to_run_docker(
    untrusted: LanguageClient, project: Path
) -> None:
    for command in (
        "amldebug.up",
        "amldebug.build",
        "amldebug.run",
        "amldebug.stop",
        "amldebug.reload",
    ):
        result = await execute(untrusted, command, {"folder": str(project)})
        assert result["ok"] is False
        assert "not trusted" in result["error"]
    assert untrusted.custom == []  # type: ignore[attr-defined]


async def test_launch_config_returns_the_merged_text_without_writing(
    trusted: LanguageClient, project: Path
) -> None:
    result = await execute(
        trusted, "amldebug.launchConfig", {"folder": str(project), "debugPort": 5690}
    )
    assert result["ok"] is True and result["created"] is True
    assert '"port": 5690' in result["text"]
    assert not (project / ".vscode" / "launch.json").exists()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.docker
@pytest.mark.slow
async def test_up_invoke_reload_stop_over_lsp_with_progress_and_state(
    trusted: LanguageClient, project: Path
) -> None:
    engine = engine_or_skip()
    name = f"amldebug-test-lsp-{uuid.uuid4().hex[:8]}"
    tag = f"amldebug-test-lsp:{uuid.uuid4().hex[:8]}"
    port, debug_port = free_port(), free_port()
    try:
        up = await execute(
            trusted,
            "amldebug.up",
            {
                "folder": str(project),
                "baseImage": BASE_IMAGE,
                "tag": tag,
                "caBundle": "auto",
                "name": name,
                "port": port,
                "debugPort": debug_port,
                "runtime": "docker",
            },
            token="up-1",
        )
        assert up["ok"] is True, up
        assert up["runtime"] == "docker" and up["port"] == port and up["debugPort"] == debug_port
        assert up["launchConfig"] == str(project / ".vscode" / "launch.json")
        await asyncio.sleep(0.2)
        kinds = [r.kind for r in trusted.progress_reports["up-1"]]  # type: ignore[attr-defined]
        assert kinds[0] == "begin" and kinds[-1] == "end"
        states = [p.state for kind, p in trusted.custom if kind == "state"]  # type: ignore[attr-defined]
        assert states[0] == "building" and states[-1] == "ready"
        logs = [p for kind, p in trusted.custom if kind == "log"]  # type: ignore[attr-defined]
        assert any("Step" in p.line for p in logs)

        invoked = await execute(trusted, "amldebug.invoke", {"folder": str(project), "port": port})
        assert invoked["status"] == 200 and invoked["json"] == {"predictions": [14.0, 17.75]}

        status = await execute(trusted, "amldebug.status", {"name": name})
        assert status["state"] == "ready" and status["debugPort"] == debug_port

        reloaded = await execute(trusted, "amldebug.reload", {"name": name, "folder": str(project)})
        assert reloaded["ok"] is True and reloaded["seconds"] > 0

        # A request in flight when a reload comes answers first (issue 10, item 2).
        score = project / "score.py"
        score.write_text(
            score.read_text().replace(
                '    rows = json.loads(raw_data)["data"]\n',
                '    __import__("time").sleep(3)\n    rows = json.loads(raw_data)["data"]\n',
            )
        )
        await execute(trusted, "amldebug.reload", {"name": name, "folder": str(project)})
        slow = asyncio.ensure_future(
            execute(trusted, "amldebug.invoke", {"folder": str(project), "port": port})
        )
        await asyncio.sleep(1.0)
        gated = await execute(
            trusted,
            "amldebug.reload",
            {"name": name, "folder": str(project), "waitForRequests": 30},
        )
        answered = await slow
        assert answered["status"] == 200, answered
        assert gated["requestsAnswered"] == 1 and gated["requestsInterrupted"] == 0, gated

        model = await execute(trusted, "amldebug.modelPath", {"name": name})
        # Mounted project: the models are reached beside the mount; the folder keeps its name.
        assert model["modelDir"] == "/var/azureml-models/model/1" and model["tree"] == [
            "model/model.json"
        ]

        logs_result = await execute(trusted, "amldebug.logs", {"name": name, "tail": 50})
        assert "ready for serving traffic" in logs_result["text"]

        # init() broken by a save: the reload reports the crash, and status says why at the
        # entry script's line, which F5 on the crashed container shows (issue 10, item 3).
        score.write_text(
            score.read_text().replace(
                "def init():\n", "def init():\n    raise RuntimeError('broken on purpose')\n", 1
            )
        )
        broken = await execute(trusted, "amldebug.reload", {"name": name, "folder": str(project)})
        assert broken["ok"] is False, broken
        crashed = await execute(trusted, "amldebug.status", {"name": name, "folder": str(project)})
        assert crashed["state"] == "crashed", crashed
        assert Path(crashed["file"]).name == "score.py" and crashed["line"] == 15, crashed
        assert "broken on purpose" in crashed["traceback"]

        stopped = await execute(trusted, "amldebug.stop", {"name": name})
        # Fields without a value are left out: no nulls on the wire.
        assert stopped == {"ok": True, "stopped": True, "runtime": "docker"}
        missing = await execute(trusted, "amldebug.stop", {"name": name})
        assert missing["ok"] is False and f"no container named '{name}'" in missing["error"]
    finally:
        engine.remove_container(name)
        engine.remove_image(tag)
        engine.close()


@pytest.mark.docker
@pytest.mark.slow
async def test_failed_build_of_unsaved_conda_text_is_a_diagnostic_on_its_line(
    trusted: LanguageClient, project: Path
) -> None:
    engine = engine_or_skip()
    conda = project / "conda.yml"
    uri = conda.as_uri()
    # The editor holds a change not yet saved: the build must use it.
    unsaved = conda.read_text() + "      - amldebug-no-such-package-lsp==0.0.1\n"
    trusted.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="yaml", version=1, text=unsaved
            )
        )
    )
    tag = f"amldebug-test-lsp-fail:{uuid.uuid4().hex[:8]}"
    try:
        result = await execute(
            trusted,
            "amldebug.build",
            {"folder": str(project), "baseImage": BASE_IMAGE, "tag": tag, "caBundle": "auto"},
        )
    finally:
        engine.remove_image(tag)
        engine.close()
    line = unsaved.splitlines().index("      - amldebug-no-such-package-lsp==0.0.1")
    assert result["ok"] is False
    assert "installing the environment's packages failed" in result["error"]
    assert result["buildDiagnostics"] == [
        {
            "file": str(conda),
            "line": line,
            "message": "The image build failed here: "
            "No matching distribution found for amldebug-no-such-package-lsp==0.0.1",
        }
    ]
    for _ in range(50):
        published = [d for d in trusted.diagnostics.get(uri, []) if d.code == "BUILD"]
        if published:
            break
        await asyncio.sleep(0.1)
    assert [(d.range.start.line, d.severity) for d in published] == [
        (line, types.DiagnosticSeverity.Error)
    ]


async def test_up_with_write_launch_config_false_returns_the_text_and_leaves_the_file(
    trusted: LanguageClient, project: Path
) -> None:
    """The editor applies launch.json itself (one undoable edit), so `up` must not write it."""
    from amldebug.containers.process_runtime import find_server_python

    try:
        find_server_python()
    except AmlDebugError:
        pytest.skip("no Python with azureml-inference-server-http (set AMLDEBUG_PROCESS_PYTHON)")
    launch = project / ".vscode" / "launch.json"
    launch.parent.mkdir(exist_ok=True)
    before = (
        '{\n  // my own entries stay\n  "version": "0.2.0",\n  "configurations": [\n'
        '    {"name": "Run tests", "type": "debugpy", "request": "launch", "module": "pytest"}\n'
        "  ]\n}\n"
    )
    launch.write_text(before)
    name = f"amldebug-test-lsp-noedit-{uuid.uuid4().hex[:8]}"
    port, debug_port = free_port(), free_port()
    try:
        up = await execute(
            trusted,
            "amldebug.up",
            {
                "folder": str(project),
                "name": name,
                "port": port,
                "debugPort": debug_port,
                "runtime": "process",
                "writeLaunchConfig": False,
            },
        )
        assert up["ok"] is True, up
        assert "launchConfig" not in up  # not written: the contract leaves out null fields
        assert launch.read_text() == before
        edit = up["launchConfigEdit"]
        assert edit["ok"] is True and edit["path"] == str(launch)
        assert edit["created"] is False and edit["changed"] is True
        assert "// my own entries stay" in edit["text"] and '"module": "pytest"' in edit["text"]
        assert f'"port": {debug_port}' in edit["text"]
    finally:
        await execute(trusted, "amldebug.stop", {"name": name})
