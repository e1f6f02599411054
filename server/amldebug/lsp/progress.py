"""`$/progress` and cancellation for `workspace/executeCommand` handlers.

A command handler gets its params, not the request. The protocol (see `protocol.py`) records
each executeCommand request as a `CommandRequest` that the handler reads with
`current_command()`: the client's `workDoneToken`, and a `CancelToken` that is cancelled by
`$/cancelRequest` for that request or by `window/workDoneProgress/cancel` for its token.

    from amldebug.lsp.progress import LspProgressReporter

    def build_command(ls, params):  # named in lsp/contract/registry.py, run in a worker thread
        with LspProgressReporter(ls, "Building debug image", log_channel="build") as progress:
            result = build_debug_image(..., reporter=progress, cancel=progress.cancel_token)
        ...

`LspProgressReporter` implements `amldebug.progress.ProgressReporter`: `step(message, pct)` becomes
a `WorkDoneProgressReport`, `log(line)` an `amldebug/log` notification on `log_channel` (when set).
Without a workDoneToken nothing is shown as progress, logs still stream. Safe from any thread.

A handler that raises `AmlDebugError` answers `{"ok": false, "error": ..., "hint": ...}` and one
that raises `Cancelled` answers `{"ok": false, "cancelled": true}` (the contract dispatch wraps
every command), so handlers may simply let those propagate.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from amldebug.lsp.notifications import call_on_loop, send_log
from amldebug.progress import CancelToken

_current_command: contextvars.ContextVar[CommandRequest | None] = contextvars.ContextVar(
    "amldebug_current_command", default=None
)


@dataclass
class CommandRequest:
    command: str
    msg_id: Any
    work_done_token: types.ProgressToken | None = None
    cancel_token: CancelToken = field(default_factory=CancelToken)


def current_command() -> CommandRequest | None:
    """The executeCommand request being handled (inside a command handler), else None."""
    return _current_command.get()


def set_current_command(request: CommandRequest | None) -> contextvars.Token[CommandRequest | None]:
    return _current_command.set(request)


def reset_current_command(token: contextvars.Token[CommandRequest | None]) -> None:
    _current_command.reset(token)


_FROM_REQUEST: Any = object()


class LspProgressReporter:
    """A ProgressReporter shown by the client as a progress notification."""

    def __init__(
        self,
        server: LanguageServer,
        title: str,
        *,
        token: types.ProgressToken | None = _FROM_REQUEST,
        log_channel: str | None = None,
        cancellable: bool = True,
    ) -> None:
        request = current_command()
        self.server = server
        self.title = title
        self.token: types.ProgressToken | None = (
            (request.work_done_token if request else None) if token is _FROM_REQUEST else token
        )
        self.log_channel = log_channel
        self.cancellable = cancellable
        self.cancel_token: CancelToken = request.cancel_token if request else CancelToken()
        self._percentage = 0
        self._begun = False
        self._ended = False
        if self.token is not None and hasattr(server, "track_progress_token"):
            server.track_progress_token(self.token, self.cancel_token)

    def begin(self, message: str | None = None) -> None:
        if self.token is None or self._begun:
            return
        self._begun = True
        value = types.WorkDoneProgressBegin(
            title=self.title, message=message, cancellable=self.cancellable, percentage=0
        )
        call_on_loop(self.server, self.server.work_done_progress.begin, self.token, value)

    def step(self, message: str, percentage: int | None = None) -> None:
        if self.token is None:
            return
        self.begin()
        if percentage is not None:
            # LSP wants percentages that never go down.
            self._percentage = max(self._percentage, min(max(int(percentage), 0), 100))
        value = types.WorkDoneProgressReport(
            message=message, percentage=self._percentage if percentage is not None else None
        )
        call_on_loop(self.server, self.server.work_done_progress.report, self.token, value)

    def log(self, line: str) -> None:
        if self.log_channel is not None:
            send_log(self.server, self.log_channel, line)

    def end(self, message: str | None = None) -> None:
        if self.token is None or self._ended:
            return
        self.begin()
        self._ended = True
        call_on_loop(
            self.server,
            self.server.work_done_progress.end,
            self.token,
            types.WorkDoneProgressEnd(message=message),
        )
        if hasattr(self.server, "forget_progress_token"):
            self.server.forget_progress_token(self.token)

    def __enter__(self) -> LspProgressReporter:
        self.begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None:
            self.end("Done")
        elif self.cancel_token.cancelled:
            self.end("Cancelled")
        else:
            self.end("Failed")
