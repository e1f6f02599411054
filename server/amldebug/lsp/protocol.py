"""The JSON-RPC protocol side of the server: executeCommand requests recorded so handlers find
their progress token and learn of cancellation, user-facing errors turned into results, a
request whose params do not deserialise answered with -32602, and edits to very large documents
applied cheaply.

Uses pygls internals (`_prepare_command_arguments`, `lsp_method` and the generator protocol of its
handlers, `structure_message` as the JSON object hook, `_send_response`): pyproject.toml pins the
exact pygls version these are tested with.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import cattrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.feature_manager import assign_thread_attr, is_thread_function
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import _prepare_command_arguments, lsp_method

from amldebug.lsp.contract import COMMANDS
from amldebug.lsp.contract.dispatch import (
    InvalidArguments,
    failure_for,
    options_object,
    run_command,
)
from amldebug.lsp.contract.wire import encode
from amldebug.lsp.large_text_sync import LARGE_DOCUMENT_CHARS, apply_large_edit
from amldebug.lsp.progress import CommandRequest, reset_current_command, set_current_command

if TYPE_CHECKING:
    from amldebug.lsp.server import AmlDebugLanguageServer

# The command list is the contract registry's (docs/lsp-protocol.md), advertised in
# executeCommandProvider from the start. Their handler modules pull in the Docker SDK and friends
# (about half a second): they are imported in the background after the first diagnostics, or by
# the first command that needs one, in its worker thread.
ENGINE_COMMANDS = tuple(COMMANDS)
COMMAND_MODULES = tuple(dict.fromkeys(contract.module for contract in COMMANDS.values()))
# Without documents to check, the command modules load this long after `initialized`.
COMMAND_LOAD_DELAY_SECONDS = 1.5


@dataclass(frozen=True)
class UnreadableRequest:
    """A request whose params did not deserialise: it still gets an answer, the error."""

    msg_id: int | str
    error: JsonRpcInvalidParams


def invalid_params(method: str, error: BaseException) -> JsonRpcInvalidParams:
    """-32602 naming the method and what was wrong, in cattrs' words ("expected int @
    $.params.position.line")."""
    cause = error.__cause__ or error
    try:
        details = "; ".join(cattrs.transform_error(cause))
    except Exception:
        details = str(cause) or type(cause).__name__
    return JsonRpcInvalidParams(f"Invalid params for {method}: {details}"[:2000])


class AmlDebugProtocol(LanguageServerProtocol):
    """Records each executeCommand request so handlers can find their progress token and learn
    about cancellation (pygls passes handlers only the command's arguments)."""

    _server: AmlDebugLanguageServer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands_in_flight: dict[Any, CommandRequest] = {}

    def structure_message(self, data: dict[str, Any]) -> Any:
        """pygls raises out of `json.loads` for a message that does not deserialise, and its
        reader logs it and moves on: a request would never be answered. JSON-RPC wants -32602."""
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            msg_id, method = data.get("id"), data.get("method")
            if isinstance(msg_id, int | str) and isinstance(method, str) and "result" not in data:
                return UnreadableRequest(msg_id, invalid_params(method, error))
            raise

    def handle_message(self, message: Any) -> None:
        if isinstance(message, UnreadableRequest):
            self._send_response(message.msg_id, error=message.error.to_response_error())
            return
        super().handle_message(message)

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Generator[Any, Any, Any]:
        result = yield from super().lsp_initialize(params)
        provider = result.capabilities.execute_command_provider
        names = sorted({*(provider.commands if provider else []), *ENGINE_COMMANDS})
        result.capabilities.execute_command_provider = types.ExecuteCommandOptions(commands=names)
        return result

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, Any]:
        """pygls's update, except that an edit to a very large document is applied without
        splitting it into lines (see large_text_sync: 1.7 s a keystroke on 10 MB, now ~30 ms)."""
        document = self.workspace.text_documents.get(unquote(params.text_document.uri))
        for change in params.content_changes:
            if (
                document is not None
                and isinstance(change, types.TextDocumentContentChangePartial)
                and len(document.source) >= LARGE_DOCUMENT_CHARS
                and (edited := apply_large_edit(document.source, change, document.position_codec))
                is not None
            ):
                # A whole-document change is pygls's public way to set the text.
                document.apply_change(types.TextDocumentContentChangeWholeDocument(text=edited))
                document.version = params.text_document.version
            else:
                self.workspace.update_text_document(params.text_document, change)
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(
        self, params: types.ExecuteCommandParams
    ) -> Generator[Any, Any, Any]:
        msg_id = self.msg_id
        request = CommandRequest(
            command=params.command, msg_id=msg_id, work_done_token=params.work_done_token
        )
        args: tuple[Any, ...] = ()
        kwargs: dict[str, Any] = {}
        if params.command in COMMANDS:
            try:
                options = options_object(params.command, params.arguments)
            except InvalidArguments as error:
                raise JsonRpcInvalidParams(message=str(error)) from None
            runner = self._contract_command(params.command, options, request)
        else:  # commands added with `server.command` (tests' demo commands)
            if (handler := self.fm.commands.get(params.command)) is None:
                raise JsonRpcInvalidParams.of(
                    ValueError(f"Command name {params.command!r} is not defined")
                )
            try:
                args, kwargs = _prepare_command_arguments(handler, params, self._converter)
            except Exception as exc:
                raise JsonRpcInvalidParams.of(exc) from exc
            runner = _bind_command_request(handler, request)

        self.commands_in_flight[msg_id] = request
        try:
            result = yield runner, args, kwargs
        finally:
            self.commands_in_flight.pop(msg_id, None)
        return result

    def _contract_command(
        self, command: str, options: Any, request: CommandRequest
    ) -> Callable[[], Any]:
        """The registry's command as a coroutine that runs it in a worker thread: its answer is
        written from the event loop, so it follows every notification the command sent."""
        server = self._server
        work = _bind_command_request(
            functools.partial(run_command, server, command, options), request
        )

        async def run() -> Any:
            return await asyncio.get_running_loop().run_in_executor(server.thread_pool, work)

        return run

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        request = self.commands_in_flight.get(msg_id)
        if request is None:
            super()._handle_cancel_notification(msg_id)
            return
        # The command stops at its next check and answers {"ok": false, "cancelled": true}, as
        # docs/lsp-protocol.md promises; pygls would instead drop the answer for an error.
        request.cancel_token.cancel()


def _bind_command_request(
    handler: Callable[..., Any], request: CommandRequest
) -> Callable[..., Any]:
    """`handler` run with `current_command()` set, and user-facing errors turned into results."""
    if asyncio.iscoroutinefunction(handler):

        async def run_async(*args: Any, **kwargs: Any) -> Any:
            token = set_current_command(request)
            try:
                return await handler(*args, **kwargs)
            except Exception as error:
                if (failure := failure_for(error)) is None:
                    raise
                return encode(failure)
            finally:
                reset_current_command(token)

        return run_async

    def run(*args: Any, **kwargs: Any) -> Any:
        token = set_current_command(request)
        try:
            return handler(*args, **kwargs)
        except Exception as error:
            if (failure := failure_for(error)) is None:
                raise
            return encode(failure)
        finally:
            reset_current_command(token)

    if is_thread_function(handler):
        assign_thread_attr(run)
    return run
