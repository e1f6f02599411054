"""Workspace trust, known by the server itself.

The editor tells the server at start (initializationOptions `{"trusted": bool}`) and when the user
grants trust (notification `amldebug/workspaceTrust` `{"trusted": true}`, so no restart is needed).
Only these two messages count: a command's options can come from anything that can run a VS Code
command (another extension, a `command:` link), so a `trusted` key there is never read. The
dispatch checks `requires_trust` against `workspace_trusted(ls)` before any work.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

TRUST_NOTIFICATION = "amldebug/workspaceTrust"

logger = logging.getLogger(__name__)


def workspace_trusted(ls: Any) -> bool:
    return getattr(ls, "workspace_trusted", False) is True


def trusted_in(message: Any) -> bool:
    """`trusted` of initializationOptions or of the notification: only a JSON `true` trusts."""
    if isinstance(message, Mapping):
        return message.get("trusted") is True
    return getattr(message, "trusted", None) is True


def register(server: Any) -> None:
    """Listen for `amldebug/workspaceTrust` (VS Code only ever grants trust in a running window;
    taking it away reloads the window, which starts a new server)."""

    @server.feature(TRUST_NOTIFICATION)
    def workspace_trust(ls: Any, params: Any) -> None:
        ls.workspace_trusted = trusted_in(params)
        logger.info("workspace trust changed: trusted=%s", ls.workspace_trusted)
