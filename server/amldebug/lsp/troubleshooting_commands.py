"""Stub: `workspace/executeCommand` handlers added by their own work item."""

from __future__ import annotations

from typing import Any


def register(server: Any) -> None:
    return None
