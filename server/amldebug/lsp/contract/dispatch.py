"""One path for every executeCommand of the registry: arguments -> params -> trust -> handler ->
result, each step's failure answered in the one way the protocol doc promises.

- arguments that are not `[]`, `[null]` or `[{...}]`: JSON-RPC error -32602 with a message (the
  request is malformed; no options object to read);
- an options object whose values do not fit the params type: `{ok: false, error}` naming the key;
- a command that needs trust in an untrusted workspace: `{ok: false, untrusted: true, error}`,
  decided here and only here, from what the server knows (see `trust.py`); a `trusted` key in
  the options is not a param and is ignored;
- `AmlDebugError` / `Cancelled` from the handler: `{ok: false, error, hint}` / `{cancelled: true}`;
- the handler's result (a dataclass of the contract; anything else is a bug, -32603): encoded
  camelCase.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from amldebug.errors import AmlDebugError
from amldebug.lsp.contract.registry import COMMANDS, CommandContract
from amldebug.lsp.contract.trust import workspace_trusted
from amldebug.lsp.contract.wire import ContractError, Failure, decode, encode, json_kind
from amldebug.progress import Cancelled

logger = logging.getLogger(__name__)


class InvalidArguments(ValueError):
    """The request's `arguments` are not one options object: a JSON-RPC -32602 error."""


def options_object(command: str, arguments: Sequence[Any] | None) -> Mapping[str, Any]:
    """The one options object of `arguments`, or {} when there is none."""
    if not arguments:
        return {}
    first = arguments[0]
    if len(arguments) > 1:
        raise InvalidArguments(
            f"{command} takes one argument, an object of options; it got {len(arguments)}."
        )
    if first is None:
        return {}
    if not isinstance(first, Mapping):
        raise InvalidArguments(
            f"{command} takes one argument, an object of options; it got {json_kind(first)}."
        )
    return first


def refusal(contract: CommandContract) -> Failure:
    return Failure(
        error=(
            f"The workspace is not trusted: amldebug does not run {contract.name} in it "
            "(it runs Docker or code from the workspace, or writes files on its behalf)."
        ),
        hint="Trust the workspace (Manage Workspace Trust), then run the command again.",
        untrusted=True,
    )


def failure_for(error: BaseException) -> Failure | None:
    """The `{ok: false}` answer for an error a user can act on; None for a bug."""
    if isinstance(error, Cancelled):
        return Failure(error="Cancelled.", cancelled=True)
    if isinstance(error, AmlDebugError):
        return Failure(error=error.message, hint=error.hint)
    return None


def run_command(ls: Any, name: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """Decode, check trust, run the handler and encode its answer (in a worker thread)."""
    contract = COMMANDS[name]
    try:
        params: Any = decode(contract.params, options)
    except ContractError as error:
        return encode(Failure(error=str(error)))
    if contract.requires_trust and not workspace_trusted(ls):
        return encode(refusal(contract))
    try:
        result = contract.resolve()(ls, params)
    except Exception as error:
        if (failure := failure_for(error)) is None:
            raise
        return encode(failure)
    if not isinstance(result, (contract.result, Failure)):  # a bug: -32603 with the log's trace
        raise TypeError(f"{name} answered {type(result).__name__}, not {contract.result.__name__}")
    answer: dict[str, Any] = encode(result)
    return answer
