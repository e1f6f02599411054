"""The contract over stdio with the real server: malformed params get -32602 (pygls used to drop
them without an answer), a wrong type is a result naming the key, and trust granted while the
server runs is known at once (issue 9, items 10 and 13; issue 11, item 3)."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsp_session import SERVER_COMMAND, make_recording_client, start_session
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.protocol import JsonRPCRequestMessage
from pytest_lsp import ClientServerConfig, LanguageClient


async def request(client: LanguageClient, params: Any) -> Any:
    """A workspace/executeCommand request with `params` sent as they are (the client's own
    sender would type-check them first)."""
    msg_id = str(uuid.uuid4())
    answered: Future[Any] = Future()
    client.protocol._request_futures[msg_id] = answered
    client.protocol._send_data(
        JsonRPCRequestMessage(
            id=msg_id, method=types.WORKSPACE_EXECUTE_COMMAND, params=params, jsonrpc="2.0"
        )
    )
    return await asyncio.wait_for(asyncio.wrap_future(answered), 10)


async def execute(client: LanguageClient, command: str, arguments: Any) -> Any:
    return await request(client, {"command": command, "arguments": arguments})


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("x", "expected str @ $.params.command"),
        (None, "expected ExecuteCommandParams @ $.params"),
        ({"arguments": []}, "required field missing @ $.params.command"),
    ],
)
async def test_params_that_do_not_deserialise_get_invalid_params(client, params, message):
    with pytest.raises(JsonRpcInvalidParams, match=message.replace("$", r"\$")):
        await request(client, params)


@pytest.mark.asyncio
async def test_arguments_that_are_not_an_options_object_get_invalid_params(client):
    with pytest.raises(JsonRpcInvalidParams, match="takes one argument, an object of options"):
        await execute(client, "amldebug.replicas", [5])
    # The server carries on.
    answer = await execute(client, "amldebug.replicas", [{"targetRps": 4, "requestTime": 1}])
    assert answer.ok is True


@pytest.mark.asyncio
async def test_a_wrong_type_is_a_result_naming_the_key(client):
    answer = await execute(client, "amldebug.replicas", [{"targetRps": [4]}])
    assert answer.ok is False
    assert answer.error.startswith("`targetRps` must be a number or a string, not an array")


@pytest.mark.asyncio
async def test_trust_granted_while_running_needs_no_restart(client, project: Path):
    options = [{"folder": str(project), "trusted": True}]
    refused = await execute(client, "amldebug.launchConfig", options)
    assert refused.ok is False and refused.untrusted is True
    client.protocol.notify("amldebug/workspaceTrust", {"trusted": True})
    answer = await execute(client, "amldebug.launchConfig", options)
    assert answer.ok is True and answer.created is True


def make_state_recording_client() -> LanguageClient:
    client = make_recording_client()
    client.states = []  # type: ignore[attr-defined]

    @client.feature("amldebug/containerState")
    def container_state(params: Any) -> None:
        client.states.append(params)  # type: ignore[attr-defined]

    return client


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=SERVER_COMMAND, client_factory=make_state_recording_client
    )
)
async def trusted_client(lsp_client: LanguageClient, project: Path):
    await start_session(lsp_client, project, {"trusted": True})
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_an_answer_follows_every_notification_its_command_sent(trusted_client):
    """The container state has one source, amldebug/containerState: when a command's answer
    arrives, the states it sent are already in (no waiting, as the extension relies on). The
    race this pins (an answer written from the worker thread before a queued notification) is
    rare; this test states the order rather than reproducing it."""
    answer = await execute(trusted_client, "amldebug.reload", [{"name": "contract-no-such"}])
    assert answer.ok is False
    states = trusted_client.states  # type: ignore[attr-defined]
    assert [(s.name, s.state) for s in states][:1] == [("contract-no-such", "starting")]
