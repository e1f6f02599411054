"""Server-to-client notifications that command handlers send, from any thread.

Command handlers for the debug loop run in worker threads (`@server.thread()`) because Docker calls
block. pygls writes to stdout from whichever thread calls it; these helpers hand the message to the
event loop instead, so messages keep the order they were sent in and never interleave with a
response being written. None of them raises: a client that went away must not break the work.

    from amldebug.lsp.notifications import notify, send_log, send_container_state

    send_log(server, "build", "Step 3/9 : RUN pip install ...")
    send_container_state(server, name="debug", state="ready", port=8000, debug_port=5678,
                         runtime="docker", message="Ready on http://127.0.0.1:8000")
    notify(server, "amldebug/somethingElse", {"any": "json"})
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

LOG_NOTIFICATION = "amldebug/log"
CONTAINER_STATE_NOTIFICATION = "amldebug/containerState"

logger = logging.getLogger(__name__)


def call_on_loop(server: LanguageServer, function: Any, *args: Any) -> None:
    """Run `function(*args)` on the server's event loop thread (now, when already there)."""
    loop: asyncio.AbstractEventLoop | None = getattr(server, "loop", None)
    on_loop_thread = getattr(server, "loop_thread_id", None) == threading.get_ident()
    if loop is None or loop.is_closed() or on_loop_thread:
        _call_logged(function, *args)
    else:
        try:
            loop.call_soon_threadsafe(_call_logged, function, *args)
        except RuntimeError:  # the loop closed between the check and the call: the session ended
            logger.debug("event loop closed; dropped a message")


def _call_logged(function: Any, *args: Any) -> None:
    try:
        function(*args)
    except Exception:
        logger.exception("sending a message to the client failed")


def notify(server: LanguageServer, method: str, params: Any) -> None:
    """Send a custom notification (`params` a JSON-serialisable dict or an lsprotocol object)."""
    call_on_loop(server, server.protocol.notify, method, params)


def send_log(server: LanguageServer, channel: str, line: str) -> None:
    """One line for the extension's output channel `channel` ("build" or "container")."""
    notify(server, LOG_NOTIFICATION, {"channel": channel, "line": line})


def send_container_state(
    server: LanguageServer,
    *,
    name: str,
    state: str,
    port: int | None = None,
    debug_port: int | None = None,
    runtime: str | None = None,
    message: str = "",
) -> None:
    """`amldebug/containerState`: state is building, starting, ready, crashed or stopped."""
    notify(
        server,
        CONTAINER_STATE_NOTIFICATION,
        {
            "name": name,
            "state": state,
            "port": port,
            "debugPort": debug_port,
            "runtime": runtime,
            "message": message,
        },
    )


def log_message(
    server: LanguageServer, message: str, kind: types.MessageType = types.MessageType.Info
) -> None:
    """A line in the client's log for this server (`window/logMessage`), also written to stderr."""
    logger.log(logging.ERROR if kind == types.MessageType.Error else logging.INFO, "%s", message)
    call_on_loop(
        server, server.window_log_message, types.LogMessageParams(type=kind, message=message)
    )


def show_message(
    server: LanguageServer, message: str, kind: types.MessageType = types.MessageType.Info
) -> None:
    """A pop-up in the editor (`window/showMessage`): for outcomes the user is waiting for."""
    call_on_loop(
        server, server.window_show_message, types.ShowMessageParams(type=kind, message=message)
    )
